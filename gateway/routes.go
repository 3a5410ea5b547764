package gateway

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/ipack-gateway/ipack-gateway/gateway/graphiql"
)

// routes maps every endpoint of the gateway.
func (s *Server) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(withRequestID, s.accessLog, s.recoverer)
	// Liveness: the process serves HTTP. No I/O, so a slow upstream never
	// gets the gateway restarted.
	r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	r.Get("/auth/jwt/generate/{accountId}", s.serveToken)
	r.Get("/readyz", s.serveReady)
	if s.cfg.Metrics.Enabled {
		r.Method(http.MethodGet, "/metrics", s.metrics.handler())
	}
	api := s.metrics.instrumentGraphQL(markGraphQL(s.authenticate(http.HandlerFunc(s.serveGraphQL))))
	if s.graphiql != nil {
		r.Method(http.MethodGet, graphiqlAssetPath+"*", s.graphiql.Assets())
		r.Method(http.MethodHead, graphiqlAssetPath+"*", s.graphiql.Assets())
		next := api
		// A browser opening the endpoint gets GraphiQL, with no credentials
		// asked: the page sends them with each GraphQL request.
		api = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if graphiql.WantsHTML(r) {
				s.graphiql.ServeHTTP(w, r)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	r.Handle("/graphql", api)
	return r
}

// markGraphQL marks a request as a GraphQL one, rejected until execution
// says otherwise.
func markGraphQL(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		infoFrom(r.Context()).outcome = outcomeRejected
		next.ServeHTTP(w, r)
	})
}
