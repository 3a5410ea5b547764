package gateway_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipack-gateway/ipack-gateway/platformapi/simulator"
)

const installQuery = `mutation { integrationPackInstanceInstall(input: {integrationPackId: "` + simulator.DemoMultiPackID + `"}) { id } }`

// TestInstallOutcomeNeverMisreported: whatever the upstream does to an
// install after it may have arrived (before or after carrying it out), the
// install is sent once and its error says outcome "unknown"; the client
// that retries on a plain failure would install the pack twice. (Every
// REST call fails alike here, the queries that would settle the install
// too; TestNotIdempotentCarriedOutOnce settles one.)
func TestInstallOutcomeNeverMisreported(t *testing.T) {
	t.Parallel() // long, and it asserts outcomes, not timings
	tests := []struct {
		name   string
		faults simulator.Faults
		code   string
	}{
		// The 200 arrives; its body outlasts the attempt (item 2 of #13).
		{"slow body after applying", simulator.Faults{SlowBody: 1, SlowBodyDelay: 50 * time.Millisecond, AfterApply: 1}, "UPSTREAM_TIMEOUT"},
		{"200 that is not JSON, after applying", simulator.Faults{Garbled: 1, AfterApply: 1}, "PLATFORM_CALL_ERROR"},
		{"proxy 504 after applying", simulator.Faults{GatewayTimeout: 1, AfterApply: 1}, "UPSTREAM_TIMEOUT"},
		{"reset after applying", simulator.Faults{Reset: 1, AfterApply: 1}, "PLATFORM_CALL_ERROR"},
		{"hang before applying", simulator.Faults{Hang: 1}, "UPSTREAM_TIMEOUT"},
		{"500", simulator.Faults{ServerError: 1}, "PLATFORM_CALL_ERROR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := simulator.NewDemo(simulator.Options{RateLimit: -1})
			// Counted as they arrive: the simulator records a request only
			// once its handler is over, after a hang has ended.
			var installs atomic.Int32
			count := func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/IntegrationPackInstance") {
						installs.Add(1)
					}
					next.ServeHTTP(w, r)
				})
			}
			e := newEnv(t, envOptions{sim: sim, wrap: count, platformYAML: "  attemptTimeout: 100ms\n"})
			f := tt.faults
			f.Seed = 1
			sim.SetFaults(f)
			r := e.post(t, installQuery, nil)
			sim.SetFaults(simulator.Faults{})
			if len(r.Errors) != 1 || r.Errors[0].Extensions["outcome"] != "unknown" || r.code() != tt.code ||
				!strings.Contains(r.Errors[0].Message, "list integrationPackInstances before trying again") {
				t.Errorf("install: %s; want %s with outcome unknown", r.Raw, tt.code)
			}
			if n := installs.Load(); n != 1 {
				t.Errorf("install sent %d times, want once", n)
			}
		})
	}
}

// TestShutdownReportsUnsentCalls: calls still queued on the rate budget
// when the shutdown grace ends never left; each environment says so
// (outcome "not_sent"), and none is settled by asking REST.
func TestShutdownReportsUnsentCalls(t *testing.T) {
	// One call at once, the next after 5 s: the other three wait for the
	// budget far longer than the 100 ms grace.
	srv, e := newServer(t, envOptions{platformYAML: "  rateLimit: {requestsPerSecond: 0.2, burst: 1}\n", extraYAML: "shutdownGrace: 100ms\n"})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	e.url = "http://" + ln.Addr().String()
	envs := append([]string{seedEnvB}, demoEnvs(1, 3)...)
	got := make(chan *response, 1)
	go func() { got <- e.post(t, attachQuery(seedInst, envs...), nil) }()
	for i := 0; i < 200 && len(e.sim.Requests()) < 1; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // the others queue on the budget
	stop()
	var r *response
	select {
	case r = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("no response")
	}
	<-served
	if len(r.Errors) != 3 {
		t.Fatalf("%s; want three environments failed", r.Raw)
	}
	// The fan-out's workers race for the one token: any one environment
	// may be the one sent; the three others were not.
	for i := range envs {
		er := r.errorAt(i)
		if er == nil {
			continue
		}
		if er.Extensions["outcome"] != "not_sent" || er.Extensions["environmentId"] != envs[i] || !strings.Contains(er.Message, "not sent") {
			t.Errorf("item %d: %+v; want outcome not_sent naming %s\n%s", i, er, envs[i], r.Raw)
		}
	}
	if n := len(e.sim.Requests()); n != 1 {
		t.Errorf("%d REST calls; want only the first CREATE, no settling query", n)
	}
}

// TestSettleHonoursRetryAfter: settling an attach whose answer was lost
// asks no sooner than the server's Retry-After allows, and gives up (outcome
// unknown) rather than ask early when that is past the settle timeout.
func TestSettleHonoursRetryAfter(t *testing.T) {
	tests := []struct {
		retryAfter, settleTimeout string
		maxQueries                int
	}{
		// Capped to retryAfterMax (30 s), still past the 15 s settle timeout.
		{"3600", "15s", 1},
		// One query a second within 2.5 s: at t = 0, 1 and 2 s.
		{"1", "2500ms", 3},
	}
	for _, tt := range tests {
		var mu sync.Mutex
		var queries []time.Time
		wrap := func(next http.Handler) http.Handler {
			lose := faulty("POST", "/IntegrationPackEnvironmentAttachment", "lose")(next)
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasSuffix(r.URL.Path, "/query") {
					mu.Lock()
					queries = append(queries, time.Now())
					mu.Unlock()
					failFirst(1<<30, http.StatusServiceUnavailable, tt.retryAfter)(next).ServeHTTP(w, r)
					return
				}
				lose.ServeHTTP(w, r)
			})
		}
		e := newEnvYAML(t, wrap, "  attemptTimeout: 50ms\n  retry: {maxAttempts: 2, waitMin: 1ms, waitMax: 5ms}\n",
			"attach: {settleTimeout: "+tt.settleTimeout+", settleDelay: 1ms}\n")
		r := e.post(t, attachQuery(seedInst, seedEnvB), nil)
		if er := r.errorAt(0); er == nil || er.Extensions["outcome"] != "unknown" {
			t.Errorf("Retry-After %s: %s; want outcome unknown", tt.retryAfter, r.Raw)
		}
		mu.Lock()
		if len(queries) == 0 || len(queries) > tt.maxQueries {
			t.Errorf("Retry-After %s: %d settle queries in %s, want 1 to %d", tt.retryAfter, len(queries), tt.settleTimeout, tt.maxQueries)
		}
		mu.Unlock()
	}
}

// TestQueryMoreAnswerLost: a queryMore whose answer is lost is tried again
// with a token the vendor has used up; the gateway starts the query over
// instead of blaming the client (400 BAD_USER_INPUT), and when the vendor
// refuses every token, the error is the upstream's.
func TestQueryMoreAnswerLost(t *testing.T) {
	const envQuery = `{ environments { id } }`
	var lost atomic.Int32
	loseFirst := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/queryMore") && lost.Add(1) == 1 {
				next.ServeHTTP(httptest.NewRecorder(), r) // the token is used up
				panic(http.ErrAbortHandler)
			}
			next.ServeHTTP(w, r)
		})
	}
	r := newEnvYAML(t, loseFirst, "").post(t, envQuery, nil)
	if len(r.Errors) != 0 || strings.Count(string(r.Data), `"id"`) != 120 {
		t.Errorf("answer lost once: %d errors %s; want all 120 environments", len(r.Errors), r.Raw)
	}

	refuse := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/queryMore") {
				failFirst(1<<30, http.StatusBadRequest, "")(next).ServeHTTP(w, r)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	r = newEnvYAML(t, refuse, "").post(t, envQuery, nil)
	if r.code() != "PLATFORM_CALL_ERROR" {
		t.Errorf("every token refused: %s; want PLATFORM_CALL_ERROR, not the client's fault", r.Raw)
	}
}
