package limits_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ipack-gateway/ipack-gateway/config"
	"github.com/ipack-gateway/ipack-gateway/gateway/limits"
	"github.com/ipack-gateway/ipack-gateway/ratelimit"
	"github.com/ipack-gateway/ipack-gateway/ratelimit/redistest"
)

func parse(t *testing.T, yaml string) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(yaml+`
spaces:
  - guid: g
    accountId: a
    auth: passthrough
`), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// allowed is how many of n requests of one client l lets through.
func allowed(l *limits.Limits, n int) int {
	k := ratelimit.Key{1}
	got := 0
	for range n {
		if ok, _ := l.Clients.Allow(context.Background(), k); ok {
			got++
		}
	}
	return got
}

// The memory store: limits in this process, no shared REST budget, and
// nothing to close.
func TestMemory(t *testing.T) {
	cfg := parse(t, "clients: {requestsPerSecond: 0.01, burst: 2}\n")
	l, err := limits.New(cfg, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if got := l.State(); got != config.StoreMemory {
		t.Errorf("State() = %q, want %q", got, config.StoreMemory)
	}
	if l.TokenSource != nil {
		t.Error("TokenSource is set with the memory store: the REST client would not use its own bucket")
	}
	if l.AuthFailures == nil || l.Idempotency == nil {
		t.Errorf("AuthFailures %v, Idempotency %v: want both", l.AuthFailures, l.Idempotency)
	}
	if got := allowed(l, 4); got != 2 {
		t.Errorf("%d of 4 requests allowed with a burst of 2, want 2", got)
	}
	var none *limits.Limits
	if got := none.State(); got != config.StoreMemory {
		t.Errorf("nil State() = %q, want %q", got, config.StoreMemory)
	}
	none.Close()
}

// The redis store: two replicas' limits share one allowance per client,
// the accounts' REST budgets come from Redis, and Close may be called
// again (compose closes on an error, the server after Serve).
func TestRedis(t *testing.T) {
	rd := redistest.New(t)
	cfg := parse(t, fmt.Sprintf(`platform: {rateLimit: {store: redis, replicas: 2}}
redis: {url: %q, keyPrefix: "limits-test:"}
clients: {requestsPerSecond: 0.01, burst: 3}
`, rd.URL()))
	reg := prometheus.NewRegistry()
	a, err := limits.New(cfg, slog.New(slog.DiscardHandler), reg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := limits.New(cfg, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	if got := a.State(); got != config.StoreRedis {
		t.Errorf("State() = %q, want %q", got, config.StoreRedis)
	}
	if a.TokenSource == nil {
		t.Error("no TokenSource with the redis store: the replicas would each spend the whole REST budget")
	}
	if got := allowed(a, 2) + allowed(b, 2); got != 3 {
		t.Errorf("%d of 2+2 requests allowed over two replicas with a shared burst of 3, want 3", got)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(mfs) != 1 || mfs[0].GetName() != "ipack_gateway_rate_limit_store_degraded" || mfs[0].GetMetric()[0].GetGauge().GetValue() != 0 {
		t.Errorf("registered %v, want ipack_gateway_rate_limit_store_degraded at 0", mfs)
	}
	if _, err := limits.New(cfg, slog.New(slog.DiscardHandler), reg); err == nil {
		t.Error("a second New on the same registry succeeded: its gauge would be registered twice")
	}
	a.Close()
	a.Close()
	b.Close()
}
