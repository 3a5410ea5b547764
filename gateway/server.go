// Package gateway is the HTTP side of ipack-gateway: configuration, the
// GraphQL-over-HTTP endpoint, authentication of spaces and tokens, and the
// middleware around them. It wires a platformapi.Client into the resolvers
// and serves the schema.
//
//	cfg, err := gateway.ParseConfig(yamlBytes, os.Getenv)
//	srv, err := gateway.NewServer(cfg, logger, gateway.WithVersion(v))
//	err = srv.Serve(ctx, listener) // returns when ctx ends, after draining
//	err = srv.Reload(loadConfig)   // on SIGHUP: new spaces and tokens
//
// Besides /graphql it serves /healthz (liveness), /readyz (readiness),
// /metrics (Prometheus) and GraphiQL for browsers; it logs one line per
// request and per failed REST attempt, and traces with OpenTelemetry when
// configured.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	graphql "github.com/graph-gophers/graphql-go"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/ipack-gateway/ipack-gateway/authtoken"
	"github.com/ipack-gateway/ipack-gateway/gateway/graphiql"
	"github.com/ipack-gateway/ipack-gateway/platformapi"
	"github.com/ipack-gateway/ipack-gateway/ratelimit"
	"github.com/ipack-gateway/ipack-gateway/resolver"
	"github.com/ipack-gateway/ipack-gateway/schema"
)

// Server is the gateway. It is an http.Handler.
type Server struct {
	cfg      *Config
	log      *slog.Logger
	spaces   atomic.Pointer[map[string]*space] // swapped whole by Reload
	signer   *authtoken.Signer                 // nil when no tokens.signingKey is configured
	schema   *graphql.Schema
	analyzer *analyzer
	vars     *varChecker // coerces and checks variables (variables.go)
	clients  ratelimit.Keyed
	platform *platformapi.Client // for the budget's per-client queue bound
	// authFailures counts failed authentications per client address.
	authFailures ratelimit.Keyed
	handler      http.Handler
	metrics      *metrics
	health       *health
	tracer       trace.TracerProvider     // nil when tracing is off
	ownTP        *sdktrace.TracerProvider // built from cfg.Tracing; flushed by Serve
	graphiql     *graphiql.Handler        // nil when disabled
	fields       map[string]bool          // root fields of the schema, for metric labels
	rejectLog    *rejectThrottle          // rate-limits the lines of refused requests

	// limits are where clients, authFailures and the REST budget live:
	// memory, or Redis shared by the replicas (store.go).
	limits *limits

	// refused remembers passthrough tokens the REST API refused lately.
	refused *refusedSet
	conns   *connMetrics // of inbound connections (conns.go)
}

// NewServer builds the gateway for cfg, which must have passed Validate
// (ParseConfig does that). log receives every log line.
func NewServer(cfg *Config, log *slog.Logger, opts ...Option) (*Server, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.version == "" {
		o.version = "unknown"
	}
	log = withRequestIDs(throttleLogs(log, cfg.Logs))
	s := &Server{cfg: cfg, log: log, metrics: newMetrics(o.version), tracer: o.tracer, refused: newRefusedSet(), rejectLog: newRejectThrottle()}
	if s.tracer == nil {
		tp, err := newTracerProvider(cfg.Tracing, o.version)
		if err != nil {
			return nil, fmt.Errorf("gateway: %w", err)
		}
		if tp != nil {
			s.tracer, s.ownTP = tp, tp
		}
	}
	base := platformapi.NewTransport(cfg.Platform.AttemptTimeout)
	// The probe reads a REST object, the first space's Account, without
	// credentials: the API answers 401, and a base URL that does not lead
	// to the API answers 404.
	acct := url.PathEscape(cfg.Spaces[0].AccountID)
	probe := strings.TrimRight(cfg.Platform.BaseURL, "/") + "/" + acct + "/Account/" + acct
	s.health = newHealth(cfg.Health, probe, base, log)
	s.conns = newConnMetrics(s.metrics.reg)
	baseURL, err := url.Parse(cfg.Platform.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err) // Validate has already checked
	}
	if s.limits, err = newLimits(cfg, log, s.metrics.reg); err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	s.clients, s.authFailures = s.limits.clients, s.limits.authFailures
	client, err := platformapi.New(platformapi.Options{
		BaseURL:        cfg.Platform.BaseURL,
		Transport:      s.restTransport(base, strings.TrimRight(baseURL.Path, "/")),
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
		Observer:  s.metrics,
		Limits: platformapi.Limits{
			RequestsPerSecond: *cfg.Platform.RateLimit.RequestsPerSecond,
			Burst:             cfg.Platform.RateLimit.Burst,
			// The gateway refuses new requests past the bound (HTTP 429)
			// before they run; the budget enforces it for requests that
			// were admitted together.
			MaxQueuedPerClient: *cfg.Clients.MaxQueued,
			TokenSource:        s.limits.tokenSource,
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
	signer, err := newSigner(cfg.Tokens)
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	s.signer = signer
	spaces, err := newSpaces(cfg.Spaces, signer)
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	s.spaces.Store(&spaces)
	s.platform = client
	res := resolver.New(guardedPlatform{Platform: client}, resolver.Options{
		AttachConcurrency: cfg.Attach.Concurrency,
		MaxEnvironments:   cfg.Attach.MaxEnvironments,
		Logger:            log,
		SettleTimeout:     cfg.Attach.SettleTimeout,
		SettleDelay:       cfg.Attach.SettleDelay,
		Rollback:          cfg.Attach.OnPartialFailure == "rollback",
		Observer:          s.metrics,
		Spaces:            spaceDirectory{s},
	})
	schemaOpts := []graphql.SchemaOpt{
		graphql.MaxDepth(cfg.GraphQL.MaxDepth),
		graphql.MaxQueryLength(cfg.GraphQL.MaxQueryLength),
		// The gateway has refused documents that expand past
		// maxSelections already; this is graphql-go's own count of the
		// same, a second line.
		graphql.MaxSelections(cfg.GraphQL.MaxSelections),
		// Validation compares fields of the same response name pairwise:
		// 5,000 "id"s are 12.5 million pairs. This caps the pairs examined
		// per document (see overlapPairLimit).
		graphql.OverlapValidationLimit(overlapPairLimit),
	}
	schemaOpts = append(schemaOpts, resolver.SchemaOptions(panicHandler{log: log}, panicLogger{})...)
	if !*cfg.GraphQL.Introspection {
		schemaOpts = append(schemaOpts, graphql.RestrictIntrospection(func(context.Context) bool { return false }))
	}
	sch, err := graphql.ParseSchema(schema.SDL(), res, schemaOpts...)
	if err != nil {
		return nil, fmt.Errorf("gateway: schema: %w", err)
	}
	s.schema = sch
	s.analyzer = newAnalyzer()
	if s.vars, err = newVarChecker(schema.SDL()); err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	s.fields = rootFields(sch)
	if *cfg.GraphiQL.Enabled {
		if s.graphiql, err = newGraphiQL(o.graphiqlHeaders); err != nil {
			return nil, fmt.Errorf("gateway: %w", err)
		}
	}
	s.handler = s.routes()
	return s, nil
}

// ServeHTTP serves the gateway's routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Serve serves on ln until ctx ends, with at most server.maxConnections
// connections open (see connLimiter) and each bounded in time: headers,
// body, answer and keep-alive idleness. Then it reports not ready on /readyz
// while it keeps serving for drainDelay (so load balancers stop sending
// traffic), stops accepting, lets in-flight requests finish for up to
// shutdownGrace, then cancels their REST calls (each environment still
// reaches its client as an error), gives them a moment to answer, closes
// what remains, and flushes buffered traces.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	base, cancelBase := context.WithCancel(context.Background())
	defer cancelBase()
	limit := s.cfg.Server.maxConnections()
	cl := newConnLimiter(ln, limit, s.conns)
	ln = cl
	sc := s.cfg.Server
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: sc.ReadHeaderTimeout,
		ReadTimeout:       sc.ReadTimeout,
		WriteTimeout:      s.cfg.writeTimeout(),
		IdleTimeout:       sc.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ConnState:         cl.connState,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return base },
		// HTTP/1.1 only (no TLS here, and h2c is not enabled): no HTTP/2
		// streams to bound.
	}
	s.log.Info("inbound connections bounded", "max_connections", limit, "idle_timeout", sc.IdleTimeout,
		"read_header_timeout", sc.ReadHeaderTimeout, "read_timeout", sc.ReadTimeout, "write_timeout", hs.WriteTimeout)
	defer s.flushTraces()
	defer s.limits.close()
	errc := make(chan error, 1)
	s.health.listening.Store(true)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		s.health.listening.Store(false)
		return err
	case <-ctx.Done():
	}
	s.health.draining.Store(true)
	if d := s.cfg.DrainDelay; d > 0 {
		s.log.Info("draining: /readyz answers 503 before the listener closes", "delay", d)
		select {
		case <-time.After(d):
		case err := <-errc:
			return err
		}
	}
	grace := s.cfg.ShutdownGrace
	s.log.Info("shutting down: draining in-flight requests", "grace", grace)
	gctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := hs.Shutdown(gctx)
	s.health.listening.Store(false)
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

// flushTraces sends the spans still buffered, for a few seconds at most.
func (s *Server) flushTraces() {
	if s.ownTP == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.ownTP.Shutdown(ctx); err != nil {
		s.log.Warn("flushing traces failed", "err", err)
	}
}
