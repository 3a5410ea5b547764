package gateway

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/ipack-gateway/ipack-gateway/errcode"
	"github.com/ipack-gateway/ipack-gateway/platformapi"
	"github.com/ipack-gateway/ipack-gateway/resolver"
)

// space is a configured space, ready to authenticate requests.
type space struct {
	guid        string
	account     platformapi.Account // Credentials unset when passthrough
	passthrough bool                // forward the client's bearer token
	tokens      [][32]byte          // SHA-256 of each client token allowed
	tokenCreds  []tokenCredential   // Basic credentials of the token endpoint
	info        resolver.SpaceInfo  // what the spaces queries answer (spaces.go)
}

func newSpaces(cfg []SpaceConfig) (map[string]*space, error) {
	out := make(map[string]*space, len(cfg))
	for _, sc := range cfg {
		sp := &space{guid: sc.GUID, account: platformapi.Account{ID: sc.AccountID}, info: spaceInfo(sc)}
		if sc.Auth == AuthPassthrough {
			sp.passthrough = true
		} else {
			sp.account.Credentials = platformapi.Basic(sc.Credentials.Username, sc.Credentials.Password)
		}
		for _, tc := range sc.TokenCredentials {
			h, err := parseTokenHash(tc.PasswordHash)
			if err != nil {
				return nil, err // Validate has already checked
			}
			sp.tokenCreds = append(sp.tokenCreds, tokenCredential{user: sha256.Sum256([]byte(tc.Username)), password: h})
		}
		for _, t := range sc.ClientTokens {
			h, err := parseTokenHash(t)
			if err != nil {
				return nil, err // Validate has already checked
			}
			sp.tokens = append(sp.tokens, h)
		}
		out[sc.GUID] = sp
	}
	return out, nil
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

type spaceKey struct{}

// spaceFrom returns the authenticated request's space guid, or "".
func spaceFrom(ctx context.Context) string {
	s, _ := ctx.Value(spaceKey{}).(string)
	return s
}

// authenticate admits requests that name a configured space in SPACE_GUID
// and carry "Authorization: Bearer <token>", where the token is one of the
// space's client tokens or a gateway-issued JWT valid in the space, and
// gives the resolvers that space's account. A passthrough space admits any
// bearer token and gives the resolvers an account that forwards it: the
// REST API judges it.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.Header.Values("SPACE_GUID")) > 1 || len(r.Header.Values("Authorization")) > 1 {
			// Two values could be read differently by a proxy in front.
			writeError(w, errcode.New(errcode.BadRequest, "SPACE_GUID and Authorization may be sent once each"))
			return
		}
		if s.refuseGuesser(w, r) {
			return
		}
		guid := strings.TrimSpace(r.Header.Get("SPACE_GUID"))
		token, hasToken := bearerToken(r.Header.Get("Authorization"))
		var e *errcode.Error
		sp := s.space(guid)
		sum := sha256.Sum256([]byte(token))
		switch {
		case guid == "":
			e = errcode.New(errcode.MissingSpaceID, "The SPACE_GUID header is required")
		case !hasToken:
			e = errcode.New(errcode.Unauthorized, "Unauthorized: an Authorization: Bearer <token> header is required")
		case sp == nil:
			e = errcode.New(errcode.SpaceNotFound, "Unauthorized: unknown space")
		case sp.passthrough:
			// Any token passes here, so a token says nothing of who sends
			// it: limit by address, or fresh tokens would be fresh budgets
			// to spend the account's REST budget with.
			sum = addressKey("passthrough:"+sp.guid, r)
		default:
			e = s.checkToken(sp, token, sum)
		}
		if e != nil {
			s.authFailures.charge(addressKey("auth", r))
		}
		if e == nil {
			if ok, wait := s.clients.allow(sum); !ok {
				w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(wait)))
				e = errcode.New(errcode.RateLimited, "Too many requests from this client").With("retryAfter", retryAfterSeconds(wait))
			}
		}
		if e != nil {
			if e.Code.HTTPStatus() == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="ipack-gateway"`)
			}
			s.log.LogAttrs(r.Context(), slog.LevelInfo, "request rejected", slog.String("code", string(e.Code)))
			writeError(w, e)
			return
		}
		acct := sp.account
		if sp.passthrough {
			acct.Credentials = platformapi.Bearer(token)
		}
		ctx := context.WithValue(r.Context(), spaceKey{}, sp.guid)
		ctx = resolver.WithAccount(ctx, acct)
		ctx = withViewer(ctx, sp, token, sum)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// refuseGuesser answers 429 to a client address that failed to
// authenticate too often lately (clients.authFailuresPerMinute), so that
// tokens and passwords cannot be guessed at speed.
func (s *Server) refuseGuesser(w http.ResponseWriter, r *http.Request) bool {
	blocked, wait := s.authFailures.exhausted(addressKey("auth", r))
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
