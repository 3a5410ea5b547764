package platformapi_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipack-gateway/ipack-gateway/ids"
	"github.com/ipack-gateway/ipack-gateway/platformapi"
	"github.com/ipack-gateway/ipack-gateway/platformapi/simulator"
)

// outcomeOf classifies a failed call's error as the resolvers do: an error
// that wraps no *platformapi.Error is OutcomeUnknown (nothing proves it was
// not carried out); nil is OutcomeAnswered.
func outcomeOf(err error) platformapi.Outcome {
	if err == nil {
		return platformapi.OutcomeAnswered
	}
	var e *platformapi.Error
	if !errors.As(err, &e) {
		return platformapi.OutcomeUnknown
	}
	return e.Outcome()
}

var demoAcct = platformapi.Account{ID: simulator.DemoAccountID, Credentials: platformapi.Basic(simulator.DemoUsername, simulator.DemoPassword)}

// fastRetry retries quickly: 3 tries, millisecond waits, Retry-After cut
// to a millisecond.
var fastRetry = platformapi.RetryPolicy{MaxAttempts: 3, WaitMin: time.Millisecond, WaitMax: 2 * time.Millisecond, RetryAfterMax: time.Millisecond}

// TestOutcomeOfEveryFault: every fault the simulator injects, before and
// after the call takes effect, is classified by one rule, for a call marked
// once (install) and an idempotent one (attach). A call that took effect is
// never reported as anything but OutcomeUnknown, and a once call is never
// sent again after it may have taken effect. A 503 or 429 is such a fault
// (a proxy, or the vendor under load, may answer so after acting): on main
// before this rule, an install that a 503 or 429 answered after it took
// effect was sent three times, installed three times, and reported
// "answered".
func TestOutcomeOfEveryFault(t *testing.T) {
	const unknown = platformapi.OutcomeUnknown
	tests := []struct {
		name   string
		faults simulator.Faults
		// What install (once) and attach (idempotent) end with, and how
		// many requests each makes (fastRetry allows 3).
		install, attach         platformapi.Outcome
		installReqs, attachReqs int
	}{
		// A 503 or 429 may come after the call took effect: a once call is
		// not sent again; an idempotent one is, and stays unknown.
		{"503", simulator.Faults{Unavailable: 1}, unknown, unknown, 1, 3},
		{"503 with Retry-After", simulator.Faults{Unavailable: 1, UnavailableRetryAfter: 1}, unknown, unknown, 1, 3},
		{"429", simulator.Faults{TooManyRequests: 1}, unknown, unknown, 1, 3},
		// A 500 may come from a failure part-way through: not retried.
		{"500", simulator.Faults{ServerError: 1}, unknown, unknown, 1, 1},
		{"reset", simulator.Faults{Reset: 1}, unknown, unknown, 1, 3},
		{"hang", simulator.Faults{Hang: 1}, unknown, unknown, 1, 3},
		// 20 ms a byte: the answer's ~150 bytes outlast the 100 ms attempt.
		{"slow body", simulator.Faults{SlowBody: 1, SlowBodyDelay: 20 * time.Millisecond}, unknown, unknown, 1, 3},
		{"proxy 504", simulator.Faults{GatewayTimeout: 1}, unknown, unknown, 1, 3},
		// A 200 that is not JSON: not retried, idempotent or not.
		{"garbled 200", simulator.Faults{Garbled: 1}, unknown, unknown, 1, 1},
	}
	for _, tt := range tests {
		for _, after := range []bool{false, true} {
			name := tt.name + ", before applying"
			if after {
				name = tt.name + ", after applying"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				f := tt.faults
				f.Seed = 1
				if after {
					f.AfterApply = 1
				}
				sim := simulator.NewDemo(simulator.Options{RateLimit: -1})
				// Counted as they arrive: the simulator records a request
				// only once its handler is over, after a hang has ended.
				var arrived atomic.Int32
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					arrived.Add(1)
					sim.ServeHTTP(w, r)
				}))
				defer srv.Close()
				c, err := platformapi.New(platformapi.Options{BaseURL: srv.URL, AttemptTimeout: 100 * time.Millisecond, Retry: fastRetry,
					Limits: platformapi.Limits{Breaker: platformapi.BreakerSettings{Disabled: true}}})
				if err != nil {
					t.Fatal(err)
				}
				ctx := context.Background()
				before, err := c.QueryInstances(ctx, demoAcct, nil)
				if err != nil {
					t.Fatal(err)
				}

				arrived.Store(0)
				sim.SetFaults(f)
				_, ierr := c.InstallInstance(ctx, demoAcct, simulator.DemoMultiPackID, "")
				installReqs := int(arrived.Load())
				sim.SetFaults(simulator.Faults{})
				now, err := c.QueryInstances(ctx, demoAcct, nil)
				if err != nil {
					t.Fatal(err)
				}
				installed := len(now) > len(before)
				check(t, "InstallInstance", ierr, installed, tt.install, installReqs, tt.installReqs)

				env := simulator.DemoEnvironment(5)
				arrived.Store(0)
				sim.SetFaults(f)
				_, aerr := c.CreateAttachment(ctx, demoAcct, ids.Instance(34486), env)
				attachReqs := int(arrived.Load())
				sim.SetFaults(simulator.Faults{})
				check(t, "CreateAttachment", aerr, sim.Attached(simulator.DemoAccountID, ids.Instance(34486), env), tt.attach, attachReqs, tt.attachReqs)
			})
		}
	}
}

func check(t *testing.T, call string, err error, applied bool, want platformapi.Outcome, reqs, wantReqs int) {
	t.Helper()
	if err == nil {
		t.Errorf("%s succeeded; want a failure", call)
		return
	}
	if got := outcomeOf(err); got != want {
		t.Errorf("%s: outcomeOf(%v) = %v, want %v", call, err, got, want)
	}
	if applied && outcomeOf(err) != platformapi.OutcomeUnknown {
		t.Errorf("%s took effect but failed with outcome %v: %v", call, outcomeOf(err), err)
	}
	if reqs != wantReqs {
		t.Errorf("%s: %d requests upstream, want %d", call, reqs, wantReqs)
	}
	var pe *platformapi.Error
	if errors.As(err, &pe) && pe.Ambiguous && pe.NotSent {
		t.Errorf("%s: both Ambiguous and NotSent: %v", call, err)
	}
}

// TestOutcomeBeforeAndAfterSending: what happens to a call before it is
// sent (its context ends, the breaker refuses it, no connection) is
// OutcomeNotSent; what happens after is OutcomeUnknown.
func TestOutcomeBeforeAndAfterSending(t *testing.T) {
	// release ends the handlers that hang; the server's Close waits for them.
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/hang/"):
			select {
			case <-r.Context().Done():
			case <-release:
			}
		case strings.HasPrefix(r.URL.Path, "/short/"):
			// A 200 whose body ends before its Content-Length.
			w.Header().Set("Content-Length", "100")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte(`{"id":`))
		default:
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	defer close(release)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close() // connection refused from now on

	newClient := func(base string, tr http.RoundTripper, breaker bool) *platformapi.Client {
		c, err := platformapi.New(platformapi.Options{BaseURL: base, AttemptTimeout: 5 * time.Second, Retry: fastRetry, Transport: tr,
			Limits: platformapi.Limits{Breaker: platformapi.BreakerSettings{Disabled: !breaker, MinRequests: 1, FailureRatio: 0.5, OpenFor: time.Minute}}})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name  string
		run   func() error
		want  platformapi.Outcome
		check func(error) bool
	}{
		{"context ended before the call", func() error {
			_, err := newClient(srv.URL, nil, false).InstallInstance(cancelled, demoAcct, simulator.DemoMultiPackID, "")
			return err
		}, platformapi.OutcomeNotSent, func(err error) bool { return errors.Is(err, context.Canceled) }},
		{"connection refused, every try", func() error {
			_, err := newClient(closed.URL, nil, false).InstallInstance(context.Background(), demoAcct, simulator.DemoMultiPackID, "")
			return err
		}, platformapi.OutcomeNotSent, func(err error) bool {
			var pe *platformapi.Error
			return errors.As(err, &pe) && pe.Attempts == 3 // not sent, so tried again
		}},
		{"circuit open", func() error {
			c := newClient(srv.URL, nil, true)
			_ = c.DeleteAttachment(context.Background(), demoAcct, "x") // 500: opens the breaker
			_, err := c.InstallInstance(context.Background(), demoAcct, simulator.DemoMultiPackID, "")
			return err
		}, platformapi.OutcomeNotSent, func(err error) bool { return errors.Is(err, platformapi.ErrCircuitOpen) }},
		{"cancelled while waiting for a connection", func() error {
			// One connection, held by a call that hangs: the next call
			// waits for it and is cancelled before it has one.
			tr := platformapi.NewTransport(5 * time.Second)
			tr.MaxConnsPerHost = 1
			c := newClient(srv.URL+"/hang", tr, false)
			go func() { _ = c.DeleteAttachment(context.Background(), demoAcct, "holder") }()
			waitForConn(t, tr, srv.URL)
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			_, err := c.InstallInstance(ctx, demoAcct, simulator.DemoMultiPackID, "")
			return err
		}, platformapi.OutcomeNotSent, nil},
		{"cancelled after sending", func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			_, err := newClient(srv.URL+"/hang", nil, false).InstallInstance(ctx, demoAcct, simulator.DemoMultiPackID, "")
			return err
		}, platformapi.OutcomeUnknown, nil},
		{"200 cut short", func() error {
			_, err := newClient(srv.URL+"/short", nil, false).InstallInstance(context.Background(), demoAcct, simulator.DemoMultiPackID, "")
			return err
		}, platformapi.OutcomeUnknown, func(err error) bool { return errors.Is(err, platformapi.ErrUnreadableAnswer) }},
	}
	for _, tt := range tests {
		err := tt.run()
		if got := outcomeOf(err); err == nil || got != tt.want || (tt.check != nil && !tt.check(err)) {
			t.Errorf("%s: %v, outcome %v; want outcome %v", tt.name, err, got, tt.want)
		}
	}
}

// waitForConn returns once tr has a connection to base in use: a probe
// with a short deadline fails to get one. Bounded: 100 probes.
func waitForConn(t *testing.T, tr *http.Transport, base string) {
	t.Helper()
	for range 100 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		req, _ := http.NewRequestWithContext(ctx, "GET", base+"/probe", nil)
		resp, err := tr.RoundTrip(req)
		cancel()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) {
				return
			}
		} else {
			resp.Body.Close()
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the holding call never took the connection")
}

// TestRefusalOfReadAndWrite: a 503 or 429 answers a read (a QUERY, a bulk
// GET, a GET): it is retried, and failing throughout it is OutcomeAnswered,
// since a read has nothing to have done. The same status on a call that may
// change state is retried when the call is idempotent (a DELETE) and leaves
// its outcome unknown, so that a retry that finds nothing ("does not
// exist") is known to follow an attempt that may have worked.
func TestRefusalOfReadAndWrite(t *testing.T) {
	for _, status := range []int{http.StatusServiceUnavailable, http.StatusTooManyRequests} {
		var n atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n.Add(1)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = w.Write([]byte(`{"@type":"Error","message":"busy"}`))
		}))
		c, err := platformapi.New(platformapi.Options{BaseURL: srv.URL, Retry: fastRetry,
			Limits: platformapi.Limits{Breaker: platformapi.BreakerSettings{Disabled: true}}})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		reads := map[string]func() error{
			"QUERY": func() error { _, err := c.QueryInstances(ctx, demoAcct, nil); return err },
			"GET":   func() error { _, err := c.GetInstance(ctx, demoAcct, ids.Instance(20)); return err },
			"bulk":  func() error { _, err := c.GetMapExtensions(ctx, demoAcct, []string{"x"}); return err },
		}
		for name, read := range reads {
			n.Store(0)
			err := read()
			if got := outcomeOf(err); got != platformapi.OutcomeAnswered || n.Load() != 3 {
				t.Errorf("%d on a %s: outcome %v after %d requests; want answered after 3", status, name, got, n.Load())
			}
		}
		n.Store(0)
		err = c.DeleteAttachment(ctx, demoAcct, ids.Attachment(ids.Instance(34486), simulator.DemoEnvironment(5)))
		if got := outcomeOf(err); got != platformapi.OutcomeUnknown || n.Load() != 3 {
			t.Errorf("%d on a DELETE: outcome %v after %d requests; want unknown after 3", status, got, n.Load())
		}
		srv.Close()
	}
}
