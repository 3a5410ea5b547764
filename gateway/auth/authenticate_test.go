package auth

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/ipack-gateway/ipack-gateway/authtoken"
	"github.com/ipack-gateway/ipack-gateway/config"
	"github.com/ipack-gateway/ipack-gateway/errcode"
	"github.com/ipack-gateway/ipack-gateway/gateway/reqlog"
	"github.com/ipack-gateway/ipack-gateway/ratelimit"
)

const testKey = "auth-test-signing-key-0123456789-abcdef"

// countingKeyed is a limit that allows everything and counts what it is
// asked.
type countingKeyed struct {
	mu                        sync.Mutex
	allow, exhausted, charged int
}

func (c *countingKeyed) Allow(context.Context, ratelimit.Key) (bool, time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.allow++
	return true, 0
}

func (c *countingKeyed) Exhausted(context.Context, ratelimit.Key) (bool, time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.exhausted++
	return false, 0
}

func (c *countingKeyed) Charge(context.Context, ratelimit.Key) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.charged++
}

// spacesConfig is one credentials space, s1, whose client tokens are
// tokens, and whose token endpoint accepts user:pass.
func spacesConfig(t *testing.T, tokens ...string) []config.SpaceConfig {
	t.Helper()
	var hashes []string
	for _, tok := range tokens {
		hashes = append(hashes, fmt.Sprintf("%q", fmt.Sprintf("sha256:%x", sha256.Sum256([]byte(tok)))))
	}
	yaml := fmt.Sprintf(`
platform: {baseURL: "http://127.0.0.1:1"}
tokens: {signingKey: %s}
spaces:
  - {guid: s1, accountId: acct, credentials: {username: u, password: p}, clientTokens: [%s], tokenCredentials: [{username: user, passwordHash: "sha256:%x"}]}
`, testKey, strings.Join(hashes, ", "), sha256.Sum256([]byte("pass")))
	cfg, err := config.Parse([]byte(yaml), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Spaces
}

type testAuth struct {
	*Authenticator
	clients, failures *countingKeyed
	clock             time.Time
}

func newTestAuth(t *testing.T, tokens ...string) *testAuth {
	t.Helper()
	ta := &testAuth{clients: &countingKeyed{}, failures: &countingKeyed{}, clock: time.Now()}
	now := func() time.Time { return ta.clock }
	signer, err := authtoken.New(testKey, authtoken.Options{Lifetime: time.Minute, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	spaces := NewSpaces(signer)
	if err := spaces.Load(spacesConfig(t, tokens...), nil); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	ta.Authenticator = New(spaces, Options{Clients: ta.clients, Failures: ta.failures, Logger: log, Requests: reqlog.New(log),
		WriteError: func(w http.ResponseWriter, e *errcode.Error) {
			http.Error(w, string(e.Code)+": "+e.Message, e.Code.HTTPStatus())
		}})
	ta.now = now
	return ta
}

// jwt is a token from the token endpoint.
func (ta *testAuth) jwt(t *testing.T) string {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/auth/jwt/generate/acct", nil)
	req.SetBasicAuth("user", "pass")
	w := httptest.NewRecorder()
	mux := chi.NewRouter()
	mux.Get("/auth/jwt/generate/{accountId}", ta.ServeToken)
	mux.ServeHTTP(w, withInfo(req))
	if w.Code != http.StatusOK {
		t.Fatalf("token endpoint: %d %s", w.Code, w.Body)
	}
	return w.Body.String()
}

// withInfo gives r the per-request record reqlog.RequestID would.
func withInfo(r *http.Request) *http.Request {
	var out *http.Request
	reqlog.RequestID(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { out = r })).ServeHTTP(httptest.NewRecorder(), r)
	return out
}

func graphqlRequest(space, token string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/graphql", nil)
	if space != "" {
		r.Header.Set("SPACE_GUID", space)
	}
	r.Header.Set("Authorization", "Bearer "+token)
	return withInfo(r)
}

// authenticateThenServe does what the gateway does: Authenticate before
// the wait, between authenticated and served, then Require.
func (ta *testAuth) authenticateThenServe(r *http.Request, between func()) (*httptest.ResponseRecorder, *Principal) {
	p, e := ta.Authenticate(r)
	if e != nil {
		r = r.WithContext(WithRefusal(r.Context(), e))
	} else {
		r = r.WithContext(WithPrincipal(r.Context(), p))
	}
	if between != nil {
		between()
	}
	w := httptest.NewRecorder()
	var served *Principal
	ta.Require(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { served = PrincipalFrom(r.Context()) })).ServeHTTP(w, r)
	return w, served
}

// TestAuthenticatedOnce: a request authenticated before its wait is served
// as that principal, its signature checked, its rate charged and its
// address's throttle asked once; one that no longer holds after the wait
// (its JWT expired, or the spaces were reloaded without its token) is
// checked again and refused as it would have been on arrival.
func TestAuthenticatedOnce(t *testing.T) {
	t.Run("client token", func(t *testing.T) {
		ta := newTestAuth(t, "tok")
		w, p := ta.authenticateThenServe(graphqlRequest("s1", "tok"), nil)
		if w.Code != http.StatusOK || p == nil || p.Space != "s1" || p.Account != "acct" || p.Client != sha256.Sum256([]byte("tok")) {
			t.Fatalf("served %d as %+v", w.Code, p)
		}
		if ta.clients.allow != 1 || ta.failures.exhausted != 1 || ta.failures.charged != 0 {
			t.Errorf("rate asked %d times, throttle %d, charged %d; want 1, 1, 0", ta.clients.allow, ta.failures.exhausted, ta.failures.charged)
		}
	})
	t.Run("JWT inferred space", func(t *testing.T) {
		ta := newTestAuth(t)
		w, p := ta.authenticateThenServe(graphqlRequest("", ta.jwt(t)), nil)
		if w.Code != http.StatusOK || p == nil || p.Space != "s1" || !p.Inferred {
			t.Fatalf("served %d as %+v", w.Code, p)
		}
	})
	t.Run("JWT expired while waiting", func(t *testing.T) {
		ta := newTestAuth(t)
		tok := ta.jwt(t)
		w, p := ta.authenticateThenServe(graphqlRequest("s1", tok), func() { ta.clock = ta.clock.Add(2 * time.Minute) })
		if w.Code != http.StatusUnauthorized || p != nil || !strings.Contains(w.Body.String(), "the token has expired") {
			t.Fatalf("served %d as %+v: %s", w.Code, p, w.Body)
		}
		if got := w.Header().Get("WWW-Authenticate"); got != `Bearer realm="ipack-gateway", error="invalid_token"` {
			t.Errorf("WWW-Authenticate %q", got)
		}
		if ta.failures.charged != 1 || ta.clients.allow != 1 {
			t.Errorf("charged %d failures, asked the rate %d times; want 1, 1", ta.failures.charged, ta.clients.allow)
		}
	})
	t.Run("token removed by a reload while waiting", func(t *testing.T) {
		ta := newTestAuth(t, "tok")
		w, p := ta.authenticateThenServe(graphqlRequest("s1", "tok"), func() {
			if err := ta.spaces.Load(spacesConfig(t, "other"), nil); err != nil {
				t.Fatal(err)
			}
		})
		if w.Code != http.StatusUnauthorized || p != nil || !strings.Contains(w.Body.String(), "the token is not valid") {
			t.Fatalf("served %d as %+v: %s", w.Code, p, w.Body)
		}
		if ta.failures.charged != 1 {
			t.Errorf("charged %d failures, want 1", ta.failures.charged)
		}
	})
	t.Run("refused before the wait", func(t *testing.T) {
		ta := newTestAuth(t, "tok")
		w, p := ta.authenticateThenServe(graphqlRequest("s1", "bad"), nil)
		if w.Code != http.StatusUnauthorized || p != nil {
			t.Fatalf("served %d as %+v", w.Code, p)
		}
		if ta.failures.charged != 1 || ta.clients.allow != 0 || ta.failures.exhausted != 1 {
			t.Errorf("charged %d failures, asked the rate %d times, the throttle %d; want 1, 0, 1", ta.failures.charged, ta.clients.allow, ta.failures.exhausted)
		}
	})
	t.Run("not authenticated before", func(t *testing.T) {
		ta := newTestAuth(t, "tok")
		var p *Principal
		w := httptest.NewRecorder()
		ta.Require(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { p = PrincipalFrom(r.Context()) })).ServeHTTP(w, graphqlRequest("s1", "tok"))
		if w.Code != http.StatusOK || p == nil || p.Space != "s1" || ta.clients.allow != 1 {
			t.Fatalf("served %d as %+v, rate asked %d times", w.Code, p, ta.clients.allow)
		}
	})
}
