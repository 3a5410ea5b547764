// Package limits holds the gateway's limits where platform.rateLimit.store
// puts them: in this process, or shared by every replica through Redis.
// They are the per-client request limit, the failed-authentication
// throttle per address, the records of Idempotency-Key
// (docs/idempotency.md) and, with Redis, each account's REST budget.
//
// The composition root (internal/compose) builds them with New, gives
// TokenSource to the REST client (platformapi.Limits.TokenSource) and the
// rest to the gateway (gateway.Deps.Limits), and closes them when the
// server has stopped. What happens while Redis does not answer is package
// ratelimit's.
package limits

import (
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ipack-gateway/ipack-gateway/config"
	"github.com/ipack-gateway/ipack-gateway/gateway/telemetry"
	"github.com/ipack-gateway/ipack-gateway/idempotency"
	"github.com/ipack-gateway/ipack-gateway/platformapi"
	"github.com/ipack-gateway/ipack-gateway/ratelimit"
)

// Limits are a configuration's limits, in memory or in Redis.
type Limits struct {
	// TokenSource makes each account's REST budget shared through Redis;
	// nil with the memory store (the REST client's in-process bucket) or
	// without pacing.
	TokenSource func(accountID string) platformapi.TokenSource
	// Clients is the per-client limit (clients.requestsPerSecond).
	Clients ratelimit.Keyed
	// AuthFailures is the failed-authentication throttle per client
	// address (clients.authFailuresPerMinute).
	AuthFailures ratelimit.Keyed
	// Idempotency holds the records of Idempotency-Key: in memory, or in
	// the same Redis.
	Idempotency idempotency.Store

	store *ratelimit.Store // nil with the memory store
}

// Memory returns cfg's limits in this process, whatever its store says:
// what New returns for the memory store.
func Memory(cfg *config.Config) *Limits {
	c, i := cfg.Clients, cfg.Idempotency
	return &Limits{
		Clients:      ratelimit.NewMemory(c.RequestsPerSecond, c.Burst),
		AuthFailures: ratelimit.NewMemory(float64(c.AuthFailuresPerMinute)/60, c.AuthFailuresPerMinute),
		Idempotency: idempotency.NewMemory(idempotency.MemoryOptions{Retention: i.Retention, LockTimeout: idempotencyLock(cfg),
			MaxEntries: i.MaxEntries, MaxBytes: i.MaxBytes}),
	}
}

// idempotencyLock is how long a request with an Idempotency-Key may run
// before a repeat takes it for abandoned: the longest any request may take
// (the server's write timeout, which bounds its answer).
func idempotencyLock(cfg *config.Config) time.Duration { return cfg.WriteTimeout() }

// New builds cfg's limits. With the redis store it opens the store
// (without connecting: a Redis that is down only makes it degraded),
// logging its state changes to log and registering the gauge
// ipack_gateway_rate_limit_store_degraded with reg. The caller closes
// them (Close).
func New(cfg *config.Config, log *slog.Logger, reg prometheus.Registerer) (*Limits, error) {
	l := Memory(cfg)
	if cfg.Platform.RateLimit.Store != config.StoreRedis {
		return l, nil
	}
	degraded := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: telemetry.Namespace, Name: "rate_limit_store_degraded",
		Help: "1 while Redis, where the replicas share their rate limits, does not answer and this replica keeps to its local share; 0 otherwise.",
	})
	if err := reg.Register(degraded); err != nil {
		return nil, err
	}
	opts := cfg.StoreOptions()
	opts.Logger = log
	opts.OnChange = func(d bool) {
		if d {
			degraded.Set(1)
		} else {
			degraded.Set(0)
		}
	}
	st, err := ratelimit.Open(opts)
	if err != nil {
		return nil, err
	}
	l.store = st
	// In the same Redis, so that every replica sees every record. No
	// fallback: a request with a key is refused (503) while Redis does not
	// answer (idempotency.Keeper). At least a second a command, since one
	// may carry a response of up to idempotency.maxResponseBytes.
	l.Idempotency = idempotency.NewRedis(st.Client(), idempotency.RedisOptions{KeyPrefix: cfg.Redis.KeyPrefix,
		Retention: cfg.Idempotency.Retention, LockTimeout: idempotencyLock(cfg), Timeout: max(cfg.Redis.Timeout, time.Second)})
	c, rl := cfg.Clients, cfg.Platform.RateLimit
	if c.RequestsPerSecond > 0 {
		// Redis down, a client keeps its whole allowance on each replica:
		// no request is refused because Redis is.
		l.Clients = st.Keyed("clients", c.RequestsPerSecond, c.Burst, l.Clients)
	}
	if n := c.AuthFailuresPerMinute; n > 0 {
		// Redis down, each replica allows its share of the failures: an
		// outage gives a guesser no more tries.
		share := max(n/rl.Replicas, 1)
		l.AuthFailures = st.Keyed("authfail", float64(n)/60, n, ratelimit.NewMemory(float64(share)/60, share))
	}
	if rl.RequestsPerSecond > 0 {
		l.TokenSource = func(accountID string) platformapi.TokenSource {
			return st.Budget(accountID, rl.RequestsPerSecond, rl.Burst, rl.Replicas)
		}
	}
	return l, nil
}

// State is the rateLimitStore check of /readyz: where the limits are, and
// whether this replica has fallen back to its share. It never makes the
// gateway unready: a replica on its share still serves.
func (l *Limits) State() string {
	switch {
	case l == nil || l.store == nil:
		return config.StoreMemory
	case l.store.Degraded():
		return "redis degraded: Redis does not answer, this replica keeps to its share of the limits"
	}
	return config.StoreRedis
}

// Close closes the Redis store, if any. It may be called more than once.
func (l *Limits) Close() {
	if l != nil && l.store != nil {
		_ = l.store.Close()
	}
}
