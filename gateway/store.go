package gateway

import (
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ipack-gateway/ipack-gateway/platformapi"
	"github.com/ipack-gateway/ipack-gateway/ratelimit"
)

// limits are the gateway's rate limits as platform.rateLimit.store puts
// them: in this process, or shared by every replica through Redis.
type limits struct {
	// store is the Redis store, nil with the memory store.
	store *ratelimit.Store
	// clients bounds each client's request rate (clients.requestsPerSecond).
	clients ratelimit.Keyed
	// authFailures counts failed authentications per client address
	// (clients.authFailuresPerMinute).
	authFailures ratelimit.Keyed
	// tokenSource makes each account's REST budget; nil: the in-process
	// bucket.
	tokenSource func(accountID string) platformapi.TokenSource
}

// newLimits builds the limits of cfg. With Redis, the store's degraded
// state is the gauge ipack_gateway_rate_limit_store_degraded of reg.
func newLimits(cfg *Config, log *slog.Logger, reg *prometheus.Registry) (*limits, error) {
	perSecond := *cfg.Clients.RequestsPerSecond
	authPerMinute := *cfg.Clients.AuthFailuresPerMinute
	l := &limits{
		clients:      ratelimit.NewMemory(perSecond, cfg.Clients.Burst),
		authFailures: ratelimit.NewMemory(float64(authPerMinute)/60, authPerMinute),
	}
	if cfg.Platform.RateLimit.Store != StoreRedis {
		return l, nil
	}
	degraded := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: metricsNamespace, Name: "rate_limit_store_degraded",
		Help: "1 while Redis, where the replicas share their rate limits, does not answer and this replica keeps to its local share; 0 otherwise.",
	})
	reg.MustRegister(degraded)
	opts := cfg.storeOptions()
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
	replicas := cfg.Platform.RateLimit.Replicas
	if perSecond > 0 {
		// Redis down, a client keeps its whole allowance on each replica:
		// no request is refused because Redis is.
		l.clients = st.Keyed("clients", perSecond, cfg.Clients.Burst, l.clients)
	}
	if authPerMinute > 0 {
		// Redis down, each replica allows its share of the failures: an
		// outage gives a guesser no more tries.
		share := max(authPerMinute/replicas, 1)
		l.authFailures = st.Keyed("authfail", float64(authPerMinute)/60, authPerMinute,
			ratelimit.NewMemory(float64(share)/60, share))
	}
	rl := cfg.Platform.RateLimit
	if rps := *rl.RequestsPerSecond; rps > 0 {
		l.tokenSource = func(accountID string) platformapi.TokenSource {
			return st.Budget(accountID, rps, rl.Burst, replicas)
		}
	}
	return l, nil
}

// storeState is the rateLimitStore check of /readyz: where the limits
// are, and whether this replica has fallen back to its share. It never
// makes the gateway unready: a replica on its share still serves.
func (l *limits) storeState() string {
	switch {
	case l == nil || l.store == nil:
		return StoreMemory
	case l.store.Degraded():
		return "redis degraded: Redis does not answer, this replica keeps to its share of the limits"
	}
	return StoreRedis
}

// close closes the Redis store, if any.
func (l *limits) close() {
	if l != nil && l.store != nil {
		_ = l.store.Close()
	}
}
