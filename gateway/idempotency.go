package gateway

import (
	"log/slog"
	"net/http"

	"github.com/ipack-gateway/ipack-gateway/gateway/auth"
	"github.com/ipack-gateway/ipack-gateway/gateway/query"
	"github.com/ipack-gateway/ipack-gateway/gateway/reqlog"
	"github.com/ipack-gateway/ipack-gateway/idempotency"
)

// newKeeper is the server's Keeper of Idempotency-Key, on the limits'
// store (memory, or the replicas' Redis); nil when idempotency.enabled is
// false.
func (s *Server) newKeeper() *idempotency.Keeper {
	if !s.cfg.Idempotency.Enabled {
		return nil
	}
	return idempotency.New(idempotency.Options{
		Store:            s.limits.idempotency,
		MaxResponseBytes: s.cfg.Idempotency.MaxResponseBytes,
		WriteError:       writeError,
		Logger:           s.log,
	})
}

// keyed reports whether r is a mutation to run once per Idempotency-Key.
// A query with the header is just executed: running it again changes
// nothing.
func (s *Server) keyed(r *http.Request, op *query.Operation) bool {
	return s.keeper != nil && op.IsMutation() && idempotency.Requested(r) && auth.PrincipalFrom(r.Context()) != nil
}

// serveOnce executes a mutation that carries an Idempotency-Key through the
// Keeper: a repeat is answered from the record of the first (see
// docs/idempotency.md). What is recorded is the response of an execution,
// whatever it says; a refusal before execution (the client's queue for
// its account's budget full) is not, and frees the key.
func (s *Server) serveOnce(w http.ResponseWriter, r *http.Request, req *gqlRequest, op *query.Operation, doc *query.Document, info *reqlog.Info) {
	p := auth.PrincipalFrom(r.Context())
	scope := idempotency.Scope{Space: p.Space, Client: p.Client[:]}
	res := s.keeper.Serve(w, r, scope, idempotency.Request{Query: req.Query, OperationName: req.OperationName, Variables: req.Variables},
		func(w http.ResponseWriter) bool {
			resp := s.execute(w, r, req, doc, op)
			if resp == nil {
				return false // refused, and answered
			}
			s.respond(w, r, resp, doc, info)
			return true
		})
	switch res {
	case idempotency.Replayed:
		info.Outcome = reqlog.OutcomeReplayed
	case idempotency.Unknown:
		info.Outcome = reqlog.OutcomeError
	}
	if res != idempotency.Executed && res != idempotency.Replayed {
		s.log.LogAttrs(r.Context(), slog.LevelDebug, "idempotency key", slog.String("result", res.String()))
	}
}
