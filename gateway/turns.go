package gateway

import (
	"net/http"

	"github.com/ipack-gateway/ipack-gateway/errcode"
	"github.com/ipack-gateway/ipack-gateway/gateway/admission"
	"github.com/ipack-gateway/ipack-gateway/gateway/auth"
	"github.com/ipack-gateway/ipack-gateway/gateway/graphiql"
	"github.com/ipack-gateway/ipack-gateway/gateway/reqlog"
)

// inTurn serves GraphQL requests through next once they have their turn
// to execute (package admission); other paths, and browsers opening
// GraphiQL, go straight to next. A GraphQL request is authenticated first,
// once: its turn is its client's, and a request that authentication
// refuses takes no turn, since it executes nothing (so a flood of bad
// credentials cannot queue ahead of good ones), and gets no byte of its
// body read (an unauthenticated client must not make the gateway hold
// graphql.maxBodyBytes per connection). Its principal, or its refusal,
// goes to auth.Require in the context.
//
// A request that waited for its turn executes on a worker goroutine, so
// that the goroutines of waiting requests keep the shallow stack net/http
// gave them; one admitted at once executes on its own. A request that
// cannot have a turn (it waited graphql.requestTimeout, or it was
// cancelled while waiting) runs next on its connection's goroutine with
// its refusal, which refuseUnadmitted answers, so that it is logged and
// counted like any other refusal; so does, without a turn, a request that
// will be refused before it executes (bad credentials, a body over the
// limit).
func (s *Server) inTurn(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/graphql" || (s.graphiql != nil && graphiql.WantsHTML(r)) {
			next.ServeHTTP(w, r)
			return
		}
		s.metrics.AddInFlight(1)
		defer s.metrics.AddInFlight(-1)
		r, t := s.takeTurn(r)
		if t == nil || t.Refusal() != nil {
			next.ServeHTTP(w, r) // without a turn
			return
		}
		defer s.turns.Leave(t)
		if _, waited := t.Waited(); waited {
			s.workers.Serve(w, r, next)
			return
		}
		// Admitted at once: nothing waits, so nothing is gained by keeping
		// this goroutine's stack small, and handing over to a worker would
		// cost two wake-ups of an idle core (~30 µs of CPU per request,
		// BenchmarkServeAttachCanned).
		next.ServeHTTP(w, r)
	})
}

// takeTurn authenticates r, reads its body ahead and waits for its turn.
// It returns r with its principal or refusal in its context, and its
// ticket when it has one; and the ticket: nil for a request that takes no
// turn, one with a refusal for a request that had none.
func (s *Server) takeTurn(r *http.Request) (*http.Request, *admission.Ticket) {
	p, e := s.auth.Authenticate(r)
	if e != nil {
		return r.WithContext(auth.WithRefusal(r.Context(), e)), nil
	}
	ctx := auth.WithPrincipal(r.Context(), p)
	// A request takes its turn with its body read: a client that sends its
	// body slowly must not hold a turn meanwhile (a hundred such clients
	// would stop every other request). Only the body's bytes are kept; the
	// limits on it are decodeRequest's, as before.
	var tooLarge bool
	if r.Body, tooLarge = admission.Prefetch(r.Body, r.ContentLength, s.cfg.GraphQL.MaxBodyBytes); tooLarge {
		return r.WithContext(ctx), nil
	}
	t := s.turns.Enter(ctx, p.Space, p.Client)
	reqlog.InfoFrom(ctx).Queued, _ = t.Waited() // for the access line
	return r.WithContext(admission.WithTicket(ctx, t)), t
}

// refuseUnadmitted answers a GraphQL request that had no turn to execute:
// 503, with a Retry-After, when it waited graphql.requestTimeout; when its
// client went away, the same, to no one, for the log line.
func (s *Server) refuseUnadmitted(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if t := admission.TicketFrom(r.Context()); t != nil && t.Refusal() != nil {
			s.refuseTurn(w, r, t.Refusal())
			return
		}
		next.ServeHTTP(w, r)
	})
}

// refuseTurn answers a request that had no turn.
func (s *Server) refuseTurn(w http.ResponseWriter, r *http.Request, e *errcode.Error) {
	s.requests.Rejected(r.Context(), string(e.Code))
	w.Header().Set("Retry-After", "1")
	writeError(w, e)
}
