package gateway

import (
	"context"
	"crypto/sha256"
	"errors"
	"net/http"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/ipack-gateway/ipack-gateway/errcode"
	"github.com/ipack-gateway/ipack-gateway/platformapi"
	"github.com/ipack-gateway/ipack-gateway/resolver"
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
//     account, for refusedTokenTTL; at most refusedTokens of them), and
//     comes back as HTTP 401 before any REST call. A 403 is not remembered:
//     it may refuse one operation to a token that may do others;
//   - after a 401, the request's calls that have not started yet fail at
//     once with the same 401 instead of each spending a REST call: a
//     refused attach of 100 environments costs the REST calls already under
//     way (at most attach.concurrency), not 100.
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

// checkPassthrough refuses a token the REST API refused lately.
func (s *Server) checkPassthrough(sp *space, token string) *errcode.Error {
	if s.refused.has(refusedKey(sp.account.ID, token)) {
		return errcode.New(errcode.Unauthorized, "Unauthorized: the Platform API refused this token")
	}
	return nil
}

// passthroughCall is what a passthrough request's REST calls learned of
// its token.
type passthroughCall struct {
	refused   atomic.Bool // a REST call answered 401
	forbidden atomic.Bool // a REST call answered 403
}

type passthroughKey struct{}

// watchRefusals returns ctx with a passthroughCall for the request's REST
// calls to report to, and a func to call when the request is done: it
// charges a refusal to the client's address and remembers a refused token.
func (s *Server) watchRefusals(ctx context.Context, r *http.Request, accountID, token string) (context.Context, func()) {
	pc := &passthroughCall{}
	return context.WithValue(ctx, passthroughKey{}, pc), func() {
		refused := pc.refused.Load()
		if refused {
			s.refused.add(refusedKey(accountID, token))
		}
		if refused || pc.forbidden.Load() {
			s.authFailures.Charge(ctx, addressKey("auth", r))
		}
	}
}

// guardedPlatform is the resolvers' Platform with the passthrough rules
// above: it notes REST 401 and 403, and once a request's token was refused
// it fails that request's later calls without making them. Requests of
// credential spaces pass straight through. The Platform is embedded so that
// a method added to the interface still compiles (unguarded) until it is
// added here.
type guardedPlatform struct {
	resolver.Platform
}

// guard runs call for object unless the request's token was refused
// already, and notes a refusal in its answer.
func guard[T any](ctx context.Context, method, object string, call func() (T, error)) (T, error) {
	pc, _ := ctx.Value(passthroughKey{}).(*passthroughCall)
	if pc == nil {
		return call()
	}
	if pc.refused.Load() {
		var zero T
		// Nothing was sent, so no outcome is in doubt.
		return zero, &platformapi.Error{Method: method, Object: object, StatusCode: http.StatusUnauthorized}
	}
	v, err := call()
	var pe *platformapi.Error
	if errors.As(err, &pe) {
		switch pe.StatusCode {
		case http.StatusUnauthorized:
			pc.refused.Store(true)
		case http.StatusForbidden:
			pc.forbidden.Store(true)
		}
	}
	return v, err
}

const (
	objAttachment = "IntegrationPackEnvironmentAttachment"
	objInstance   = "IntegrationPackInstance"
)

func (g guardedPlatform) CreateAttachment(ctx context.Context, acct platformapi.Account, instanceID, environmentID string) (platformapi.Attachment, error) {
	return guard(ctx, http.MethodPost, objAttachment, func() (platformapi.Attachment, error) {
		return g.Platform.CreateAttachment(ctx, acct, instanceID, environmentID)
	})
}

func (g guardedPlatform) DeleteAttachment(ctx context.Context, acct platformapi.Account, id string) error {
	_, err := guard(ctx, http.MethodDelete, objAttachment, func() (struct{}, error) {
		return struct{}{}, g.Platform.DeleteAttachment(ctx, acct, id)
	})
	return err
}

func (g guardedPlatform) QueryAttachments(ctx context.Context, acct platformapi.Account, filter *platformapi.Expression) ([]platformapi.Attachment, error) {
	return guard(ctx, http.MethodPost, objAttachment, func() ([]platformapi.Attachment, error) {
		return g.Platform.QueryAttachments(ctx, acct, filter)
	})
}

func (g guardedPlatform) InstallInstance(ctx context.Context, acct platformapi.Account, packID, overrideName string) (platformapi.Instance, error) {
	return guard(ctx, http.MethodPost, objInstance, func() (platformapi.Instance, error) {
		return g.Platform.InstallInstance(ctx, acct, packID, overrideName)
	})
}

func (g guardedPlatform) UninstallInstance(ctx context.Context, acct platformapi.Account, id string) error {
	_, err := guard(ctx, http.MethodDelete, objInstance, func() (struct{}, error) {
		return struct{}{}, g.Platform.UninstallInstance(ctx, acct, id)
	})
	return err
}

func (g guardedPlatform) GetInstance(ctx context.Context, acct platformapi.Account, id string) (platformapi.Instance, error) {
	return guard(ctx, http.MethodGet, objInstance, func() (platformapi.Instance, error) {
		return g.Platform.GetInstance(ctx, acct, id)
	})
}

func (g guardedPlatform) QueryInstances(ctx context.Context, acct platformapi.Account, filter *platformapi.Expression) ([]platformapi.Instance, error) {
	return guard(ctx, http.MethodPost, objInstance, func() ([]platformapi.Instance, error) {
		return g.Platform.QueryInstances(ctx, acct, filter)
	})
}

func (g guardedPlatform) QueryEnvironments(ctx context.Context, acct platformapi.Account, filter *platformapi.Expression) ([]platformapi.Environment, error) {
	return guard(ctx, http.MethodPost, "Environment", func() ([]platformapi.Environment, error) {
		return g.Platform.QueryEnvironments(ctx, acct, filter)
	})
}

func (g guardedPlatform) QueryIntegrationPacks(ctx context.Context, acct platformapi.Account, filter *platformapi.Expression) ([]platformapi.IntegrationPack, error) {
	return guard(ctx, http.MethodPost, "IntegrationPack", func() ([]platformapi.IntegrationPack, error) {
		return g.Platform.QueryIntegrationPacks(ctx, acct, filter)
	})
}
