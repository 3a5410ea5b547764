package auth

import (
	"context"
	"crypto/sha256"
	"net/http"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/ipack-gateway/ipack-gateway/platformapi"
)

// A passthrough space admits any bearer token and lets the REST API judge
// it, so the REST API's refusal is the gateway's failed authentication:
// without that, guesses would be throttled only by the per-address request
// rate and would spend the account's REST budget. Three things follow:
//
//   - a REST 401 or 403 for a forwarded token charges the client address's
//     failed-authentication budget (clients.authFailuresPerMinute), once per
//     GraphQL request, as a wrong client token does;
//   - a token the REST API answered 401 is remembered (its hash, with the
//     account, for refusedTokenTTL; at most refusedTokens of them): sent
//     again, the request runs as before but none of its REST calls is
//     made, each failing as the REST API's 401 did. A 403 is not
//     remembered: it may refuse one operation to a token that may do
//     others;
//   - after a 401, the request's calls that have not started yet fail at
//     once with the same 401 instead of each spending a REST call: a
//     refused attach of 100 environments costs the REST calls already under
//     way (at most attach.concurrency), not 100.
//
// So one request gets one answer, whether its token's refusal is learned
// by its own REST call or was remembered from an earlier request: HTTP 200
// with the field's "Downstream Execution Error: Unauthorized", the same
// bytes both times (TestPassthroughRefusalSameAnswer). The GraphQL-over-HTTP
// specification wants that status: the request is well-formed and its
// data is not null (the fields that need no REST call still answer), and
// the refusal is a field error. The vendor's page shows its 401 refusal as
// a field error too (with path), under HTTP 401: docs/vendor-differences.md.
const (
	refusedTokenTTL = time.Minute
	refusedTokens   = 10000
)

// refusedSet remembers tokens the REST API refused, by hash, each until its
// expiry. It is safe for concurrent use.
type refusedSet struct {
	cache *lru.Cache[[32]byte, time.Time]
	now   func() time.Time
}

func newRefusedSet() *refusedSet {
	c, _ := lru.New[[32]byte, time.Time](refusedTokens)
	return &refusedSet{cache: c, now: time.Now}
}

// refusedKey keys a token of an account: the vendor's tokens are account's.
func refusedKey(accountID, token string) [32]byte {
	return sha256.Sum256([]byte("refused\x00" + accountID + "\x00" + token))
}

func (r *refusedSet) add(key [32]byte) { r.cache.Add(key, r.now().Add(refusedTokenTTL)) }

func (r *refusedSet) has(key [32]byte) bool {
	until, ok := r.cache.Get(key)
	if ok && !r.now().Before(until) {
		r.cache.Remove(key)
		return false
	}
	return ok
}

// passthroughCall is what a passthrough request's REST calls learned of
// its token.
type passthroughCall struct {
	refused   atomic.Bool // a REST call answered 401
	forbidden atomic.Bool // a REST call answered 403
	// remember puts the token in the refused set; called at the first
	// 401, so that a request the client sends once it has this one's
	// answer finds it there (done runs after the answer is written).
	remember func()
}

type passthroughKey struct{}

// watchRefusals returns ctx with a passthroughCall for the REST calls of
// p's request r to report to, and a func to call when the request is
// done: it charges a refusal to the client's address and remembers a
// refused token (again, so that a token that keeps coming back stays
// remembered).
func (a *Authenticator) watchRefusals(ctx context.Context, r *http.Request, p *Principal) (context.Context, func()) {
	key := refusedKey(p.Account, p.token)
	pc := &passthroughCall{remember: func() { a.refused.add(key) }}
	// A token the REST API refused lately: none of the request's calls is
	// sent (refusedAlready), each failing as REST's 401 did.
	pc.refused.Store(a.refused.has(key))
	return context.WithValue(ctx, passthroughKey{}, pc), func() {
		refused := pc.refused.Load()
		if refused {
			a.refused.add(key)
		}
		if refused || pc.forbidden.Load() {
			a.failures.Charge(ctx, a.addressKey("auth", r))
		}
	}
}

// refusedAlready is the error that refuses a REST call of a passthrough
// request whose token the REST API refused (401) already, before the call
// is sent (restObserver.AttemptStart); nil for any other request. Nothing is
// sent, so no outcome is in doubt.
func refusedAlready(ctx context.Context) error {
	pc, _ := ctx.Value(passthroughKey{}).(*passthroughCall)
	if pc == nil || !pc.refused.Load() {
		return nil
	}
	// The same error as the call the REST API refused: the client cannot
	// tell the two apart, and need not (the resolvers report it without
	// "not sent": a 401 changes nothing either way).
	return &platformapi.Error{StatusCode: http.StatusUnauthorized}
}

// noteRefusal notes a REST 401 or 403 to a passthrough request's calls
// (restObserver.AttemptDone).
func noteRefusal(ctx context.Context, status int) {
	if status != http.StatusUnauthorized && status != http.StatusForbidden {
		return
	}
	pc, _ := ctx.Value(passthroughKey{}).(*passthroughCall)
	if pc == nil {
		return
	}
	if status == http.StatusUnauthorized {
		if !pc.refused.Swap(true) {
			pc.remember()
		}
	} else {
		pc.forbidden.Store(true)
	}
}

// RESTObserver returns the observer the REST client reports to: obs (the
// metrics and spans of each attempt; a *telemetry.Observer), behind the
// rules that REST answers feed: the calls of a passthrough request whose
// token the REST API refused are refused before they are sent
// (refusedAlready, noteRefusal), and a credentials space's check for
// /readyz learns what the REST API said of its credentials.
func RESTObserver(obs platformapi.Observer) platformapi.Observer { return restObserver{obs} }

type restObserver struct{ next platformapi.Observer }

// refusedAttemptKey marks the context of an attempt restObserver refused:
// it is no attempt of next's, which must not see its end either (a tracing
// observer would end the span it finds there: the request's own).
type refusedAttemptKey struct{}

// AttemptStart implements platformapi.Observer.
func (o restObserver) AttemptStart(ctx context.Context, a platformapi.Attempt) (context.Context, error) {
	if err := refusedAlready(ctx); err != nil {
		return context.WithValue(ctx, refusedAttemptKey{}, true), err
	}
	return o.next.AttemptStart(ctx, a)
}

// AttemptDone implements platformapi.Observer.
func (o restObserver) AttemptDone(ctx context.Context, a platformapi.Attempt) {
	if ctx.Value(refusedAttemptKey{}) != nil {
		return // nothing was sent
	}
	o.next.AttemptDone(ctx, a)
	if !a.Dispatched || a.StatusCode == 0 {
		return
	}
	noteRefusal(ctx, a.StatusCode)
	if p := PrincipalFrom(ctx); p != nil && p.sp.creds != nil {
		p.sp.creds.Answered(a.StatusCode) // for /readyz's credentials check
	}
}

// CircuitChange implements platformapi.Observer.
func (o restObserver) CircuitChange(accountID, state string) { o.next.CircuitChange(accountID, state) }
