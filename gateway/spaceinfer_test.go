package gateway_test

import (
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
	"github.com/ipack-gateway/ipack-gateway/internal/compose"
	"github.com/ipack-gateway/ipack-gateway/platformapi/simulator"
)

const inferKey = "spaceinfer-test-signing-key-0123456789abcdef"

// inferEnv is a gateway with spaces a, b and c on the demo account, o on
// another, and passthrough p (the default when withDefault). Client token
// tok-a is a's; tok-ab a's and b's; tok-x a's and o's. JWTs of jwt-one are
// valid in a; of jwt-two in b and c.
func inferEnv(t *testing.T, withDefault bool) *env {
	t.Helper()
	sim := simulator.NewDemo(simulator.Options{RecordRequests: true, RateLimit: -1})
	up := httptest.NewServer(sim)
	t.Cleanup(up.Close)
	hash := func(s string) string {
		sum := sha256.Sum256([]byte(s))
		return "sha256:" + hex.EncodeToString(sum[:])
	}
	creds := fmt.Sprintf("credentials: {username: %s, password: %s}", simulator.DemoUsername, simulator.DemoPassword)
	cfg, err := config.Parse([]byte(fmt.Sprintf(`
platform: {baseURL: %[1]s, rateLimit: {requestsPerSecond: 0}}
clients: {requestsPerSecond: 0}
tokens: {signingKey: %[2]s}
spaces:
  - {guid: space-a, accountId: %[3]s, %[4]s, clientTokens: [%[5]q, %[6]q, %[7]q], tokenCredentials: [{username: jwt-one, passwordHash: %[8]q}]}
  - {guid: space-b, accountId: %[3]s, %[4]s, clientTokens: [%[6]q], tokenCredentials: [{username: jwt-two, passwordHash: %[8]q}]}
  - {guid: space-c, accountId: %[3]s, %[4]s, clientTokens: ["sha256:%[9]s"], tokenCredentials: [{username: jwt-two, passwordHash: %[8]q}]}
  - {guid: space-o, accountId: other-account, %[4]s, clientTokens: [%[7]q]}
  - {guid: space-p, accountId: %[3]s, auth: passthrough, default: %[10]v}
`, up.URL, inferKey, simulator.DemoAccountID, creds, hash("tok-a"), hash("tok-ab"), hash("tok-x"), hash("jwt-pass"),
		strings.Repeat("0", 64), withDefault)), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	srv, err := compose.Gateway(cfg, slog.New(slog.DiscardHandler), compose.Options{})
	if err != nil {
		t.Fatal(err)
	}
	gw := httptest.NewServer(srv)
	t.Cleanup(gw.Close)
	return &env{sim: sim, url: gw.URL}
}

// jwtOf gets a JWT from the gateway's token endpoint.
func (e *env) jwtOf(t *testing.T, user string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", e.url+"/auth/jwt/generate/"+simulator.DemoAccountID, nil)
	req.SetBasicAuth(user, "jwt-pass")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("token for %s: %d %s", user, res.StatusCode, b)
	}
	return string(b)
}

// without sends query with a bearer token and no SPACE_GUID.
func (e *env) without(t *testing.T, token, query string) *response {
	t.Helper()
	return e.do(t, http.MethodPost, query, nil, map[string]string{"Authorization": "Bearer " + token, "Content-Type": "application/json"})
}

// TestSpaceInferred: where the vendor does not ask for SPACE_GUID
// (install, uninstall, spaces, Space), a request without it acts in the
// space its token names: a client token's only space, a JWT's, the first
// by guid of several of one account, else the default space. The space a
// request acts in is first in its spaces list.
func TestSpaceInferred(t *testing.T) {
	for _, withDefault := range []bool{false, true} {
		e := inferEnv(t, withDefault)
		for _, tc := range []struct {
			name, token, want string
		}{
			{"client token of one space", "tok-a", `{"spaces":[{"id":"space-a"}]}`},
			{"client token of two spaces of one account", "tok-ab", `{"spaces":[{"id":"space-a"},{"id":"space-b"}]}`},
			{"JWT valid in one space", e.jwtOf(t, "jwt-one"), `{"spaces":[{"id":"space-a"}]}`},
			{"JWT valid in two spaces", e.jwtOf(t, "jwt-two"), `{"spaces":[{"id":"space-b"},{"id":"space-c"}]}`},
		} {
			r := e.without(t, tc.token, `{ spaces { id } }`)
			if r.Status != 200 || string(r.Data) != tc.want || len(r.Errors) != 0 {
				t.Errorf("default %v, %s: %d %s, want %s", withDefault, tc.name, r.Status, r.Raw, tc.want)
			}
		}

		// A token that names no space: the default space when there is one
		// (here a passthrough space, where the vendor's token works), else
		// refused, naming the header.
		r := e.without(t, simulator.DemoBearerToken, `{ spaces { id } }`)
		if withDefault && (r.Status != 200 || string(r.Data) != `{"spaces":[{"id":"space-p"}]}`) {
			t.Errorf("the vendor's token, with a default: %d %s", r.Status, r.Raw)
		}
		if !withDefault && (r.Status != 401 || r.code() != "MISSING_SPACE_ID" || !strings.Contains(r.Errors[0].Message, "SPACE_GUID")) {
			t.Errorf("the vendor's token, without a default: %d %s, want 401 MISSING_SPACE_ID", r.Status, r.Raw)
		}

		// A token valid in spaces of two accounts is ambiguous, default or
		// not: refused, with the count of spaces and accounts, not their
		// ids, and nothing is called.
		before := len(e.sim.Requests())
		r = e.without(t, "tok-x", `{ spaces { id } }`)
		if r.Status != 401 || r.code() != "MISSING_SPACE_ID" || !strings.Contains(r.Errors[0].Message, "SPACE_GUID header is required: the token is valid in 2 spaces of 2 accounts") ||
			strings.Contains(string(r.Raw), "space-a") || strings.Contains(string(r.Raw), "space-o") {
			t.Errorf("default %v, ambiguous token: %d %s", withDefault, r.Status, r.Raw)
		}
		if n := len(e.sim.Requests()) - before; n != 0 {
			t.Errorf("ambiguous token: %d REST calls", n)
		}
	}
}

// TestSpaceInferredOperations: install, uninstall and Space answer without
// SPACE_GUID; every other operation still needs it (the vendor's pages
// list it), and is refused before any REST call.
func TestSpaceInferredOperations(t *testing.T) {
	e := inferEnv(t, false)
	jwt := e.jwtOf(t, "jwt-one")
	r := e.without(t, jwt, `mutation { integrationPackInstanceInstall(input: {integrationPackId: "`+simulator.DemoMultiPackID+`", integrationPackOverrideName: "inferred"}) { id integrationPackOverrideName } }`)
	var installed struct {
		Install struct{ ID string } `json:"integrationPackInstanceInstall"`
	}
	_ = json.Unmarshal(r.Data, &installed)
	if r.Status != 200 || len(r.Errors) != 0 || installed.Install.ID == "" {
		t.Fatalf("install without SPACE_GUID: %d %s", r.Status, r.Raw)
	}
	r = e.without(t, "tok-a", `mutation { integrationPackInstanceUninstall(id: "`+installed.Install.ID+`") }`)
	if r.Status != 200 || string(r.Data) != `{"integrationPackInstanceUninstall":"`+installed.Install.ID+`"}` {
		t.Errorf("uninstall without SPACE_GUID: %d %s", r.Status, r.Raw)
	}
	r = e.without(t, "tok-ab", `{ Space(id: "space-b") { id } space(id: "space-a") { id } __typename }`)
	if r.Status != 200 || string(r.Data) != `{"Space":{"id":"space-b"},"space":{"id":"space-a"},"__typename":"Query"}` {
		t.Errorf("Space without SPACE_GUID: %d %s", r.Status, r.Raw)
	}

	before := len(e.sim.Requests())
	for _, q := range []string{
		`{ environments { id } }`,
		`{ spaces { id } integrationPackInstances { id } }`,
		`query q { ...f } fragment f on Query { spaceAccounts { id } }`,
		`mutation { integrationPackInstanceEnvironmentAttachmentUnattach(id: "x") }`,
	} {
		r := e.without(t, "tok-a", q)
		if r.Status != 401 || r.code() != "MISSING_SPACE_ID" || !strings.Contains(r.Errors[0].Message, "The SPACE_GUID header is required for ") ||
			!strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer ") {
			t.Errorf("%s without SPACE_GUID: %d %s, want 401 MISSING_SPACE_ID", q, r.Status, r.Raw)
		}
	}
	if n := len(e.sim.Requests()) - before; n != 0 {
		t.Errorf("%d REST calls for refused requests", n)
	}
	// With the header, as before.
	r = e.do(t, http.MethodPost, `{ environments { id } }`, nil, map[string]string{"SPACE_GUID": "space-a", "Authorization": "Bearer tok-a", "Content-Type": "application/json"})
	if r.Status != 200 || len(r.Errors) != 0 {
		t.Errorf("environments with SPACE_GUID: %d %s", r.Status, r.Raw)
	}
}

// TestSpaceInferredTokenChecks: inferring a space never lets a token in
// that the space would refuse: an expired JWT of the gateway's is told so,
// a wrong token without a default names the header, and no token at all
// is unauthorized where a default space exists.
func TestSpaceInferredTokenChecks(t *testing.T) {
	e := inferEnv(t, true)
	old, err := authtoken.New(inferKey, authtoken.Options{Now: func() time.Time { return time.Now().Add(-time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	expired, _, err := old.Issue(authtoken.Grant{Subject: "jwt-one", Credential: "c", AccountID: simulator.DemoAccountID, Spaces: []string{"space-a"}})
	if err != nil {
		t.Fatal(err)
	}
	r := e.without(t, expired, `{ spaces { id } }`)
	if r.Status != 401 || r.code() != "UNAUTHORIZED" || !strings.Contains(r.Errors[0].Message, "expired") {
		t.Errorf("expired JWT: %d %s", r.Status, r.Raw)
	}
	r = e.do(t, http.MethodPost, `{ spaces { id } }`, nil, map[string]string{"Content-Type": "application/json"})
	if r.Status != 401 || r.code() != "UNAUTHORIZED" {
		t.Errorf("no token: %d %s", r.Status, r.Raw)
	}
	e = inferEnv(t, false)
	r = e.without(t, "tok-unknown", `{ spaces { id } }`)
	if r.Status != 401 || r.code() != "MISSING_SPACE_ID" {
		t.Errorf("unknown token: %d %s", r.Status, r.Raw)
	}
}
