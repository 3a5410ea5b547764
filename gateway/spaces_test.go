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
	"testing"

	"github.com/ipack-gateway/ipack-gateway/config"
	"github.com/ipack-gateway/ipack-gateway/internal/compose"
	"github.com/ipack-gateway/ipack-gateway/platformapi/simulator"
)

// spacesEnv is a gateway with four spaces on the demo account: A admits
// client token a, B admits a and b, C admits b, and the token endpoint's
// credentials in A and C; P is passthrough.
func spacesEnv(t *testing.T) *env {
	t.Helper()
	sim := simulator.NewDemo(simulator.Options{RecordRequests: true, RateLimit: -1})
	up := httptest.NewServer(sim)
	t.Cleanup(up.Close)
	hash := func(s string) string {
		sum := sha256.Sum256([]byte(s))
		return "sha256:" + hex.EncodeToString(sum[:])
	}
	cfg, err := config.Parse([]byte(fmt.Sprintf(`
platform: {baseURL: %[1]s}
tokens: {signingKey: spaces-test-signing-key-0123456789abcdef}
spaces:
  - {guid: space-a, accountId: %[2]s, name: Space A, description: The first, url: "https://spaces.example.com/?guid=space-a", accountName: Acme Corp,
     accountGroup: {id: group-1, name: Partners}, theme: {logoUrl: "https://spaces.example.com/a.png"}, createdDate: "2022-11-03 08:43:50.0",
     credentials: {username: u, password: p}, clientTokens: [%[3]q], tokenCredentials: [{username: jwt-user, passwordHash: %[5]q}]}
  - {guid: space-b, accountId: %[2]s, name: Space B, credentials: {username: u, password: p}, clientTokens: [%[3]q, %[4]q]}
  - {guid: space-c, accountId: %[2]s, credentials: {username: u, password: p}, clientTokens: [%[4]q], tokenCredentials: [{username: jwt-user, passwordHash: %[5]q}]}
  - {guid: space-p, accountId: %[2]s, auth: passthrough}
`, up.URL, simulator.DemoAccountID, hash("token-a"), hash("token-b"), hash("jwt-pass"))), func(string) string { return "" })
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

func (e *env) as(t *testing.T, space, token, query string) *response {
	t.Helper()
	return e.do(t, http.MethodPost, query, nil, map[string]string{
		"SPACE_GUID": space, "Authorization": "Bearer " + token, "Content-Type": "application/json",
	})
}

// A token sees the spaces that admit it, its own first; passthrough sees
// only itself. No REST call is made, but on the passthrough space, where
// one REST call checks the token (TestPassthroughSpacesCheckToken).
func TestSpacesVisibility(t *testing.T) {
	e := spacesEnv(t)
	req, _ := http.NewRequest("GET", e.url+"/auth/jwt/generate/"+simulator.DemoAccountID, nil)
	req.SetBasicAuth("jwt-user", "jwt-pass")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	jwt, _ := io.ReadAll(res.Body)
	res.Body.Close()

	for _, tc := range []struct {
		space, token string
		want         string
	}{
		{"space-a", "token-a", `{"spaces":[{"id":"space-a","name":"Space A"},{"id":"space-b","name":"Space B"}]}`},
		{"space-b", "token-a", `{"spaces":[{"id":"space-b","name":"Space B"},{"id":"space-a","name":"Space A"}]}`},
		{"space-b", "token-b", `{"spaces":[{"id":"space-b","name":"Space B"},{"id":"space-c","name":null}]}`},
		{"space-c", string(jwt), `{"spaces":[{"id":"space-c","name":null},{"id":"space-a","name":"Space A"}]}`},
		{"space-p", simulator.DemoBearerToken, `{"spaces":[{"id":"space-p","name":null}]}`},
	} {
		r := e.as(t, tc.space, tc.token, `{ spaces { id name } }`)
		if string(r.Data) != tc.want || len(r.Errors) != 0 {
			t.Errorf("spaces in %s = %s %v, want %s", tc.space, r.Data, r.Errors, tc.want)
		}
	}
	if n := len(e.sim.Requests()); n != 1 {
		t.Errorf("%d REST calls, want the passthrough token's check only", n)
	}
}

func TestSpaceByID(t *testing.T) {
	e := spacesEnv(t)
	const fields = `id name description url createdDate createdByAccountId modifiedDate modifiedByAccountId accountGroup { id name } sharedIpacks { id } theme { logoUrl logoAltTxt }`
	// Both spellings, with the documented selection: what the
	// configuration says, the creating account (the space's), and null for
	// what it does not say.
	r := e.as(t, "space-b", "token-a", `{ Space(id: "space-a") { `+fields+` } space(id: "space-b") { `+fields+` } }`)
	want := `{"Space":{"id":"space-a","name":"Space A","description":"The first","url":"https://spaces.example.com/?guid=space-a","createdDate":"2022-11-03 08:43:50.0","createdByAccountId":"demo-account","modifiedDate":null,"modifiedByAccountId":null,"accountGroup":{"id":"group-1","name":"Partners"},"sharedIpacks":null,"theme":{"logoUrl":"https://spaces.example.com/a.png","logoAltTxt":null}},` +
		`"space":{"id":"space-b","name":"Space B","description":null,"url":null,"createdDate":null,"createdByAccountId":"demo-account","modifiedDate":null,"modifiedByAccountId":null,"accountGroup":null,"sharedIpacks":null,"theme":null}}`
	if string(r.Data) != want || len(r.Errors) != 0 {
		t.Errorf("Space(space-a) = %s %v, want %s", r.Data, r.Errors, want)
	}
	// A space the token does not open is not found, as one that does not
	// exist: the answer cannot tell them apart.
	for _, id := range []string{"space-c", "space-p", "nope"} {
		r := e.as(t, "space-a", "token-a", fmt.Sprintf(`{ space(id: %q) { id } }`, id))
		if string(r.Data) != `{"space":null}` || r.code() != "NOT_FOUND" {
			t.Errorf("space(%s) with token a = %s, want null and NOT_FOUND", id, r.Raw)
		}
	}
}

func TestSpaceAccounts(t *testing.T) {
	e := spacesEnv(t)
	for _, tc := range []struct {
		space, criteria, want string
	}{
		{"space-a", ``, `[{"id":"demo-account","name":"Acme Corp"}]`},
		{"space-a", `(criteria: {operator: CONTAINS, argument: "CORP"})`, `[{"id":"demo-account","name":"Acme Corp"}]`},
		{"space-a", `(criteria: {operator: CONTAINS, argument: ""})`, `[{"id":"demo-account","name":"Acme Corp"}]`},
		{"space-a", `(criteria: {operator: STARTSWITH, argument: "acme"})`, `[{"id":"demo-account","name":"Acme Corp"}]`},
		{"space-a", `(criteria: {operator: STARTSWITH, argument: "corp"})`, `[]`},
		// Without a display name, the id is matched.
		{"space-b", `(criteria: {operator: STARTSWITH, argument: "demo"})`, `[{"id":"demo-account","name":null}]`},
	} {
		r := e.as(t, tc.space, "token-a", `{ spaceAccounts`+tc.criteria+` { id name } }`)
		var got struct{ SpaceAccounts json.RawMessage }
		_ = json.Unmarshal(r.Data, &got)
		if string(got.SpaceAccounts) != tc.want || len(r.Errors) != 0 {
			t.Errorf("spaceAccounts%s in %s = %s, want %s", tc.criteria, tc.space, r.Raw, tc.want)
		}
	}
	r := e.as(t, "space-a", "token-a", `{ spaceAccounts(criteria: {operator: ENDSWITH, argument: "x"}) { id } }`)
	if r.code() != "GRAPHQL_VALIDATION_FAILED" {
		t.Errorf("unknown operator = %s, want GRAPHQL_VALIDATION_FAILED", r.Raw)
	}
}
