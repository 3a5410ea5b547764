package config

import (
	"github.com/ipack-gateway/ipack-gateway/platformapi"
	"github.com/ipack-gateway/ipack-gateway/resolver"
)

// The REST client's and the resolvers' options, as the configuration sets
// them. Only values are set: the composition root (cmd/gateway) adds the
// logger, observer and transport it builds.

// PlatformOptions are the platformapi.Client options of c.Platform and
// clients.maxQueued.
func (c *Config) PlatformOptions() platformapi.Options {
	p := c.Platform
	return platformapi.Options{
		BaseURL:        p.BaseURL,
		AttemptTimeout: p.AttemptTimeout,
		MaxQueryPages:  p.MaxQueryPages,
		Retry: platformapi.RetryPolicy{
			MaxAttempts:   p.Retry.MaxAttempts,
			WaitMin:       p.Retry.WaitMin,
			WaitMax:       p.Retry.WaitMax,
			RetryAfterMax: p.Retry.RetryAfterMax,
		},
		Limits: platformapi.Limits{
			RequestsPerSecond: p.RateLimit.RequestsPerSecond,
			Burst:             p.RateLimit.Burst,
			// The gateway refuses new requests past the bound (HTTP 429)
			// before they run; the budget enforces it for requests that
			// were admitted together.
			MaxQueuedPerClient: c.Clients.MaxQueued,
			Breaker: platformapi.BreakerSettings{
				Disabled:       !p.CircuitBreaker.Enabled,
				FailureRatio:   p.CircuitBreaker.FailureRatio,
				MinRequests:    p.CircuitBreaker.MinRequests,
				Window:         p.CircuitBreaker.Window,
				OpenFor:        p.CircuitBreaker.OpenFor,
				HalfOpenProbes: p.CircuitBreaker.HalfOpenProbes,
			},
		},
	}
}

// ResolverOptions are the resolver options of c.Attach.
func (c *Config) ResolverOptions() resolver.Options {
	a := c.Attach
	return resolver.Options{
		AttachConcurrency: a.Concurrency,
		MaxEnvironments:   a.MaxEnvironments,
		SettleTimeout:     a.SettleTimeout,
		SettleDelay:       a.SettleDelay,
		Rollback:          a.OnPartialFailure == OnPartialFailureRollback,
	}
}
