package gateway_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ipack-gateway/ipack-gateway/authtoken"
	"github.com/ipack-gateway/ipack-gateway/config"
	"github.com/ipack-gateway/ipack-gateway/gateway"
	"github.com/ipack-gateway/ipack-gateway/internal/compose"
	"github.com/ipack-gateway/ipack-gateway/internal/testutil"
	"github.com/ipack-gateway/ipack-gateway/platformapi/simulator"
)

// Secrets of the auth tests; none may appear in a log line.
const (
	authKey         = "test-signing-key-0123456789abcdef" // 33 bytes
	authClientToken = "static-client-token"
	authUser        = "BOOMI_TOKEN.jane@example.com"
	authPassword    = "jane-api-token"
)

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// authEnv is a gateway in front of the demo simulator with four spaces:
//
//	space-jwt    demo account; client token and the token flow
//	space-jwt2   demo account; the same token credentials
//	space-static demo account; client token only
//	space-pass   demo account; passthrough
type authEnv struct {
	sim  *simulator.Server
	gw   *httptest.Server
	srv  *gateway.Server
	logs *testutil.SyncBuffer
	// config returns the configuration with the given password hash in
	// the tokenCredentials of space-jwt and space-jwt2 ("" leaves them out).
	config func(jwtCred, jwt2Cred string) func() (*config.Config, error)
}

func newAuthEnv(t *testing.T, withKey bool, extraYAML ...string) *authEnv {
	t.Helper()
	sim := simulator.NewDemo(simulator.Options{RateLimit: -1, RecordRequests: true})
	up := httptest.NewServer(sim)
	t.Cleanup(up.Close)
	tokens := ""
	if withKey {
		tokens = "tokens:\n  signingKey: ${TEST_KEY}\n"
	}
	credLine := func(hash string) string {
		if hash == "" {
			return ""
		}
		return fmt.Sprintf("    tokenCredentials: [{username: %q, passwordHash: %q}]\n", authUser, hash)
	}
	basic := fmt.Sprintf("    credentials: {username: %q, password: %q}\n", simulator.DemoUsername, simulator.DemoPassword)
	config := func(jwtCred, jwt2Cred string) func() (*config.Config, error) {
		yaml := fmt.Sprintf("platform:\n  baseURL: %s\n%s%sspaces:\n", up.URL, tokens, strings.Join(extraYAML, "")) +
			"  - guid: space-jwt\n    accountId: demo-account\n" + basic + fmt.Sprintf("    clientTokens: [%q]\n", sha(authClientToken)) + credLine(jwtCred) +
			"  - guid: space-jwt2\n    accountId: demo-account\n" + basic + fmt.Sprintf("    clientTokens: [%q]\n", sha("other")) + credLine(jwt2Cred) +
			"  - guid: space-static\n    accountId: demo-account\n" + basic + fmt.Sprintf("    clientTokens: [%q]\n", sha(authClientToken)) +
			"  - guid: space-pass\n    accountId: demo-account\n    auth: passthrough\n"
		return func() (*config.Config, error) {
			return config.Parse([]byte(yaml), func(k string) string {
				if k == "TEST_KEY" {
					return authKey
				}
				return ""
			})
		}
	}
	cred := ""
	if withKey {
		cred = sha(authPassword)
	}
	cfg, err := config(cred, cred)()
	if err != nil {
		t.Fatal(err)
	}
	logs := &testutil.SyncBuffer{}
	gw, err := compose.Gateway(cfg, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), compose.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gw)
	t.Cleanup(srv.Close)
	return &authEnv{sim: sim, gw: srv, srv: gw, logs: logs, config: config}
}

// token calls the token endpoint.
func (e *authEnv) token(t *testing.T, method, account, user, pass string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, e.gw.URL+"/auth/jwt/generate/"+account, nil)
	if user != "" || pass != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

type authResult struct {
	status int
	code   string // first error's extensions.code
	data   json.RawMessage
}

// graphql sends a query as the vendor's clients do.
func (e *authEnv) graphql(t *testing.T, space, bearer, query string) authResult {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"query": query})
	req, _ := http.NewRequest("POST", e.gw.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("SPACE_GUID", space)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	r := authResult{status: resp.StatusCode, data: out.Data}
	if len(out.Errors) > 0 {
		r.code, _ = out.Errors[0].Extensions["code"].(string)
	}
	return r
}

const packsQuery = `{ integrationPackInstances { id } }`

func TestTokenEndpoint(t *testing.T) {
	e := newAuthEnv(t, true)

	resp, tok := e.token(t, "GET", "demo-account", authUser, authPassword)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("token: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"))
	}
	if !authtoken.LooksLikeJWT(tok) || strings.TrimSpace(tok) != tok {
		t.Fatalf("token body %q is not a bare JWT", tok)
	}
	// The token binds the account and both spaces that accept jane.
	s, _ := authtoken.New(authKey, authtoken.Options{})
	claims, err := s.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if claims.AccountID != "demo-account" || fmt.Sprint(claims.Spaces) != "[space-jwt space-jwt2]" || claims.Subject != authUser {
		t.Errorf("claims = %+v", claims)
	}
	if life := claims.ExpiresAt.Sub(claims.IssuedAt.Time); life != 5*time.Minute {
		t.Errorf("lifetime = %s, want 5m", life)
	}

	for _, tc := range []struct {
		name, method, account, user, pass string
		status                            int
	}{
		{"wrong password", "GET", "demo-account", authUser, "nope", 401},
		{"unknown user", "GET", "demo-account", "BOOMI_TOKEN.eve@example.com", authPassword, 401},
		{"other account", "GET", "other-account", authUser, authPassword, 401},
		{"no credentials", "GET", "demo-account", "", "", 401},
		{"REST credentials are not token credentials", "GET", "demo-account", simulator.DemoUsername, simulator.DemoPassword, 401},
		{"POST", "POST", "demo-account", authUser, authPassword, 405},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := e.token(t, tc.method, tc.account, tc.user, tc.pass)
			if resp.StatusCode != tc.status {
				t.Errorf("status = %d %s, want %d", resp.StatusCode, body, tc.status)
			}
			if tc.status == 401 && (!strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic ") || !strings.Contains(body, `"code":"UNAUTHORIZED"`)) {
				t.Errorf("401 without a Basic challenge or code: %q %s", resp.Header.Get("WWW-Authenticate"), body)
			}
		})
	}
}

func TestGraphQLAcceptsTokens(t *testing.T) {
	e := newAuthEnv(t, true)
	_, tok := e.token(t, "GET", "demo-account", authUser, authPassword)

	past := func() time.Time { return time.Now().Add(-10 * time.Minute) }
	old, _ := authtoken.New(authKey, authtoken.Options{Now: past})
	expired, _, _ := old.Issue(authtoken.Grant{Subject: authUser, Credential: "c", AccountID: "demo-account", Spaces: []string{"space-jwt"}})
	foreign, _ := authtoken.New(strings.Repeat("k", 40), authtoken.Options{})
	forged, _, _ := foreign.Issue(authtoken.Grant{Subject: authUser, Credential: "c", AccountID: "demo-account", Spaces: []string{"space-jwt"}})
	same, _ := authtoken.New(authKey, authtoken.Options{})
	otherAccount, _, _ := same.Issue(authtoken.Grant{Subject: authUser, Credential: "c", AccountID: "other-account", Spaces: []string{"space-jwt"}})
	// Signed with the right key, but on a credential no space lists.
	unlisted, _, _ := same.Issue(authtoken.Grant{Subject: authUser, Credential: "c", AccountID: "demo-account", Spaces: []string{"space-jwt"}})
	parts := strings.Split(tok, ".")
	tampered := parts[0] + "." + parts[1] + "x." + parts[2]

	tests := []struct {
		name, space, bearer string
		status              int
		code                string
	}{
		{"JWT", "space-jwt", tok, 200, ""},
		{"JWT in its second space", "space-jwt2", tok, 200, ""},
		{"JWT in a space it does not bind", "space-static", tok, 403, "FORBIDDEN"},
		{"client token still works", "space-jwt", authClientToken, 200, ""},
		{"expired JWT", "space-jwt", expired, 401, "UNAUTHORIZED"},
		{"JWT signed with another key", "space-jwt", forged, 401, "UNAUTHORIZED"},
		{"tampered JWT", "space-jwt", tampered, 401, "UNAUTHORIZED"},
		{"JWT for another account", "space-jwt", otherAccount, 403, "FORBIDDEN"},
		{"JWT on an unlisted credential", "space-jwt", unlisted, 401, "UNAUTHORIZED"},
		{"unknown client token", "space-jwt", "guess", 401, "UNAUTHORIZED"},
		{"client token of another space", "space-static", "other", 403, "FORBIDDEN"},
		{"not a JWT, with dots", "space-jwt", "a.b.c", 401, "UNAUTHORIZED"},
		{"no token", "space-jwt", "", 401, "UNAUTHORIZED"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.graphql(t, tc.space, tc.bearer, packsQuery)
			if r.status != tc.status || r.code != tc.code {
				t.Errorf("status %d code %q, want %d %q", r.status, r.code, tc.status, tc.code)
			}
		})
	}
	assertNoSecrets(t, e.logs.String(), tok, expired, forged, authKey, authClientToken, authPassword, simulator.DemoPassword)
}

// TestTokenOutlivesNoCredential: a JWT is only as good as the credential
// that issued it. Removing the credential from a space (SIGHUP) ends the
// token there at once, not when it expires; removing it everywhere, or
// changing its password, ends it everywhere.
func TestTokenOutlivesNoCredential(t *testing.T) {
	e := newAuthEnv(t, true)
	_, tok := e.token(t, "GET", "demo-account", authUser, authPassword)
	check := func(step string, want map[string]int) {
		t.Helper()
		for space, status := range want {
			if r := e.graphql(t, space, tok, `{ __typename }`); r.status != status {
				t.Errorf("%s: the JWT in %s: %d %q, want %d", step, space, r.status, r.code, status)
			}
		}
	}
	check("issued", map[string]int{"space-jwt": 200, "space-jwt2": 200})

	// space-jwt no longer lists jane: the token is still valid in
	// space-jwt2, which does, so it is 403 in space-jwt.
	if err := e.srv.Reload(e.config("", sha(authPassword))); err != nil {
		t.Fatal(err)
	}
	check("removed from space-jwt", map[string]int{"space-jwt": 403, "space-jwt2": 200})

	// No space lists jane: the token is no credential any more.
	if err := e.srv.Reload(e.config("", "")); err != nil {
		t.Fatal(err)
	}
	check("removed everywhere", map[string]int{"space-jwt": 401, "space-jwt2": 401})

	// jane again, with another password: the token issued on the old
	// one stays refused; a token on the new one works.
	if err := e.srv.Reload(e.config(sha("rotated-api-token"), sha("rotated-api-token"))); err != nil {
		t.Fatal(err)
	}
	check("password changed", map[string]int{"space-jwt": 401, "space-jwt2": 401})
	if _, fresh := e.token(t, "GET", "demo-account", authUser, "rotated-api-token"); e.graphql(t, "space-jwt", fresh, `{ __typename }`).status != 200 {
		t.Errorf("a token on the new password is refused")
	}
	assertNoSecrets(t, e.logs.String(), tok, authPassword, authKey)
}

func TestNoSigningKey(t *testing.T) {
	e := newAuthEnv(t, false)
	resp, body := e.token(t, "GET", "demo-account", authUser, authPassword)
	if resp.StatusCode != 404 || !strings.Contains(body, `"code":"NOT_FOUND"`) {
		t.Errorf("token endpoint without a key = %d %s, want 404 NOT_FOUND", resp.StatusCode, body)
	}
	s, _ := authtoken.New(authKey, authtoken.Options{})
	tok, _, _ := s.Issue(authtoken.Grant{Subject: authUser, Credential: "c", AccountID: "demo-account", Spaces: []string{"space-jwt"}})
	// No key, so no JWT can be valid here: the credential is not valid.
	if r := e.graphql(t, "space-jwt", tok, packsQuery); r.status != 401 || r.code != "UNAUTHORIZED" {
		t.Errorf("JWT on a gateway without a key: %d %q, want 401 UNAUTHORIZED", r.status, r.code)
	}
}

func TestPassthrough(t *testing.T) {
	e := newAuthEnv(t, true)
	r := e.graphql(t, "space-pass", simulator.DemoBearerToken, packsQuery)
	if r.status != 200 || r.code != "" || !strings.HasPrefix(string(r.data), `{"integrationPackInstances":[{"id":`) {
		t.Fatalf("passthrough with the vendor token: %d %q %s", r.status, r.code, r.data)
	}
	reqs := e.sim.Requests()
	if len(reqs) == 0 {
		t.Fatal("no REST request")
	}
	for _, req := range reqs {
		if got := req.Header.Get("Authorization"); got != "Bearer "+simulator.DemoBearerToken {
			t.Errorf("REST Authorization = %q, want the client's bearer token", got)
		}
	}

	// A token the REST API refuses comes back as the vendor's downstream
	// error, not as an HTTP-level rejection by the gateway.
	r = e.graphql(t, "space-pass", "expired-vendor-token", packsQuery)
	if r.status != 200 || r.code != "UNAUTHORIZED" || string(r.data) != `{"integrationPackInstances":null}` {
		t.Errorf("passthrough with a refused token: %d %q %s", r.status, r.code, r.data)
	}
	if r := e.graphql(t, "space-pass", "", packsQuery); r.status != 401 {
		t.Errorf("passthrough without a token: %d, want 401", r.status)
	}
	// Credential spaces keep using their stored credentials.
	e.sim.ResetRequests()
	if r := e.graphql(t, "space-static", authClientToken, packsQuery); r.status != 200 || r.code != "" {
		t.Fatalf("credentials space: %d %q", r.status, r.code)
	}
	if got := e.sim.Requests()[0].Header.Get("Authorization"); !strings.HasPrefix(got, "Basic ") {
		t.Errorf("credentials space REST Authorization = %q, want Basic", got)
	}
	assertNoSecrets(t, e.logs.String(), simulator.DemoBearerToken, "expired-vendor-token", simulator.DemoPassword, authClientToken)
}

func assertNoSecrets(t *testing.T, logs string, secrets ...string) {
	t.Helper()
	if logs == "" {
		t.Fatal("no log lines captured; the check would prove nothing")
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(logs, s) {
			t.Errorf("a secret (%d bytes) appears in the logs", len(s))
		}
	}
	assertNoDuplicateKeys(t, logs)
}

// assertNoDuplicateKeys checks that no JSON log line has a key twice (a
// log pipeline keeps one of them, and which one is up to it).
func assertNoDuplicateKeys(t *testing.T, logs string) {
	t.Helper()
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		dec := json.NewDecoder(strings.NewReader(line))
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			continue // not a JSON line
		}
		seen := map[string]bool{}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				break
			}
			key, _ := tok.(string)
			if seen[key] {
				t.Errorf("log line has %q twice: %s", key, line)
			}
			seen[key] = true
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				break
			}
		}
	}
}
