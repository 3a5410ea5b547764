// Package testutil holds what the tests of several packages need, written
// once: a buffer to read a program's output while it runs (SyncBuffer), and
// waiting, bounded, for a printed address, for /healthz, or for a condition
// to hold (Eventually). Only tests import it.
package testutil

import (
	"bytes"
	"net/http"
	"regexp"
	"sync"
	"testing"
	"time"
)

// SyncBuffer is an io.Writer that a test may read while another goroutine
// or process writes to it.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// pollEvery is how often WaitFor and WaitHealthy look again.
const pollEvery = 25 * time.Millisecond

// WaitFor waits, for at most within, until out holds a match of re, and
// returns its first submatch (the whole match when re has no group). It
// fails the test when exited, which may be nil, says the program stopped
// first, or when the time is up.
func WaitFor(t testing.TB, out *SyncBuffer, re *regexp.Regexp, within time.Duration, exited <-chan error) string {
	t.Helper()
	for range max(1, int(within/pollEvery)) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			return m[len(m)-1]
		}
		wait(t, exited, out)
	}
	t.Fatalf("no %s in the output within %s:\n%s", re, within, out.String())
	return ""
}

// WaitHealthy waits, for at most within, until GET base+"/healthz"
// answers 200. It fails the test when exited, which may be nil, says the
// program stopped first, or when the time is up; logs, which may be nil,
// are shown then.
func WaitHealthy(t testing.TB, base string, within time.Duration, exited <-chan error, logs *SyncBuffer) {
	t.Helper()
	for range max(1, int(within/pollEvery)) {
		if res, err := http.Get(base + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		wait(t, exited, logs)
	}
	t.Fatalf("%s/healthz did not answer 200 within %s%s", base, within, logsOf(logs))
}

// wait sleeps one poll interval, failing the test if the program exits.
func wait(t testing.TB, exited <-chan error, logs *SyncBuffer) {
	t.Helper()
	select {
	case err := <-exited:
		t.Fatalf("the program stopped early: %v%s", err, logsOf(logs))
	case <-time.After(pollEvery):
	}
}

func logsOf(logs *SyncBuffer) string {
	if logs == nil {
		return ""
	}
	return "; output:\n" + logs.String()
}

// Eventually polls cond every 10 ms, at most 1,000 times (10 s), and fails
// the test, naming what, if it never holds.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for range 1000 {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s: not within 10 s", what)
}
