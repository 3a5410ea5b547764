// Package auth authenticates the gateway's requests: the configured spaces
// (Spaces, swapped on reload), their client tokens, the gateway's JWTs and
// the token endpoint that issues them (ServeToken), passthrough spaces
// that forward the client's token for the REST API to judge (and remember
// the tokens it refused: RESTObserver), the inference of a space for
// requests without SPACE_GUID, the throttle of failed authentications per
// address and the per-client request rate.
//
// A GraphQL request is authenticated once, before it waits for its turn to
// execute, since its turn is its client's (package admission):
// Authenticate says who it is from (a Principal) or why it is refused, the
// gateway puts either in the request's context (WithPrincipal,
// WithRefusal), and Require, in the route's middleware, answers the
// refusal or serves the request as its principal. PrincipalFrom reads the
// principal from the context; Spaces tells the resolvers what the
// principal may see (resolver.SpaceDirectory).
package auth

import (
	"context"
	"crypto/sha256"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ipack-gateway/ipack-gateway/authtoken"
	"github.com/ipack-gateway/ipack-gateway/errcode"
	"github.com/ipack-gateway/ipack-gateway/gateway/clientaddr"
	"github.com/ipack-gateway/ipack-gateway/gateway/reqlog"
	"github.com/ipack-gateway/ipack-gateway/platformapi"
	"github.com/ipack-gateway/ipack-gateway/ratelimit"
	"github.com/ipack-gateway/ipack-gateway/resolver"
)

// Authenticator authenticates requests against the spaces of a registry.
type Authenticator struct {
	spaces   *Spaces
	clients  ratelimit.Keyed // clients.requestsPerSecond, per client
	failures ratelimit.Keyed // clients.authFailuresPerMinute, per address
	addrs    *clientaddr.Resolver
	refused  *refusedSet // passthrough tokens the REST API refused lately
	log      *slog.Logger
	requests *reqlog.Log
	write    func(http.ResponseWriter, *errcode.Error)
	now      func() time.Time // the signer's clock, in tests
}

// Options are an Authenticator's dependencies besides its spaces. All are
// required but Addresses.
type Options struct {
	// Clients limits each client's requests (clients.requestsPerSecond).
	Clients ratelimit.Keyed
	// Failures throttles the failed authentications of each client
	// address (clients.authFailuresPerMinute).
	Failures ratelimit.Keyed
	// Addresses tells a request's client address (server.trustedProxies);
	// nil: its peer's.
	Addresses *clientaddr.Resolver
	// Logger logs the token endpoint's tokens; Requests the refused
	// requests' lines.
	Logger   *slog.Logger
	Requests *reqlog.Log
	// WriteError writes an error answer in the gateway's shape.
	WriteError func(http.ResponseWriter, *errcode.Error)
}

// New returns an Authenticator of spaces.
func New(spaces *Spaces, o Options) *Authenticator {
	return &Authenticator{spaces: spaces, clients: o.Clients, failures: o.Failures, addrs: o.Addresses, refused: newRefusedSet(),
		log: o.Logger, requests: o.Requests, write: o.WriteError, now: time.Now}
}

// A Principal is who an authenticated request is from: its space (and the
// space's account), and the client within it, by the key of the
// per-client limits, of the REST budget's fair queue and of the admission:
// a SHA-256 of its bearer token, of its JWT's account and user, or of its
// address on a passthrough space.
type Principal struct {
	Space   string   // the space's guid
	Account string   // the space's account id
	Client  [32]byte // the client's key
	// Inferred: the request sent no SPACE_GUID; its space is the one its
	// token names, or the default (spaceinfer.go).
	Inferred bool

	sp       *space            // as configured when the request was authenticated
	tokenSum [32]byte          // the bearer token's SHA-256
	claims   *authtoken.Claims // nil unless the token is a verified JWT
	token    string            // the bearer token, on a passthrough space only (forwarded)

	once    sync.Once // visible is computed once per request (spaces.go)
	visible []resolver.SpaceInfo
}

type principalKey struct{}

// WithPrincipal returns ctx with p, the request's Principal.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns who the authenticated request of ctx is from, or
// nil.
func PrincipalFrom(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}

type refusalKey struct{}

// WithRefusal returns ctx with e, the reason Authenticate refused the
// request, for Require to answer.
func WithRefusal(ctx context.Context, e *errcode.Error) context.Context {
	return context.WithValue(ctx, refusalKey{}, e)
}

// errUnlogged marks the refusals that are answered without a "request
// rejected" line (as they were before these lines existed): a request
// with SPACE_GUID or Authorization twice, and one from an address
// throttled for failed authentications.
var errUnlogged = errors.New("auth: refused before authentication")

// Authenticate decides whether r may be served, and returns who it is
// from, or the error that refuses it (Refuse answers it). It admits
// requests that name a configured space in SPACE_GUID (or leave it out
// where the space can be inferred: spaceinfer.go) and carry
// "Authorization: Bearer <token>", where the token is one of the space's
// client tokens or a gateway-issued JWT valid in the space. A passthrough
// space admits any bearer token: the REST API judges it (passthrough.go).
// A refused request is charged to its address's failed authentications;
// an admitted one to its client's request rate.
func (a *Authenticator) Authenticate(r *http.Request) (*Principal, *errcode.Error) {
	if len(r.Header.Values("SPACE_GUID")) > 1 || len(r.Header.Values("Authorization")) > 1 {
		// Two values could be read differently by a proxy in front.
		e := errcode.New(errcode.BadRequest, "SPACE_GUID and Authorization may be sent once each")
		e.Err = errUnlogged
		return nil, e
	}
	// An address that failed to authenticate too often lately is refused
	// before anything is checked (a signature costs CPU), so that tokens
	// cannot be guessed at speed.
	if e := a.throttled(r); e != nil {
		return nil, e
	}
	p, e := a.identify(r)
	if e != nil {
		a.failures.Charge(r.Context(), a.addressKey("auth", r))
		return nil, e
	}
	if ok, wait := a.clients.Allow(r.Context(), p.Client); !ok {
		return nil, errcode.New(errcode.RateLimited, "Too many requests from this client").With("retryAfter", retryAfterSeconds(wait))
	}
	return p, nil
}

// identify works out who r is from, against the spaces configured now.
func (a *Authenticator) identify(r *http.Request) (*Principal, *errcode.Error) {
	guid := strings.TrimSpace(r.Header.Get("SPACE_GUID"))
	token, hasToken := bearerToken(r.Header.Get("Authorization"))
	var e *errcode.Error
	var claims *authtoken.Claims // the JWT's, when it is one
	sp := a.spaces.space(guid)
	tokenSum := sha256.Sum256([]byte(token))
	client := tokenSum // checkToken may name another
	inferred := guid == ""
	if inferred {
		sp, claims, e = a.inferSpace(token, hasToken, tokenSum)
	}
	switch {
	case e != nil:
	case !hasToken:
		e = errcode.New(errcode.Unauthorized, "Unauthorized: an Authorization: Bearer <token> header is required")
	case sp == nil:
		e = errcode.New(errcode.SpaceNotFound, "Unauthorized: unknown space")
	case sp.passthrough:
		// Any token passes here, so a token says nothing of who sends
		// it: limit by address, or fresh tokens would be fresh budgets
		// to spend the account's REST budget with.
		client = a.addressKey("passthrough:"+sp.guid, r)
	case claims != nil:
		// Verified by inferSpace: not checked twice.
		client, claims, e = a.checkClaims(sp, tokenSum, claims, nil)
	default:
		client, claims, e = a.checkToken(sp, token, tokenSum)
	}
	if e != nil {
		return nil, e
	}
	p := &Principal{Space: sp.guid, Account: sp.account.ID, Client: client, Inferred: inferred, sp: sp, tokenSum: tokenSum, claims: claims}
	if sp.passthrough {
		p.token = token
	}
	return p, nil
}

// current reports whether p still holds: its JWT has not expired, and the
// spaces were not reloaded since it was authenticated.
func (a *Authenticator) current(p *Principal) bool {
	if c := p.claims; c != nil && c.ExpiresAt != nil && !c.ExpiresAt.After(a.now()) {
		return false
	}
	return a.spaces.space(p.Space) == p.sp
}

// checkToken decides whether token may act on sp, a space that is not
// passthrough: one of its client tokens, or a JWT from the token endpoint
// that binds sp. sum is the token's SHA-256. It returns nil when it may,
// and the client's key for the per-client limits: sum for a client token;
// for a JWT, a hash of its account and subject, since anyone holding the
// token credentials can mint fresh JWTs at will, and each must not be a
// fresh client.
//
// A token that is no credential at all (unknown, malformed, expired, badly
// signed) is 401, so that clients fetch a new one; 403 is kept for a valid
// credential that does not reach sp: a client token of another space, a
// JWT that does not bind sp. The claims of a JWT that may act on sp are
// returned too, so that nothing checks its signature again.
func (a *Authenticator) checkToken(sp *space, token string, sum [32]byte) ([32]byte, *authtoken.Claims, *errcode.Error) {
	if sp.allows(sum) {
		return sum, nil, nil
	}
	signer := a.spaces.signer
	if signer == nil || !authtoken.LooksLikeJWT(token) {
		if a.spaces.anySpaceAllows(sum) {
			return sum, nil, errcode.New(errcode.Forbidden, "Forbidden: the token is not allowed for this space")
		}
		return sum, nil, errcode.New(errcode.Unauthorized, "Unauthorized: the token is not valid")
	}
	claims, err := signer.Verify(token)
	return a.checkClaims(sp, sum, claims, err)
}

// checkClaims is checkToken's decision on a JWT, once its signature was
// checked: claims are what Verify answered, err its error.
func (a *Authenticator) checkClaims(sp *space, sum [32]byte, claims *authtoken.Claims, err error) ([32]byte, *authtoken.Claims, *errcode.Error) {
	switch {
	case errors.Is(err, authtoken.ErrExpired):
		return sum, nil, errExpired()
	case err != nil:
		return sum, nil, errcode.New(errcode.Unauthorized, "Unauthorized: the token is not valid")
	case !claims.Allows(sp.guid, sp.account.ID):
		return sum, nil, errcode.New(errcode.Forbidden, "Forbidden: the token is not valid for this space")
	case !sp.listsCredential(claims.Credential):
		// The credential the token was issued on was removed from this
		// space, or changed, since: the token ends with it, not at its
		// expiry. Where another space of the account still lists it, the
		// token is still good there.
		if a.spaces.accountListsCredential(sp.account.ID, claims.Credential) {
			return sum, nil, errcode.New(errcode.Forbidden, "Forbidden: the token's credentials are no longer accepted in this space")
		}
		return sum, nil, errcode.New(errcode.Unauthorized, "Unauthorized: the credentials the token was issued on are no longer accepted; get a new token from /auth/jwt/generate")
	}
	return sha256.Sum256([]byte("jwt\x00" + claims.AccountID + "\x00" + claims.Subject)), claims, nil
}

// errExpired refuses a gateway JWT past its expiry, whatever the space.
func errExpired() *errcode.Error {
	return errcode.New(errcode.Unauthorized, "Unauthorized: the token has expired; get a new one from /auth/jwt/generate")
}

// throttled refuses, with 429, a request from a client address that failed
// to authenticate too often lately (clients.authFailuresPerMinute); nil
// for others.
func (a *Authenticator) throttled(r *http.Request) *errcode.Error {
	blocked, wait := a.failures.Exhausted(r.Context(), a.addressKey("auth", r))
	if !blocked {
		return nil
	}
	e := errcode.New(errcode.RateLimited, "Too many failed authentications from this address").With("retryAfter", retryAfterSeconds(wait))
	e.Err = errUnlogged
	return e
}

// Require serves GraphQL requests as their principal: with the space's
// account for the resolvers (resolver.WithAccount), and on a passthrough
// space the client's token forwarded and its refusals watched
// (passthrough.go). It answers the requests Authenticate refused
// (WithRefusal), and those whose principal no longer holds: a JWT that
// expired while the request waited for its turn, or a principal of spaces
// reloaded since, which is authenticated again. A request with neither is
// authenticated here.
func (a *Authenticator) Require(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, done := a.serveAs(w, r)
		if ctx == nil {
			return // refused, and answered
		}
		if done != nil {
			defer done()
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// serveAs returns the context to serve r with, and a function to call once
// it is served, if any; or a nil context when it refused r and answered it.
func (a *Authenticator) serveAs(w http.ResponseWriter, r *http.Request) (context.Context, func()) {
	ctx := r.Context()
	p := PrincipalFrom(ctx)
	var e *errcode.Error
	switch {
	case p == nil:
		if e, _ = ctx.Value(refusalKey{}).(*errcode.Error); e == nil {
			if p, e = a.Authenticate(r); e == nil {
				ctx = WithPrincipal(ctx, p)
			}
		}
	case !a.current(p):
		// Authenticated before the wait, against what no longer holds:
		// again, as it is now (a JWT's signature checked again).
		if p, e = a.identify(r); e != nil {
			a.failures.Charge(ctx, a.addressKey("auth", r))
		} else {
			ctx = WithPrincipal(ctx, p)
		}
	}
	if e != nil {
		a.Refuse(w, r, e)
		return nil, nil
	}
	acct := p.sp.account
	var done func()
	if p.sp.passthrough {
		acct.Credentials = platformapi.Bearer(p.token)
		ctx, done = a.watchRefusals(ctx, r, p)
	}
	return resolver.WithAccount(ctx, acct), done
}

// Refuse answers a request refused for its credentials, its space or its
// rate (e, from Authenticate): with a WWW-Authenticate challenge for a 401
// (RFC 6750's invalid_token when the token sent is not valid), a
// Retry-After when the client may come back later, and a "request
// rejected" line.
func (a *Authenticator) Refuse(w http.ResponseWriter, r *http.Request, e *errcode.Error) {
	if wait, ok := e.Fields["retryAfter"].(int); ok {
		w.Header().Set("Retry-After", strconv.Itoa(wait))
	}
	if e.Err == errUnlogged {
		a.write(w, e)
		return
	}
	if e.Code.HTTPStatus() == http.StatusUnauthorized {
		challenge := `Bearer realm="ipack-gateway"`
		if _, hasToken := bearerToken(r.Header.Get("Authorization")); hasToken && e.Code == errcode.Unauthorized {
			// RFC 6750: the token sent is not valid; get another.
			challenge += `, error="invalid_token"`
		}
		w.Header().Set("WWW-Authenticate", challenge)
	}
	a.requests.Rejected(r.Context(), string(e.Code))
	a.write(w, e)
}

// bearerToken reads "Bearer <token>"; the scheme is case-insensitive.
func bearerToken(h string) (string, bool) {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(h), " ")
	tok = strings.TrimSpace(tok)
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return "", false
	}
	return tok, true
}
