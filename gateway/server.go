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
	"go.opentelemetry.io/otel/trace"

	"github.com/ipack-gateway/ipack-gateway/config"
	"github.com/ipack-gateway/ipack-gateway/gateway/admission"
	"github.com/ipack-gateway/ipack-gateway/gateway/auth"
	"github.com/ipack-gateway/ipack-gateway/gateway/clientaddr"
	"github.com/ipack-gateway/ipack-gateway/gateway/connlimit"
	"github.com/ipack-gateway/ipack-gateway/gateway/graphiql"
	"github.com/ipack-gateway/ipack-gateway/gateway/health"
	"github.com/ipack-gateway/ipack-gateway/gateway/limits"
	"github.com/ipack-gateway/ipack-gateway/gateway/query"
	"github.com/ipack-gateway/ipack-gateway/gateway/reqlog"
	"github.com/ipack-gateway/ipack-gateway/gateway/telemetry"
	"github.com/ipack-gateway/ipack-gateway/idempotency"
	"github.com/ipack-gateway/ipack-gateway/platformapi"
	"github.com/ipack-gateway/ipack-gateway/ratelimit"
)

// Server is the gateway. It is an http.Handler.
type Server struct {
	cfg      *config.Config
	log      *slog.Logger
	spaces   *auth.Spaces         // swapped whole by Reload
	auth     *auth.Authenticator  // of GraphQL requests, and the token endpoint
	addrs    *clientaddr.Resolver // client addresses behind trusted proxies; nil: none
	schema   *graphql.Schema
	analyzer *query.Analyzer // what the gateway knows of a document before it executes
	budget   Budget          // for the budget's per-client queue bound; nil: none
	handler  http.Handler
	metrics  *telemetry.Metrics
	health   *health.Health       // answers /readyz
	tracer   trace.TracerProvider // nil when tracing is off
	graphiql *graphiql.Handler    // nil when disabled
	fields   map[string]bool      // root fields of the schema, for metric labels
	requests *reqlog.Log          // the access log, and refused requests' lines
	turns    *admission.Queue     // turns to execute GraphQL requests (turns.go)
	workers  *admission.Workers   // goroutines that requests which waited execute on
	conns    *connlimit.Metrics   // of inbound connections

	// limits are Deps.Limits' per-client limit, failed-authentication
	// throttle per address and Idempotency-Key records: in memory, or in
	// Redis shared by the replicas.
	limits struct {
		clients, authFailures ratelimit.Keyed
		idempotency           idempotency.Store
	}
	// keeper runs mutations with an Idempotency-Key once (idempotency.go);
	// nil when idempotency.enabled is false.
	keeper *idempotency.Keeper
	closer func() // Deps.Close
}

// Deps are what NewServer wires into HTTP, built by the composition root.
type Deps struct {
	// Logger receives every log line: Logger's, as the REST client and
	// resolvers got it. Required.
	Logger *slog.Logger
	// Schema executes GraphQL requests: resolver.NewSchema with
	// PanicHandler and SchemaOptions. Required.
	Schema *graphql.Schema
	// Analyzer measures and checks each query before Schema executes it:
	// query.NewAnalyzer for cfg.GraphQL and Schema. Required.
	Analyzer *query.Analyzer
	// Observer is the one the REST client and the resolvers report to; it
	// holds the metrics, the upstream's sign of life and the tracer
	// provider. Required.
	Observer *telemetry.Observer
	// Budget tells whether a client has too many requests waiting for its
	// account's REST budget (*platformapi.Client does); nil never refuses.
	Budget Budget
	// Spaces is the registry of the configured spaces, the one the
	// resolvers were given (resolver.Options.Spaces): auth.NewSpaces with
	// the token signer. NewServer loads cfg's spaces into it, and Reload
	// the new configuration's. Required.
	Spaces *auth.Spaces
	// Limits are the per-client limit, the failed-authentication
	// throttle and the Idempotency-Key records, in memory or in Redis
	// (limits.New; the REST client gets its TokenSource). Required.
	Limits *limits.Limits
	// Credentials, when set, lets /readyz ask the REST API whether it
	// accepts each credentials space's credentials (*platformapi.Client
	// does); nil: /readyz does not check them.
	Credentials health.CredentialsChecker
	// GraphiQLHeaders prefill GraphiQL's Headers editor; demo mode passes
	// its space and token. Nil prefills placeholders for SPACE_GUID and
	// Authorization.
	GraphiQLHeaders map[string]string
	// Close, when set, is called once Serve has stopped serving, as it
	// returns: the composition root closes there the long-lived parts it
	// built for the server (the Redis store, the tracer provider).
	Close func()
}

// Budget is what the server asks of the REST client before running a
// request: whether the client's queue for its account's rate budget is
// full, and if so when to come back (platformapi.Client.QueueFull).
type Budget interface {
	QueueFull(accountID string, key platformapi.FlowKey) (bool, time.Duration)
}

// NewServer returns the gateway for cfg, serving deps over HTTP. cfg is
// validated first.
func NewServer(cfg *config.Config, deps Deps) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Logger == nil || deps.Schema == nil || deps.Analyzer == nil || deps.Observer == nil || deps.Limits == nil || deps.Spaces == nil {
		return nil, errors.New("gateway: NewServer needs a Logger, a Schema, an Analyzer, an Observer, Limits and Spaces")
	}
	log := reqlog.Logger(deps.Logger, cfg.Logs)
	obs := deps.Observer
	s := &Server{cfg: cfg, log: log, metrics: obs.Metrics(), tracer: obs.TracerProvider(), requests: reqlog.New(log),
		schema: deps.Schema, analyzer: deps.Analyzer, budget: deps.Budget, spaces: deps.Spaces, closer: deps.Close}
	lim := deps.Limits
	s.limits.clients, s.limits.authFailures, s.limits.idempotency = lim.Clients, lim.AuthFailures, lim.Idempotency
	s.health = health.New(cfg, health.Options{Upstream: obs, Credentials: deps.Credentials, Spaces: s.spaces.Ready, Store: lim.State, Log: log})
	s.conns = connlimit.NewMetrics(s.metrics.Registerer())
	if err := s.spaces.Load(cfg.Spaces, s.health.Track); err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	proxies, err := cfg.Server.Proxies()
	if err == nil {
		s.addrs, err = clientaddr.New(proxies, cfg.Server.ForwardedHeader)
	}
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	s.auth = auth.New(s.spaces, auth.Options{Clients: s.limits.clients, Failures: s.limits.authFailures, Addresses: s.addrs,
		Logger: log, Requests: s.requests, WriteError: writeError})
	s.keeper = s.newKeeper()
	s.fields = query.RootFields(s.schema)
	if cfg.GraphiQL.Enabled {
		if s.graphiql, err = newGraphiQL(deps.GraphiQLHeaders); err != nil {
			return nil, fmt.Errorf("gateway: %w", err)
		}
	}
	s.workers = admission.NewWorkers()
	s.turns = admission.New(cfg.GraphQL.MaxExecuting, cfg.Clients.MaxExecuting, cfg.GraphQL.RequestTimeout, s.metrics.SetQueued)
	s.handler = s.routes()
	return s, nil
}

// queueFull asks the budget whether key's client has too many requests
// waiting for the account's REST budget.
func (s *Server) queueFull(accountID string, key platformapi.FlowKey) (bool, time.Duration) {
	if s.budget == nil {
		return false, 0
	}
	return s.budget.QueueFull(accountID, key)
}

// ServeHTTP serves the gateway's routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// Serve serves on ln until ctx ends, with at most server.maxConnections
// connections open, server.maxConnectionsPerAddress of them from one
// client address (see connlimit.Listener), and each bounded in time: headers,
// body, answer and keep-alive idleness. Then it reports not ready on /readyz
// while it keeps serving for drainDelay (so load balancers stop sending
// traffic), stops accepting, lets in-flight requests finish for up to
// shutdownGrace, then cancels their REST calls (each environment still
// reaches its client as an error), gives them a moment to answer, closes
// what remains; last, it calls Deps.Close.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	base, cancelBase := context.WithCancel(context.Background())
	defer cancelBase()
	lim := connlimit.LimitsFor(s.cfg.Server)
	lim.Exempt = s.addrs.Trusted
	cl := connlimit.NewListener(ln, lim, s.conns, s.log)
	ln = cl
	sc := s.cfg.Server
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: sc.ReadHeaderTimeout,
		ReadTimeout:       sc.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout(),
		IdleTimeout:       sc.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ConnState:         cl.ConnState,
		ConnContext:       connlimit.ConnContext,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return base },
		// HTTP/1.1 only (no TLS here, and h2c is not enabled): no HTTP/2
		// streams to bound.
	}
	s.log.Info("inbound connections bounded", "max_connections", lim.Max, "max_connections_per_address", min(lim.PerAddress, lim.Max), "idle_timeout", sc.IdleTimeout,
		"read_header_timeout", sc.ReadHeaderTimeout, "read_timeout", sc.ReadTimeout, "write_timeout", hs.WriteTimeout)
	if s.closer != nil {
		defer s.closer()
	}
	errc := make(chan error, 1)
	s.health.SetListening(true)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		s.health.SetListening(false)
		return err
	case <-ctx.Done():
	}
	s.health.Drain()
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
	s.health.SetListening(false)
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
