package gateway

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ipack-gateway/ipack-gateway/authtoken"
	"github.com/ipack-gateway/ipack-gateway/config"
	"github.com/ipack-gateway/ipack-gateway/errcode"
	"github.com/ipack-gateway/ipack-gateway/gateway/health"
	"github.com/ipack-gateway/ipack-gateway/platformapi"
	"github.com/ipack-gateway/ipack-gateway/resolver"
)

// space is a configured space, ready to authenticate requests.
type space struct {
	guid        string
	account     platformapi.Account      // Credentials unset when passthrough
	passthrough bool                     // forward the client's bearer token
	tokens      [][32]byte               // SHA-256 of each client token allowed
	tokenCreds  []tokenCredential        // Basic credentials of the token endpoint
	info        resolver.SpaceInfo       // what the spaces queries answer (spaces.go)
	creds       *health.CredentialsCheck // what REST said of account's credentials lately; nil when passthrough
	isDefault   bool                     // of requests without SPACE_GUID (spaceinfer.go)
}

// newSpaces builds the spaces of cfg. signer, nil when no tokens.signingKey
// is configured, fingerprints the token credentials.
func newSpaces(cfg []config.SpaceConfig, signer *authtoken.Signer) (map[string]*space, error) {
	out := make(map[string]*space, len(cfg))
	for _, sc := range cfg {
		sp := &space{guid: sc.GUID, account: platformapi.Account{ID: sc.AccountID}, info: spaceInfo(sc), isDefault: sc.Default}
		if sc.Passthrough() {
			sp.passthrough = true
		} else {
			sp.account.Credentials = platformapi.Basic(sc.Credentials.Username, sc.Credentials.Password)
		}
		for _, tc := range sc.TokenCredentials {
			h, err := config.TokenHash(tc.PasswordHash)
			if err != nil {
				return nil, err // Validate has already checked
			}
			sp.tokenCreds = append(sp.tokenCreds, newTokenCredential(sha256.Sum256([]byte(tc.Username)), h, signer))
		}
		for _, t := range sc.ClientTokens {
			h, err := config.TokenHash(t)
			if err != nil {
				return nil, err // Validate has already checked
			}
			sp.tokens = append(sp.tokens, h)
		}
		out[sc.GUID] = sp
	}
	return out, nil
}

// space returns the configured space with that guid, or nil.
func (s *Server) space(guid string) *space {
	return (*s.spaces.Load())[guid]
}

// allows reports whether token may act on the space. It hashes the token
// and compares it with every allowed hash in constant time, so neither the
// match nor its position shows in the timing.
func (sp *space) allows(sum [32]byte) bool {
	ok := 0
	for i := range sp.tokens {
		ok |= subtle.ConstantTimeCompare(sum[:], sp.tokens[i][:])
	}
	return ok == 1
}

type principalKey struct{}

// principal is who an authenticated request is from: its space (and the
// space's account), and the client within it, by the key of the
// per-client limits: a SHA-256 of its bearer token, of its JWT's user, or
// of its address on a passthrough space.
type principal struct {
	space   string
	account string // the space's account id
	client  [32]byte
	creds   *health.CredentialsCheck // the space's, told of each REST answer; nil when passthrough
	// inferred: the request sent no SPACE_GUID; its space is the one its
	// token names, or the default (inferSpace).
	inferred bool
}

// spaceFrom returns the authenticated request's space guid, or "".
func spaceFrom(ctx context.Context) string {
	p, _ := ctx.Value(principalKey{}).(*principal)
	if p == nil {
		return ""
	}
	return p.space
}

// principalFrom returns who the authenticated request is from, or nil.
func principalFrom(ctx context.Context) *principal {
	p, _ := ctx.Value(principalKey{}).(*principal)
	return p
}

// authenticate admits requests that name a configured space in SPACE_GUID
// and carry "Authorization: Bearer <token>", where the token is one of the
// space's client tokens or a gateway-issued JWT valid in the space, and
// gives the resolvers that space's account. A passthrough space admits any
// bearer token and gives the resolvers an account that forwards it: the
// REST API judges it.
// refuseAuth answers a request that authenticate refuses. A function of
// its own, so that authenticate's stack frame, which stays for the whole
// request, does not hold it (docs/performance.md: stack per request).
func (s *Server) refuseAuth(w http.ResponseWriter, r *http.Request, e *errcode.Error, hasToken bool) {
	if e.Code.HTTPStatus() == http.StatusUnauthorized {
		challenge := `Bearer realm="ipack-gateway"`
		if hasToken && e.Code == errcode.Unauthorized {
			// RFC 6750: the token sent is not valid; get another.
			challenge += `, error="invalid_token"`
		}
		w.Header().Set("WWW-Authenticate", challenge)
	}
	s.requests.Rejected(r.Context(), string(e.Code))
	writeError(w, e)
}

func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, done := s.authorize(w, r)
		if ctx == nil {
			return // refused, and answered
		}
		if done != nil {
			defer done()
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// authorize decides whether r may be served. It returns the context to
// serve it with (its principal, account and viewer), and a function to
// call once it is served, if any; or a nil context when it refused r and
// answered it. Out of line, so that authenticate's stack frame, which
// stays for the whole request, holds none of this (docs/performance.md:
// stack per request; TestAttachStack).
//
//go:noinline
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) (context.Context, func()) {
	if len(r.Header.Values("SPACE_GUID")) > 1 || len(r.Header.Values("Authorization")) > 1 {
		// Two values could be read differently by a proxy in front.
		writeError(w, errcode.New(errcode.BadRequest, "SPACE_GUID and Authorization may be sent once each"))
		return nil, nil
	}
	if s.refuseGuesser(w, r) {
		return nil, nil
	}
	guid := strings.TrimSpace(r.Header.Get("SPACE_GUID"))
	token, hasToken := bearerToken(r.Header.Get("Authorization"))
	var e *errcode.Error
	var claims *authtoken.Claims // the JWT's, when it is one
	sp := s.space(guid)
	tokenSum := sha256.Sum256([]byte(token))
	sum := tokenSum // the client's key: checkToken may name another
	inferred := guid == ""
	if inferred {
		sp, claims, e = s.inferSpace(r.Context(), token, hasToken, tokenSum)
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
		sum = addressKey("passthrough:"+sp.guid, r)
	case claims != nil:
		// Verified by inferSpace: not checked twice.
		sum, claims, e = s.checkClaims(sp, tokenSum, claims, nil)
	default:
		sum, claims, e = s.checkTokenOnce(r.Context(), sp, token, tokenSum)
	}
	if e != nil {
		s.limits.authFailures.Charge(r.Context(), addressKey("auth", r))
	}
	if e == nil {
		if ok, wait := s.limits.clients.Allow(r.Context(), sum); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(wait)))
			e = errcode.New(errcode.RateLimited, "Too many requests from this client").With("retryAfter", retryAfterSeconds(wait))
		}
	}
	if e != nil {
		s.refuseAuth(w, r, e, hasToken)
		return nil, nil
	}
	acct := sp.account
	// The same key for the inbound limit and for the REST budget's
	// fairness and queue bound: fresh tokens on a passthrough space are
	// no fresh queues either.
	ctx := context.WithValue(r.Context(), principalKey{}, &principal{space: sp.guid, account: sp.account.ID, client: sum, creds: sp.creds, inferred: inferred})
	var done func()
	if sp.passthrough {
		acct.Credentials = platformapi.Bearer(token)
		ctx, done = s.watchRefusals(ctx, r, sp.account.ID, token)
	}
	ctx = resolver.WithAccount(ctx, acct)
	ctx = s.withViewer(ctx, sp, tokenSum, claims)
	return ctx, done
}

// checkTokenOnce is checkToken, unless the admission checked the same
// token for the same space before the request waited for its turn (a
// JWT's signature is not checked twice); a JWT that expired meanwhile is
// checked again, and refused. Out of line, so that authenticate's frame,
// which stays for the whole request, stays small.
//
//go:noinline
func (s *Server) checkTokenOnce(ctx context.Context, sp *space, token string, sum [32]byte) ([32]byte, *authtoken.Claims, *errcode.Error) {
	if a := preAuthFor(ctx, sp, sum); a != nil && (a.claims == nil || a.claims.ExpiresAt == nil || a.claims.ExpiresAt.After(time.Now())) {
		return a.client, a.claims, nil
	}
	return s.checkToken(sp, token, sum)
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
func (s *Server) checkToken(sp *space, token string, sum [32]byte) ([32]byte, *authtoken.Claims, *errcode.Error) {
	if sp.allows(sum) {
		return sum, nil, nil
	}
	if s.signer == nil || !authtoken.LooksLikeJWT(token) {
		if s.anySpaceAllows(sum) {
			return sum, nil, errcode.New(errcode.Forbidden, "Forbidden: the token is not allowed for this space")
		}
		return sum, nil, errcode.New(errcode.Unauthorized, "Unauthorized: the token is not valid")
	}
	claims, err := s.signer.Verify(token)
	return s.checkClaims(sp, sum, claims, err)
}

// checkClaims is checkToken's decision on a JWT, once its signature was
// checked: claims are what Verify answered, err its error.
func (s *Server) checkClaims(sp *space, sum [32]byte, claims *authtoken.Claims, err error) ([32]byte, *authtoken.Claims, *errcode.Error) {
	switch {
	case errors.Is(err, authtoken.ErrExpired):
		return sum, nil, errcode.New(errcode.Unauthorized, "Unauthorized: the token has expired; get a new one from /auth/jwt/generate")
	case err != nil:
		return sum, nil, errcode.New(errcode.Unauthorized, "Unauthorized: the token is not valid")
	case !claims.Allows(sp.guid, sp.account.ID):
		return sum, nil, errcode.New(errcode.Forbidden, "Forbidden: the token is not valid for this space")
	case !sp.listsCredential(claims.Credential):
		// The credential the token was issued on was removed from this
		// space, or changed, since: the token ends with it, not at its
		// expiry. Where another space of the account still lists it, the
		// token is still good there.
		if s.accountListsCredential(sp.account.ID, claims.Credential) {
			return sum, nil, errcode.New(errcode.Forbidden, "Forbidden: the token's credentials are no longer accepted in this space")
		}
		return sum, nil, errcode.New(errcode.Unauthorized, "Unauthorized: the credentials the token was issued on are no longer accepted; get a new token from /auth/jwt/generate")
	}
	return sha256.Sum256([]byte("jwt\x00" + claims.AccountID + "\x00" + claims.Subject)), claims, nil
}

// accountListsCredential reports whether a space of accountID lists the
// token credential with fingerprint fp.
func (s *Server) accountListsCredential(accountID, fp string) bool {
	for _, sp := range *s.spaces.Load() {
		if sp.account.ID == accountID && sp.listsCredential(fp) {
			return true
		}
	}
	return false
}

// anySpaceAllows reports whether sum is a client token of any space. Only
// refused tokens get here, and they are throttled per address, so a scan
// of every space is affordable; each comparison is in constant time.
func (s *Server) anySpaceAllows(sum [32]byte) bool {
	ok := false
	for _, sp := range *s.spaces.Load() {
		ok = sp.allows(sum) || ok
	}
	return ok
}

// listsCredential reports whether sp's token endpoint credentials include
// the one with fingerprint fp.
func (sp *space) listsCredential(fp string) bool {
	for _, c := range sp.tokenCreds {
		if c.fingerprint == fp {
			return true
		}
	}
	return false
}

// refuseGuesser answers 429 to a client address that failed to
// authenticate too often lately (clients.authFailuresPerMinute), so that
// tokens and passwords cannot be guessed at speed.
func (s *Server) refuseGuesser(w http.ResponseWriter, r *http.Request) bool {
	blocked, wait := s.limits.authFailures.Exhausted(r.Context(), addressKey("auth", r))
	if !blocked {
		return false
	}
	w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(wait)))
	writeError(w, errcode.New(errcode.RateLimited, "Too many failed authentications from this address").With("retryAfter", retryAfterSeconds(wait)))
	return true
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
