// Package gateway is the HTTP side of ipack-gateway: configuration, the
// GraphQL-over-HTTP endpoint, authentication of spaces and tokens, and the
// middleware around them. It wires a platformapi.Client into the resolvers
// and serves the schema.
//
//	cfg, err := gateway.ParseConfig(yamlBytes, os.Getenv)
//	srv, err := gateway.NewServer(cfg, logger)
//	err = srv.Serve(ctx, listener) // returns when ctx ends, after draining
package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/ipack-gateway/ipack-gateway/authtoken"
	"github.com/ipack-gateway/ipack-gateway/platformapi"
	"github.com/ipack-gateway/ipack-gateway/resolver"
	"github.com/ipack-gateway/ipack-gateway/schema"
)

// Server is the gateway. It is an http.Handler.
type Server struct {
	cfg      *Config
	log      *slog.Logger
	spaces   map[string]*space
	signer   *authtoken.Signer // nil when no tokens.signingKey is configured
	schema   *graphql.Schema
	analyzer *analyzer
	clients  *clientLimiter
	handler  http.Handler
}

// NewServer builds the gateway for cfg, which must have passed Validate
// (ParseConfig does that). log receives every log line.
func NewServer(cfg *Config, log *slog.Logger) (*Server, error) {
	client, err := platformapi.New(platformapi.Options{
		BaseURL:        cfg.Platform.BaseURL,
		AttemptTimeout: cfg.Platform.AttemptTimeout,
		MaxQueryPages:  cfg.Platform.MaxQueryPages,
		Retry: platformapi.RetryPolicy{
			MaxAttempts:   cfg.Platform.Retry.MaxAttempts,
			WaitMin:       cfg.Platform.Retry.WaitMin,
			WaitMax:       cfg.Platform.Retry.WaitMax,
			RetryAfterMax: cfg.Platform.Retry.RetryAfterMax,
		},
		UserAgent: "ipack-gateway",
		Logger:    log,
		Limits: platformapi.Limits{
			RequestsPerSecond: *cfg.Platform.RateLimit.RequestsPerSecond,
			Burst:             cfg.Platform.RateLimit.Burst,
			Breaker: platformapi.BreakerSettings{
				Disabled:       !*cfg.Platform.CircuitBreaker.Enabled,
				FailureRatio:   cfg.Platform.CircuitBreaker.FailureRatio,
				MinRequests:    cfg.Platform.CircuitBreaker.MinRequests,
				Window:         cfg.Platform.CircuitBreaker.Window,
				OpenFor:        cfg.Platform.CircuitBreaker.OpenFor,
				HalfOpenProbes: cfg.Platform.CircuitBreaker.HalfOpenProbes,
			},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	spaces, err := newSpaces(cfg.Spaces)
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	res := resolver.New(client, resolver.Options{
		AttachConcurrency: cfg.Attach.Concurrency,
		MaxEnvironments:   cfg.Attach.MaxEnvironments,
		Logger:            log,
		SettleTimeout:     cfg.Attach.SettleTimeout,
		Rollback:          cfg.Attach.OnPartialFailure == "rollback",
	})
	opts := []graphql.SchemaOpt{
		graphql.MaxDepth(cfg.GraphQL.MaxDepth),
		graphql.MaxQueryLength(cfg.GraphQL.MaxQueryLength),
		// Attach and unattach results never nest; fragments may expand a
		// document, and this bounds what they expand to.
		graphql.MaxSelections(5000),
		graphql.PanicHandler(panicHandler{log: log}),
		graphql.Logger(panicLogger{}),
	}
	if !*cfg.GraphQL.Introspection {
		opts = append(opts, graphql.RestrictIntrospection(func(context.Context) bool { return false }))
	}
	sch, err := graphql.ParseSchema(schema.SDL(), res, opts...)
	if err != nil {
		return nil, fmt.Errorf("gateway: schema: %w", err)
	}
	signer, err := newSigner(cfg.Tokens)
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	s := &Server{cfg: cfg, log: log, spaces: spaces, signer: signer, schema: sch, analyzer: newAnalyzer(),
		clients: newClientLimiter(*cfg.Clients.RequestsPerSecond, cfg.Clients.Burst)}
	s.handler = s.routes()
	return s, nil
}

// ServeHTTP serves the gateway's routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Serve serves on ln until ctx ends. Then it stops accepting, lets
// in-flight requests finish for up to the configured shutdownGrace, then
// cancels their REST calls (each environment still reaches its client as an
// error), gives them a moment to answer, and closes what remains.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	base, cancelBase := context.WithCancel(context.Background())
	defer cancelBase()
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return base },
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	grace := s.cfg.ShutdownGrace
	s.log.Info("shutting down: draining in-flight requests", "grace", grace)
	gctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := hs.Shutdown(gctx)
	if errors.Is(err, context.DeadlineExceeded) {
		s.log.Warn("grace period over: cancelling in-flight requests")
		cancelBase()
		fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if hs.Shutdown(fctx) != nil {
			hs.Close()
		}
		err = fmt.Errorf("gateway: in-flight requests cancelled after the %s grace period", grace)
	}
	if err2 := <-errc; err == nil && !errors.Is(err2, http.ErrServerClosed) {
		err = err2
	}
	return err
}
