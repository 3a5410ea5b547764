package gateway_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"testing"

	"github.com/ipack-gateway/ipack-gateway/gateway"
)

// stackLimit is what an attach(1) may use of its goroutine's stack: under
// 16 KiB, the size class a request in flight then holds instead of 32 KiB
// (1,000 attaches waiting on a slow upstream: 16 MiB less;
// docs/performance.md). The race detector's instrumentation doubles frames.
func stackLimit() int {
	if raceEnabled {
		return 32 << 10
	}
	return 16 << 10
}

const stackChildEnv = "GATEWAY_STACK_CHILD"

// TestAttachStack: attach(1) through the whole server (net/http's server,
// the middleware, GraphQL, the resolver, the REST client, net/http's client
// to the simulator) fits in stackLimit. It runs in a child process whose
// goroutines may not grow past the limit: the runtime ends one that would
// with "fatal error: stack overflow" and its stack, which the test shows.
func TestAttachStack(t *testing.T) {
	if os.Getenv(stackChildEnv) == "1" {
		attachWithinStackLimit(t)
		return
	}
	checkStackInChild(t)
}

// BenchmarkAttachStack is TestAttachStack for builds without the race
// detector, where the limit is 16 KiB (CI runs tests with -race, and
// benchmarks without).
func BenchmarkAttachStack(b *testing.B) {
	for b.Loop() {
		checkStackInChild(b)
	}
}

// checkStackInChild runs the attaches in a child process (0.1 s) until
// one run passes, at most childRuns times. The runtime itself may go a few
// hundred bytes deeper than the request (its allocator's slow path,
// mheap.alloc or spanSet.push, taken by an allocation at the deepest
// point), which costs that one goroutine a larger stack and is no
// regression; a request path deeper than the limit fails every run, as it
// did before the frames were trimmed.
func checkStackInChild(t testing.TB) {
	t.Helper()
	var out []byte
	var err error
	for range childRuns {
		cmd := exec.Command(os.Args[0], "-test.run=^TestAttachStack$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), stackChildEnv+"=1")
		out, err = cmd.CombinedOutput()
		if err == nil {
			break
		}
	}
	if err != nil {
		const max = 6000
		if len(out) > max {
			out = out[:max]
		}
		t.Fatalf("attach(1) needs more than %d KiB of goroutine stack (%v):\n%s", stackLimit()>>10, err, out)
	}
	if !strings.Contains(string(out), "attached within the stack limit") {
		t.Fatalf("the child process did not run the attaches:\n%s", out)
	}
}

// childRuns bounds checkStackInChild's runs. On the project's 2-core VM
// (Go 1.26.8, December 2026) 26 runs in 40 ended in the allocator's slow
// path, each of the 48 attaches of a run a chance of it: with 3 runs, as
// before, one check in four failed (BenchmarkAttachStack failed CI's
// benchmark pass twice). With 15, a check fails by chance once in about
// 600 (0.65^15); a path 1 KiB deeper than today's fails every run.
const childRuns = 15

// attachWithinStackLimit serves attach(1) over fresh connections, 16 at a
// time and three times over, with every goroutine's stack bounded: a new
// connection's goroutine starts small and grows only as deep as the
// request goes. The margin is a few hundred bytes (docs/performance.md).
func attachWithinStackLimit(t *testing.T) {
	s := benchServer(t)
	gw := httptest.NewServer(s)
	defer gw.Close()
	attach := func() error {
		req, err := http.NewRequest(http.MethodPost, gw.URL+"/graphql", strings.NewReader(gateway.BenchAttach))
		if err != nil {
			return err
		}
		req.Header = gateway.BenchRequest("").Header
		c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}} // a fresh server goroutine each time
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || strings.Contains(string(body), `"errors"`) {
			return fmt.Errorf("status %d: %s", resp.StatusCode, body)
		}
		return nil
	}
	rounds := func() {
		for range 3 {
			var wg sync.WaitGroup
			errs := make(chan error, 16)
			for range 16 {
				wg.Go(func() {
					if err := attach(); err != nil {
						errs <- err
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
		}
	}
	// First without the bound, so that one-time work (caches, pools, the
	// runtime's timer heaps growing to hold 16 requests' timers, which
	// allocates at the deepest point) is done; then bounded.
	rounds()
	// No collection during the bounded rounds: an allocation that has to
	// sweep spans first (after a collection) goes some hundred bytes deeper
	// than the request itself, at whatever depth it happens. That is the
	// runtime's, rare, and costs only that goroutine a larger stack.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	runtime.GC() // and sweeps every span
	debug.SetMaxStack(stackLimit())
	rounds()
	t.Log("attached within the stack limit")
}
