package gateway

import (
	"net/http"

	"github.com/go-chi/chi/v5"
)

// routes maps every endpoint of the gateway.
func (s *Server) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(withRequestID, s.accessLog, s.recoverer)
	r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	r.Get("/auth/jwt/generate/{accountId}", s.serveToken)
	r.Group(func(r chi.Router) {
		r.Use(s.authenticate)
		r.HandleFunc("/graphql", s.serveGraphQL)
	})
	return r
}
