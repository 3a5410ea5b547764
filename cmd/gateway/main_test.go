package main

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer lets the test read what run prints while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestDemoMode starts the whole program with no flags but a loopback
// port, follows the curl it prints, and gets the vendor's sample answer.
func TestDemoMode(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-listen", "127.0.0.1:0"}, func(string) string { return "" }, &stdout, &stderr)
	}()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("run did not return after cancel")
		}
	}()

	// Wait (bounded) for the printed address, then for /healthz.
	addrRe := regexp.MustCompile(`running in demo mode on (http://127\.0\.0\.1:\d+)`)
	var base string
	for i := 0; i < 200 && base == ""; i++ {
		if m := addrRe.FindStringSubmatch(stdout.String()); m != nil {
			base = m[1]
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
	if base == "" {
		t.Fatalf("no address printed; stdout %q stderr %q", stdout.String(), stderr.String())
	}
	if res, err := http.Get(base + "/healthz"); err != nil || res.StatusCode != 200 {
		t.Fatalf("GET /healthz: %v %v", res, err)
	}

	// The printed curl, replayed: the first command; more examples follow
	// (demo_test.go).
	out := stdout.String()
	if i := strings.Index(out, "'\n\n"); i >= 0 {
		out = out[:i+1]
	}
	body := regexp.MustCompile(`-d '([^']*)'`).FindStringSubmatch(out)
	if body == nil {
		t.Fatalf("no curl body printed: %s", out)
	}
	req, _ := http.NewRequest("POST", base+"/graphql", strings.NewReader(body[1]))
	for _, h := range regexp.MustCompile(`-H '([^:]+): ([^']*)'`).FindAllStringSubmatch(out, -1) {
		req.Header[h[1]] = []string{h[2]}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	want := `{"data":{"integrationPackInstanceEnvironmentAttachmentAttach":[{"id":"QVRUQUNIX0lQQUNLX0VOVlNXNTBaV2R5WVhScGIyNVFZV05yU1c1emRHRnVZMlV6TkRRNE5nOjg2YjQxM2E4LTFlYmYtNGM5NS1iYzViLTEzOTU3M2I3NzkxMA","environmentId":"86b413a8-1ebf-4c95-bc5b-139573b77910","integrationPackInstanceId":"SW50ZWdyYXRpb25QYWNrSW5zdGFuY2UzNDQ4Ng","environmentExtensions":null}]}}` + "\n"
	if string(got) != want {
		t.Errorf("printed curl answered\n%s\nwant\n%s", got, want)
	}
}

func TestRunFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-config", "/nonexistent.yaml"}, "no such file"},
		{[]string{"-log-format", "xml"}, "-log-format"},
		{[]string{"extra"}, "unexpected arguments"},
		{[]string{"-nope"}, "not defined"},
	}
	for _, tt := range tests {
		err := run(context.Background(), tt.args, func(string) string { return "" }, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("run(%q) = %v, want error containing %q", tt.args, err, tt.want)
		}
	}
}

func TestLoggerDurations(t *testing.T) {
	for _, tc := range []struct{ format, want string }{
		{"json", `"grace":"30s"`},
		{"text", `grace=30s`},
	} {
		var out strings.Builder
		log, err := newLogger(&out, tc.format, "info")
		if err != nil {
			t.Fatal(err)
		}
		log.Info("shutting down", "grace", 30*time.Second)
		if !strings.Contains(out.String(), tc.want) {
			t.Errorf("%s log line %q lacks %s", tc.format, out.String(), tc.want)
		}
	}
	if _, err := newLogger(io.Discard, "xml", "info"); err == nil {
		t.Error("newLogger(xml) = nil error")
	}
}
