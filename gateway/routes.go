package gateway

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/ipack-gateway/ipack-gateway/errcode"
	"github.com/ipack-gateway/ipack-gateway/gateway/connlimit"
	"github.com/ipack-gateway/ipack-gateway/gateway/reqlog"
	"github.com/ipack-gateway/ipack-gateway/gateway/telemetry"
)

// routes maps every endpoint of the gateway, each with its whole stack of
// middleware, outermost first.
func (s *Server) routes() http.Handler {
	r := chi.NewRouter()
	// Every request: a server span (GraphQL requests only), one access
	// log line, and panics turned into 500s.
	r.Use(telemetry.TraceGraphQL(s.tracer), s.requests.Access, reqlog.Recoverer(s.log, answerPanic))

	// Liveness: the process serves HTTP. No I/O, so a slow upstream never
	// gets the gateway restarted.
	r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	r.Method(http.MethodGet, "/readyz", s.health)
	// Browsers ask for an icon on every page they open (GraphiQL's);
	// there is none, and a 404 each time fills the access log and the
	// browser's console. No content, and ask again in a day.
	r.Get("/favicon.ico", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		w.WriteHeader(http.StatusNoContent)
	})
	r.Get("/auth/jwt/generate/{accountId}", s.auth.ServeToken)
	if s.cfg.Metrics.Enabled {
		r.Method(http.MethodGet, "/metrics", s.metrics.Handler())
	}
	if s.graphiql != nil {
		r.Method(http.MethodGet, graphiqlAssetPath+"*", s.graphiql.Assets())
		r.Method(http.MethodHead, graphiqlAssetPath+"*", s.graphiql.Assets())
	}
	// GraphQL: a browser gets GraphiQL (no credentials asked: the page
	// sends them with each request); the rest is counted and timed, marked
	// rejected until it executes, refused if it had no turn to execute or
	// its authentication (before the turn) refused it, and served as its
	// principal.
	r.With(s.graphiqlForBrowsers, s.metrics.InstrumentGraphQL, markGraphQL, s.refuseUnadmitted, s.auth.Require).
		Handle("/graphql", http.HandlerFunc(s.serveGraphQL))
	// Before all of it, a GraphQL request is authenticated and waits for
	// its turn to execute, and then runs on a goroutine of its own if it
	// waited (turns.go); before that, every request gets its id and the
	// record of what becomes of it (reqlog.Info, where the turn's wait is
	// noted); and first, a request answered before its body was read gets
	// its connection closed.
	return connlimit.CloseUnread(reqlog.RequestID(s.inTurn(r)))
}

// answerPanic answers a request whose handler panicked (reqlog.Recoverer).
func answerPanic(w http.ResponseWriter, r *http.Request) {
	writeError(w, &errcode.Error{Code: errcode.GenericSystemError, Message: "Internal server error (request " + reqlog.IDFrom(r.Context()) + ")"})
}

// markGraphQL marks a request as a GraphQL one, rejected until execution
// says otherwise.
func markGraphQL(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reqlog.InfoFrom(r.Context()).Outcome = reqlog.OutcomeRejected
		next.ServeHTTP(w, r)
	})
}
