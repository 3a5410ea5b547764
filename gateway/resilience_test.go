package gateway_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipack-gateway/ipack-gateway/platformapi/simulator"
)

func demoEnvs(from, n int) []string {
	var envs []string
	for i := from; i < from+n; i++ {
		envs = append(envs, simulator.DemoEnvironment(i))
	}
	return envs
}

// TestRateBudget: every REST call of an account, from concurrent requests,
// shares one budget; the upstream never sees more than it allows, and a
// small attach is served in turn with a large one, not after it.
func TestRateBudget(t *testing.T) {
	const perSecond, burst = 10, 2
	// The simulator enforces the vendor's limit at the same rate.
	sim := simulator.NewDemo(simulator.Options{RecordRequests: true, RateLimit: perSecond, Burst: burst + 1})
	e2 := newEnv(t, envOptions{sim: sim, platformYAML: "  rateLimit: {requestsPerSecond: 10, burst: 2}\n"})

	bigDone := make(chan *response)
	go func() { bigDone <- e2.post(t, attachQuery(seedInst, demoEnvs(1, 20)...), nil) }()
	// Let the large attach queue up, then send a small one.
	for i := 0; i < 100 && len(sim.Requests()) < 4; i++ {
		time.Sleep(20 * time.Millisecond)
	}
	before := len(sim.Requests())
	small := e2.post(t, attachQuery(seedInst, demoEnvs(50, 2)...), nil)
	after := sim.Requests()
	big := <-bigDone
	if len(small.Errors) != 0 || len(big.Errors) != 0 {
		t.Fatalf("errors: small %s big %s", small.Raw, big.Raw)
	}
	// Round-robin: the small attach's 2 calls come within the next 5
	// (one in flight, then big, small, big, small); first-come-first-served
	// would put them behind the 8 calls the large attach keeps queued.
	last := -1
	for i, r := range after {
		if strings.Contains(string(r.Body), simulator.DemoEnvironment(51)) || strings.Contains(string(r.Body), simulator.DemoEnvironment(50)) {
			last = i
		}
	}
	if last < 0 || last >= before+5 {
		t.Errorf("small attach's last call is REST call #%d; it was sent when %d calls had been made, want within 5", last, before)
	}

	reqs := sim.Requests()
	if st := sim.Stats(); st.Throttled != 0 {
		t.Errorf("the upstream throttled %d calls; the budget should prevent every one", st.Throttled)
	}
	// Token bucket arithmetic: in any window of length w, at most
	// burst + perSecond×w calls start; 50 ms of slack covers loopback jitter.
	for i := range reqs {
		n := 0
		for j := i; j < len(reqs) && reqs[j].Time.Sub(reqs[i].Time) < time.Second; j++ {
			n++
		}
		if limit := burst + perSecond*105/100; n > limit {
			t.Fatalf("%d REST calls within 1s from call #%d; the budget allows %d", n, i, limit)
		}
	}
	// 22 calls at 10/s with a burst of 2 cannot take less than 2 s.
	if d := reqs[len(reqs)-1].Time.Sub(reqs[0].Time); d < 1900*time.Millisecond {
		t.Errorf("22 calls took %v; at 10/s with a burst of 2 they need 2 s", d)
	}
}

// TestCircuitBreaker: after sustained failures the gateway fails fast with
// retryAfter, then lets a probe through and recovers.
func TestCircuitBreaker(t *testing.T) {
	var mu sync.Mutex
	failing := true
	var calls int
	wrap := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			calls++
			f := failing
			mu.Unlock()
			if f && !strings.HasSuffix(r.URL.Path, "/query") {
				failFirst(1, 500, "")(next).ServeHTTP(w, r)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	e := newEnvYAML(t, wrap, "  circuitBreaker: {minRequests: 4, failureRatio: 0.5, openFor: 1s}\n")
	for i := range 4 {
		r := e.post(t, attachQuery(seedInst, seedEnvB), nil)
		if r.code() != "PLATFORM_CALL_ERROR" || r.Errors[0].Extensions["status"] != float64(500) {
			t.Fatalf("failure %d: %s", i, r.Raw)
		}
	}
	mu.Lock()
	before := calls
	failing = false // the upstream recovers, but the breaker is open
	mu.Unlock()
	r := e.post(t, attachQuery(seedInst, seedEnvB), nil)
	er := r.errorAt(0)
	if er == nil || er.Extensions["code"] != "PLATFORM_CALL_ERROR" || er.Extensions["retryAfter"] == nil {
		t.Fatalf("open breaker: %s, want PLATFORM_CALL_ERROR with retryAfter", r.Raw)
	}
	if ra := er.Extensions["retryAfter"].(float64); ra != 1 {
		t.Errorf("retryAfter = %v s, want the rest of the 1 s open period, rounded up", ra)
	}
	mu.Lock()
	if calls != before {
		t.Errorf("open breaker let %d calls through", calls-before)
	}
	mu.Unlock()
	// After openFor, a probe passes and the breaker closes.
	deadline := time.Now().Add(5 * time.Second)
	for {
		time.Sleep(100 * time.Millisecond)
		r = e.post(t, attachQuery(seedInst, seedEnvB), nil)
		if len(r.Errors) == 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(r.Errors) != 0 {
		t.Fatalf("breaker did not recover: %s", r.Raw)
	}
}

// TestRollback: an all-or-nothing attach detaches what it attached when
// any environment fails, and reports every environment failed.
func TestRollback(t *testing.T) {
	e := newEnvYAML(t, nil, "", "attach: {onPartialFailure: rollback}\n")
	unknown := "11111111-2222-4333-8444-555555555555"
	r := e.post(t, attachQuery(seedInst, seedEnvA, unknown, seedEnvB), nil)
	if got := r.attachments(t); len(got) != 3 || got[0] != nil || got[1] != nil || got[2] != nil {
		t.Fatalf("data = %s, want three nulls", r.Data)
	}
	for _, i := range []int{0, 2} {
		er := r.errorAt(i)
		cause, _ := er.Extensions["cause"].(map[string]any)
		if er == nil || er.Extensions["rolledBack"] != true || cause["environmentId"] != unknown || er.Extensions["code"] != "BAD_USER_INPUT" {
			t.Errorf("item %d: %+v, want rolled back with the failed environment as cause", i, er)
		}
	}
	if er := r.errorAt(1); er == nil || er.Extensions["environmentId"] != unknown {
		t.Errorf("item 1: %+v", er)
	}
	if e.sim.Attached(simulator.DemoAccountID, seedInst, seedEnvA) || e.sim.Attached(simulator.DemoAccountID, seedInst, seedEnvB) {
		t.Error("rolled-back environments are still attached")
	}
	// An invalid id is refused before any call.
	before := len(e.sim.Requests())
	r = e.post(t, attachQuery(seedInst, seedEnvA, "bad"), nil)
	if len(e.sim.Requests()) != before || r.errorAt(0) == nil || r.errorAt(1) == nil {
		t.Errorf("invalid id in an all-or-nothing attach: %d calls, %s", len(e.sim.Requests())-before, r.Raw)
	}
}

func TestClientRateLimit(t *testing.T) {
	e := newEnvYAML(t, nil, "", "clients: {requestsPerSecond: 0.01, burst: 2}\n")
	var last *response
	for range 3 {
		last = e.post(t, `{ __typename }`, nil)
	}
	if last.Status != 429 || last.code() != "RATE_LIMITED" || last.Header.Get("Retry-After") == "" {
		t.Errorf("third request at a burst of 2: %d %s Retry-After %q", last.Status, last.Raw, last.Header.Get("Retry-After"))
	}
}

func TestQueryShapeLimits(t *testing.T) {
	e := newEnvYAML(t, nil, "", "graphql: {maxRootFields: 2, maxAliases: 3, maxDepth: 5}\n")
	tests := []struct {
		name, query, code string
	}{
		{"two root fields", `{ a: __typename b: __typename }`, ""},
		{"three root fields", `{ a: __typename b: __typename c: __typename }`, "GRAPHQL_VALIDATION_FAILED"},
		{"root fields through a fragment", `query { ...F } fragment F on Query { a: __typename b: __typename c: __typename }`, "GRAPHQL_VALIDATION_FAILED"},
		{"four aliases", `{ a: __typename b: integrationPackEnvironmentAttachments(ipackInstanceId: "` + seedInst + `") { x: id y: id } }`, "GRAPHQL_VALIDATION_FAILED"},
		{"deep", `{ __schema { types { fields { type { fields { type { fields { type { fields { type { name } } } } } } } } } } }`, "GRAPHQL_VALIDATION_FAILED"},
	}
	for _, tt := range tests {
		if r := e.post(t, tt.query, nil); r.code() != tt.code {
			t.Errorf("%s: %s, want code %q", tt.name, r.Raw, tt.code)
		}
	}
}

// TestClientDisconnect: a client that goes away cancels its REST calls.
func TestClientDisconnect(t *testing.T) {
	cancelled := make(chan struct{}, 16)
	wrap := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			faulty("POST", "", "hang")(http.NotFoundHandler()).ServeHTTP(w, r)
			cancelled <- struct{}{}
		})
	}
	e := newEnvYAML(t, wrap, "")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", e.url+"/graphql", strings.NewReader(`{"query":"`+strings.ReplaceAll(attachQuery(seedInst, seedEnvA, seedEnvB), `"`, `\"`)+`"}`))
	req.Header["SPACE_GUID"] = []string{testSpace}
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", "application/json")
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Fatal("request succeeded; want the client to give up")
	}
	// Both hanging REST calls end soon after; the request deadline is 60 s.
	for i := range 2 {
		select {
		case <-cancelled:
		case <-time.After(5 * time.Second):
			t.Fatalf("REST call %d still running 5 s after the client left", i)
		}
	}
}

// TestShutdown: on shutdown, in-flight attaches finish within the grace
// period; past it, their REST calls are cancelled and each environment
// still reaches the client as an error.
func TestShutdown(t *testing.T) {
	tests := []struct {
		name     string
		delay    time.Duration // upstream latency of each CREATE
		grace    string
		wantErrs bool
	}{
		{"finishes within grace", 300 * time.Millisecond, "5s", false},
		{"cancelled after grace", time.Hour, "200ms", true},
	}
	for _, tt := range tests {
		wrap := func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body) // lets the server notice the client hang up
				r.Body = io.NopCloser(bytes.NewReader(body))
				select {
				case <-time.After(tt.delay):
					next.ServeHTTP(w, r)
				case <-r.Context().Done():
				}
			})
		}
		srv, e := newServer(t, envOptions{wrap: wrap, extraYAML: "shutdownGrace: " + tt.grace + "\n"})
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ctx, stop := context.WithCancel(context.Background())
		served := make(chan error, 1)
		go func() { served <- srv.Serve(ctx, ln) }()
		e.url = "http://" + ln.Addr().String()
		got := make(chan *response, 1)
		go func() { got <- e.post(t, attachQuery(seedInst, seedEnvA, seedEnvB), nil) }()
		time.Sleep(100 * time.Millisecond) // the attach is in flight
		stop()
		var r *response
		select {
		case r = <-got:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: no response", tt.name)
		}
		if hasErrs := len(r.Errors) == 2; hasErrs != tt.wantErrs || r.Status != 200 {
			t.Errorf("%s: %d %s", tt.name, r.Status, r.Raw)
		}
		select {
		case err := <-served:
			if (err != nil) != tt.wantErrs {
				t.Errorf("%s: Serve = %v", tt.name, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: Serve did not return", tt.name)
		}
	}
}
