package gateway_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ipack-gateway/ipack-gateway/ratelimit/redistest"
)

// redisEnv is one replica on the Redis at url: limits shared, keys under
// prefix, a per-client burst of 3 and 4 failed authentications a minute.
func redisEnv(t *testing.T, url, prefix string) *opsEnv {
	t.Helper()
	return newOpsEnv(t, opsOptions{
		platform: "  rateLimit: {store: redis, replicas: 2}\n",
		extraYAML: fmt.Sprintf("redis: {url: %q, keyPrefix: %q, timeout: 2s, probeInterval: 20ms}\n", url, prefix) +
			"clients: {requestsPerSecond: 0.01, burst: 3, authFailuresPerMinute: 4}\n",
	})
}

// With the redis store, the per-client limit and the failed-authentication
// throttle hold for two replicas together, where the memory store would
// give a client each allowance once per replica.
func TestRedisStoreSharesClientLimits(t *testing.T) {
	rd := redistest.New(t)
	h := func(token string) map[string]string {
		return map[string]string{"SPACE_GUID": testSpace, "Authorization": "Bearer " + token}
	}
	t.Run("requests per client", func(t *testing.T) {
		a, b := redisEnv(t, rd.URL(), "clients:"), redisEnv(t, rd.URL(), "clients:")
		// A burst of 3 for both replicas: the 4th request is refused,
		// whichever replica it goes to.
		var got []int
		for _, e := range []*opsEnv{a, b, a, b} {
			got = append(got, e.request(t, `{ __typename }`, h(testToken)).status)
		}
		if fmt.Sprint(got) != "[200 200 200 429]" {
			t.Errorf("statuses %v over two replicas, want [200 200 200 429]", got)
		}
	})
	t.Run("failed authentications", func(t *testing.T) {
		a, b := redisEnv(t, rd.URL(), "auth:"), redisEnv(t, rd.URL(), "auth:")
		// 4 failures a minute for the address, over both replicas: two
		// guesses on each, then the right token is refused too.
		for i, e := range []*opsEnv{a, b, a, b} {
			if r := e.request(t, `{ __typename }`, h("guess")); r.status != http.StatusUnauthorized {
				t.Fatalf("guess %d: %d %s", i, r.status, r.body)
			}
		}
		for name, e := range map[string]*opsEnv{"a": a, "b": b} {
			r := e.request(t, `{ __typename }`, h(testToken))
			if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
				t.Errorf("replica %s after 4 failures over both: %d %s, want 429 with Retry-After", name, r.status, r.body)
			}
		}
	})
}

// Redis down: requests, REST calls included, are still served; /readyz
// stays ready and says the store is degraded, as does the metric; one log
// line says so. Redis back: all of it says redis again by itself.
func TestRedisStoreDown(t *testing.T) {
	rd := redistest.New(t)
	e := redisEnv(t, rd.URL(), "down:")
	storeState := func() (int, string) {
		r := e.get(t, "/readyz", nil)
		var body struct {
			Status string            `json:"status"`
			Checks map[string]string `json:"checks"`
		}
		if err := json.Unmarshal(r.body, &body); err != nil {
			t.Fatalf("/readyz: %s", r.body)
		}
		return r.status, body.Checks["rateLimitStore"]
	}
	degraded := func() float64 { return value(e.scrape(t), "ipack_gateway_rate_limit_store_degraded", nil) }
	if st, s := storeState(); st != http.StatusOK || s != "redis" {
		t.Fatalf("/readyz with Redis up: %d, rateLimitStore %q; want 200, redis", st, s)
	}

	rd.Kill()
	for i := range 3 {
		// A listing makes a REST call, paced by the budget.
		if r := e.authed(t, `{ environments { id } }`); r.status != http.StatusOK || strings.Contains(string(r.body), `"errors"`) {
			t.Fatalf("request %d with Redis down: %d %s", i, r.status, r.body)
		}
	}
	if st, s := storeState(); st != http.StatusOK || !strings.HasPrefix(s, "redis degraded") {
		t.Errorf("/readyz with Redis down: %d, rateLimitStore %q; want 200, redis degraded…", st, s)
	}
	if v := degraded(); v != 1 {
		t.Errorf("ipack_gateway_rate_limit_store_degraded = %v with Redis down, want 1", v)
	}
	if n := strings.Count(e.logs.String(), "Redis does not answer"); n != 1 {
		t.Errorf("%d log lines say Redis does not answer, want 1", n)
	}

	rd.Restart(t)
	for i := 0; ; i++ { // 100 × 50 ms: 5 s at most
		if _, s := storeState(); s == "redis" {
			break
		}
		if i == 100 {
			t.Fatal("not back on Redis within 5 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if v := degraded(); v != 0 {
		t.Errorf("ipack_gateway_rate_limit_store_degraded = %v with Redis back, want 0", v)
	}
	if r := e.authed(t, `{ environments { id } }`); r.status != http.StatusOK {
		t.Errorf("request with Redis back: %d %s", r.status, r.body)
	}
}

// Memory is the default, and /readyz says so; the gauge is not exported.
func TestMemoryStoreReadyz(t *testing.T) {
	e := newOpsEnv(t, opsOptions{})
	r := e.get(t, "/readyz", nil)
	if !strings.Contains(string(r.body), `"rateLimitStore":"memory"`) {
		t.Errorf("/readyz = %s, want rateLimitStore memory", r.body)
	}
	if v := value(e.scrape(t), "ipack_gateway_rate_limit_store_degraded", nil); v != -1 {
		t.Errorf("memory store exports the degraded gauge (%v)", v)
	}
}
