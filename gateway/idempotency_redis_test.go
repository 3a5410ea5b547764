package gateway_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipack-gateway/ipack-gateway/platformapi/simulator"
	"github.com/ipack-gateway/ipack-gateway/ratelimit/redistest"
)

// TestIdempotencyAcrossReplicas: two gateways (each its own server, REST
// client and Redis client) share one real redis-server, as replicas behind
// a load balancer do. A repeat of a keyed install on the other replica is
// answered from the record, and the install reached REST once; a repeat
// while the first runs on the other replica gets 409, and the key with
// another request 422. With Redis gone, a keyed mutation is refused (503)
// without calling REST, while requests without a key are served.
func TestIdempotencyAcrossReplicas(t *testing.T) {
	srv := redistest.New(t) // fails in CI (CI set) without redis-server
	sim := simulator.NewDemo(simulator.Options{RecordRequests: true, RateLimit: -1})
	var installs atomic.Int32
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	var holdOnce sync.Once
	wrap := func(next http.Handler) http.Handler {
		count := countInstalls(&installs)(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// The install named "Held" waits for release, so that its
			// repeat finds it running.
			if r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/IntegrationPackInstance") {
				body, _ := io.ReadAll(r.Body)
				r.Body = io.NopCloser(bytes.NewReader(body))
				if bytes.Contains(body, []byte(`"Held"`)) {
					holdOnce.Do(func() { arrived <- struct{}{}; <-release })
				}
			}
			count.ServeHTTP(w, r)
		})
	}
	replica := func() *env {
		return newEnv(t, envOptions{sim: sim, wrap: wrap,
			platformYAML: "  rateLimit: {requestsPerSecond: 0, store: redis, replicas: 2}\n",
			extraYAML:    "redis: {url: " + srv.URL() + ", keyPrefix: \"test:\"}\n"})
	}
	a, b := replica(), replica()

	first := a.postKeyed(t, "cross-1", installByVar, map[string]any{"name": "Sync Cross"})
	if first.Status != 200 || len(first.Errors) != 0 {
		t.Fatalf("first, on replica A: %d %s", first.Status, first.Raw)
	}
	repeat := b.postKeyed(t, "cross-1", installByVar, map[string]any{"name": "Sync Cross"})
	if repeat.Status != 200 || string(repeat.Raw) != string(first.Raw) || repeat.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("repeat on replica B: %d %s; want A's response, replayed", repeat.Status, repeat.Raw)
	}
	if n := installs.Load(); n != 1 {
		t.Errorf("%d installs reached REST, want 1", n)
	}
	reuse := b.postKeyed(t, "cross-1", installByVar, map[string]any{"name": "Sync Else"})
	if reuse.Status != http.StatusUnprocessableEntity || reuse.code() != "IDEMPOTENCY_KEY_REUSED" {
		t.Errorf("the key with another request on replica B: %d %s; want 422", reuse.Status, reuse.Raw)
	}

	// While A runs the held install, its repeat on B is refused.
	heldc := make(chan *response, 1)
	go func() { heldc <- a.postKeyed(t, "cross-held", installByVar, map[string]any{"name": "Held"}) }()
	select {
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("the held install never reached REST")
	}
	during := b.postKeyed(t, "cross-held", installByVar, map[string]any{"name": "Held"})
	close(release)
	held := <-heldc
	if during.Status != http.StatusConflict || during.code() != "IDEMPOTENCY_KEY_IN_USE" {
		t.Errorf("repeat on B while A runs it: %d %s; want 409", during.Status, during.Raw)
	}
	if after := b.postKeyed(t, "cross-held", installByVar, map[string]any{"name": "Held"}); string(after.Raw) != string(held.Raw) || len(held.Errors) != 0 {
		t.Errorf("repeat on B after A answered: %s; want %s", after.Raw, held.Raw)
	}
	if n := installs.Load(); n != 2 {
		t.Errorf("%d installs reached REST, want 2", n)
	}

	srv.Kill()
	down := b.postKeyed(t, "cross-down", installByVar, map[string]any{"name": "Sync Down"})
	if down.Status != http.StatusServiceUnavailable || down.code() != "SERVICE_UNAVAILABLE" || down.Header.Get("Retry-After") != "1" {
		t.Errorf("keyed install with Redis down: %d %s; want 503", down.Status, down.Raw)
	}
	if n := installs.Load(); n != 2 {
		t.Errorf("%d installs reached REST with Redis down, want still 2", n)
	}
	if r := b.post(t, `{ integrationPackInstances { id } }`, nil); len(r.Errors) != 0 {
		t.Errorf("a query without a key, Redis down: %s", r.Raw)
	}
}
