// Package compose builds a whole gateway from its configuration. It is the
// composition root: the one place where the gateway's long-lived parts are
// made, each given its dependencies explicitly. cmd/gateway's run calls it,
// and tests reuse it so that they run the gateway as users do:
//
//	srv, err := compose.Gateway(cfg, log, compose.Options{Version: v})
//	err = srv.Serve(ctx, listener) // then closes what Gateway opened
//
// Gateway makes, in this order:
//
//   - the tracer provider that cfg.Tracing describes (telemetry.NewTracerProvider;
//     none without an endpoint), unless Options.Tracer gives one;
//   - the Observer that every REST attempt and attach reports to
//     (telemetry.NewObserver: metrics, spans), unless Options.Observer
//     gives one;
//   - the limits (limits.New: the per-client limit, the failed-
//     authentication throttle, the Idempotency-Key records and the
//     accounts' REST budgets, in memory or in Redis shared by the
//     replicas);
//   - the REST client (platformapi.New: transport, retry policy, rate
//     budget on the limits' TokenSource, circuit breaker), reporting to the
//     Observer through auth.RESTObserver, unless Options.Platform
//     replaces it (a fake) or Options.Transport its transport (a canned
//     upstream);
//   - the token signer (config's Tokens.Signer, unless Options.Signer
//     gives one) and the spaces' registry (auth.NewSpaces), which the
//     resolvers ask what a request may see and the server authenticates
//     against;
//   - the resolvers over the REST client and their schema
//     (resolver.New, resolver.NewSchema), and the query Analyzer of that
//     schema (query.NewAnalyzer);
//   - the server (gateway.NewServer), given all of the above in
//     gateway.Deps, which assembles them into HTTP routes.
//
// What Gateway opened it closes itself on an error, and otherwise hands to
// the server to close when Serve returns (gateway.Deps.Close): the Redis
// store, then the tracer provider, which flushes its last spans.
package compose

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/ipack-gateway/ipack-gateway/authtoken"
	"github.com/ipack-gateway/ipack-gateway/config"
	"github.com/ipack-gateway/ipack-gateway/gateway"
	"github.com/ipack-gateway/ipack-gateway/gateway/auth"
	"github.com/ipack-gateway/ipack-gateway/gateway/health"
	"github.com/ipack-gateway/ipack-gateway/gateway/limits"
	"github.com/ipack-gateway/ipack-gateway/gateway/query"
	"github.com/ipack-gateway/ipack-gateway/gateway/reqlog"
	"github.com/ipack-gateway/ipack-gateway/gateway/telemetry"
	"github.com/ipack-gateway/ipack-gateway/platformapi"
	"github.com/ipack-gateway/ipack-gateway/resolver"
	"github.com/ipack-gateway/ipack-gateway/schema"
)

// Options are what the caller decides beyond the configuration.
type Options struct {
	// Version names the build in metrics and traces; "" is "unknown".
	Version string
	// Tracer traces the gateway and its REST calls (traceparent is sent
	// upstream), e.g. a test's in-memory recorder; the caller owns it and
	// shuts it down. Nil: the provider cfg.Tracing describes, which
	// Gateway makes and the server shuts down (none when tracing is off).
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

// Gateway builds the gateway for cfg, logging to log. Serving it
// (gateway.Server.Serve) closes, when Serve returns, what Gateway opened.
func Gateway(cfg *config.Config, log *slog.Logger, o Options) (_ *gateway.Server, err error) {
	var closers []func() // what the server closes when Serve returns, in this order
	closeAll := func() {
		for _, c := range closers {
			c()
		}
	}
	defer func() {
		if err != nil {
			closeAll() // nothing serves: close what was opened
		}
	}()

	tracer := o.Tracer
	if tracer == nil {
		tp, err := telemetry.NewTracerProvider(cfg.Tracing, o.Version)
		if err != nil {
			return nil, err
		}
		if tp != nil { // a nil *TracerProvider is not a nil interface
			tracer = tp
			closers = append(closers, func() { shutdownTracing(tp, log) }) // flushes the last spans
		}
	}
	obs := o.Observer
	if obs == nil {
		obs = telemetry.NewObserver(o.Version, tracer)
	}
	log = reqlog.Logger(log, cfg.Logs) // request ids, throttled warnings
	deps := gateway.Deps{Logger: log, Observer: obs, GraphiQLHeaders: o.GraphiQLHeaders, Close: closeAll}

	// The limits before the REST client: with platform.rateLimit.store:
	// redis, the REST budget and the inbound limits share one store.
	lim, err := limits.New(cfg, log, obs.Metrics().Registerer())
	if err != nil {
		return nil, err
	}
	closers = append([]func(){lim.Close}, closers...) // closed first: requests no longer use it
	deps.Limits = lim

	p := o.Platform
	if p == nil {
		transport := o.Transport
		if transport == nil {
			transport = platformapi.NewTransport(cfg.Platform.AttemptTimeout)
		}
		if tracer != nil {
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
	if deps.Schema, err = resolver.NewSchema(resolver.New(p, ro), gateway.PanicHandler(log), gateway.SchemaOptions(cfg)...); err != nil {
		return nil, err
	}
	if deps.Analyzer, err = query.NewAnalyzer(cfg.GraphQL, deps.Schema, schema.SDL()); err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	return gateway.NewServer(cfg, deps)
}

// Check reports what config.Parse cannot check of cfg without building
// the gateway: the tracing exporter's settings, checked by making it,
// which does no I/O (the -check-config flag).
func Check(cfg *config.Config, version string) error {
	tp, err := telemetry.NewTracerProvider(cfg.Tracing, version)
	if err != nil {
		return err
	}
	if tp != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = tp.Shutdown(ctx) // it has no spans to flush
	}
	return nil
}

// shutdownTracing flushes the spans still buffered, for a few seconds at
// most.
func shutdownTracing(tp *sdktrace.TracerProvider, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := tp.Shutdown(ctx); err != nil {
		log.Warn("flushing traces failed", "err", err)
	}
}
