// Package compose builds a whole gateway from its configuration. It is the
// composition root that cmd/gateway's run calls, and that tests reuse so
// that they run the gateway as users do:
//
//	srv, err := compose.Gateway(cfg, log, compose.Options{Version: v, Tracer: tp})
//	err = srv.Serve(ctx, listener)
//
// It makes the Observer that every REST attempt and attach reports to
// (telemetry.NewObserver), the rate limits (gateway.NewLimits: in memory,
// or in Redis shared by the replicas), the REST client (transport, retry
// policy, rate budget, circuit breaker), the token signer and the spaces'
// registry (auth.NewSpaces), the resolvers and their schema, and hands
// them to gateway.NewServer. Tests compose the gateway the same
// way, optionally over a fake Platform (Options.Platform) or a canned REST
// transport (Options.Transport).
package compose

import (
	"log/slog"
	"net/http"

	"go.opentelemetry.io/otel/trace"

	"github.com/ipack-gateway/ipack-gateway/authtoken"
	"github.com/ipack-gateway/ipack-gateway/config"
	"github.com/ipack-gateway/ipack-gateway/gateway"
	"github.com/ipack-gateway/ipack-gateway/gateway/auth"
	"github.com/ipack-gateway/ipack-gateway/gateway/health"
	"github.com/ipack-gateway/ipack-gateway/gateway/reqlog"
	"github.com/ipack-gateway/ipack-gateway/gateway/telemetry"
	"github.com/ipack-gateway/ipack-gateway/platformapi"
	"github.com/ipack-gateway/ipack-gateway/resolver"
)

// Options are what the caller decides beyond the configuration.
type Options struct {
	// Version names the build in metrics and traces; "" is "unknown".
	Version string
	// Tracer traces the gateway and its REST calls (traceparent is sent
	// upstream); nil: no tracing. The caller owns it and shuts it down.
	Tracer trace.TracerProvider
	// Platform replaces the REST client under the resolvers, e.g. with a
	// fake; nil: a platformapi.Client for cfg.
	Platform resolver.Platform
	// Observer is the one REST attempts and attaches report to, for a
	// test that reports to it too; nil: a new one for Version and Tracer.
	Observer *telemetry.Observer
	// Transport replaces the REST client's HTTP transport (net/http's,
	// with the attempt timeout), e.g. with a canned upstream in a
	// benchmark of the gateway's own work; nil: net/http's.
	Transport http.RoundTripper
	// GraphiQLHeaders prefill GraphiQL's Headers editor (demo mode: its
	// space and token); nil prefills placeholders.
	GraphiQLHeaders map[string]string
	// Signer replaces the token signer of cfg's tokens.signingKey, e.g.
	// with one on a test's clock; it must have that key, or the spaces'
	// token credentials would not match. Nil: cfg's.
	Signer *authtoken.Signer
}

// Gateway builds the gateway for cfg, logging to log.
func Gateway(cfg *config.Config, log *slog.Logger, o Options) (_ *gateway.Server, err error) {
	obs := o.Observer
	if obs == nil {
		obs = telemetry.NewObserver(o.Version, o.Tracer)
	}
	log = reqlog.Logger(log, cfg.Logs) // request ids, throttled warnings
	deps := gateway.Deps{Logger: log, Observer: obs, GraphiQLHeaders: o.GraphiQLHeaders}
	// The rate limits first: with platform.rateLimit.store: redis, the
	// REST budget and the inbound limits share one store.
	lim, err := gateway.NewLimits(cfg, log, obs.Metrics().Registerer())
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			lim.Close() // Serve closes it otherwise
		}
	}()
	deps.Limits = lim
	p := o.Platform
	if p == nil {
		transport := o.Transport
		if transport == nil {
			transport = platformapi.NewTransport(cfg.Platform.AttemptTimeout)
		}
		if o.Tracer != nil {
			transport = telemetry.TracingTransport(transport) // traceparent upstream
		}
		po := cfg.PlatformOptions()
		// The gateway's rules for what REST answers, in front of obs.
		po.Transport, po.Logger, po.Observer = transport, log, auth.RESTObserver(obs)
		po.Limits.TokenSource = lim.TokenSource
		client, err := platformapi.New(po)
		if err != nil {
			return nil, err
		}
		p, deps.Budget = client, client
	}
	if cc, ok := p.(health.CredentialsChecker); ok {
		deps.Credentials = cc // /readyz asks whether REST accepts each space's credentials
	}
	// The spaces' registry: the resolvers ask it what a request may see,
	// the server authenticates requests against it (and loads cfg's
	// spaces into it).
	signer := o.Signer
	if signer == nil {
		if signer, err = cfg.Tokens.Signer(); err != nil {
			return nil, err
		}
	}
	deps.Spaces = auth.NewSpaces(signer)
	ro := cfg.ResolverOptions()
	ro.Logger, ro.Observer, ro.Spaces = log, obs, deps.Spaces
	schema, err := resolver.NewSchema(resolver.New(p, ro), gateway.PanicHandler(log), gateway.SchemaOptions(cfg)...)
	if err != nil {
		return nil, err
	}
	deps.Schema = schema
	return gateway.NewServer(cfg, deps)
}
