package conformance_test

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
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/ipack-gateway/ipack-gateway/config"
	"github.com/ipack-gateway/ipack-gateway/internal/compose"
	"github.com/ipack-gateway/ipack-gateway/platformapi/simulator"
)

// testCase is one entry of testdata/cases.yaml, which documents the keys.
type testCase struct {
	Name     string            `yaml:"name"`
	Source   string            `yaml:"source"`
	Request  string            `yaml:"request"`
	Replace  map[string]string `yaml:"replace"`
	Response string            `yaml:"response"`
	// ResponseReplace are literal replacements made in the documented
	// response first (placeholders the vendor left in its sample).
	ResponseReplace map[string]string `yaml:"responseReplace"`
	Match           string            `yaml:"match"`
	MayBeNull       []string          `yaml:"mayBeNull"`
	// REST is a pointer so that "rest: []" (no REST call) can be told
	// from a case that forgot the key.
	REST *[]string `yaml:"rest"`
}

func loadCases(t *testing.T) []testCase {
	t.Helper()
	data, err := os.ReadFile("testdata/cases.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cases []testCase
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cases); err != nil {
		t.Fatalf("cases.yaml: %v", err)
	}
	for _, c := range cases {
		if c.Name == "" || c.Source == "" || c.Request == "" || c.Response == "" || !slices.Contains([]string{"exact", "shape", "items", "contains"}, c.Match) || c.REST == nil {
			t.Fatalf("cases.yaml: incomplete case %+v", c)
		}
	}
	return cases
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// The suite's secrets and spaces.
const (
	clientToken = "conformance-client-token"
	jwtKey      = "conformance-signing-key-0123456789abcdef"
	tokenUser   = "BOOMI_TOKEN.conformance@example.com"
	tokenPass   = "conformance-api-token"

	spaceToken       = "conformance-token"
	spaceJWT         = "conformance-jwt"
	spacePassthrough = "conformance-passthrough"
)

// harness is the gateway in front of a fresh demo simulator, both served
// over loopback HTTP.
type harness struct {
	sim *simulator.Server
	gw  string
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	sim := simulator.NewDemo(simulator.Options{RateLimit: -1, RecordRequests: true})
	up := httptest.NewServer(sim)
	t.Cleanup(up.Close)
	hash := func(s string) string {
		sum := sha256.Sum256([]byte(s))
		return "sha256:" + hex.EncodeToString(sum[:])
	}
	cfg, err := config.Parse([]byte(fmt.Sprintf(`
platform:
  baseURL: %[1]s
  # The suite checks shapes, not pacing: no REST budget to wait for.
  rateLimit: {requestsPerSecond: 0}
tokens:
  signingKey: %[2]s
spaces:
  - guid: %[3]s
    accountId: %[4]s
    name: Conformance token space
    description: The space of the client-token mode
    url: https://spaces.example.com/?guid=%[3]s
    accountName: Conformance Test Account
    # The vendor's Trial1_Space sample's account group and dates.
    accountGroup: {id: 3ebe1222-b5fa-4d53-ab2f-fd57c4daf530, name: Trial1}
    theme: {logoAltTxt: testing}
    createdDate: "2022-11-03 08:43:50.0"
    modifiedDate: "2023-04-14 08:15:00.0"
    credentials: {username: %[5]q, password: %[6]q}
    clientTokens: [%[7]q]
  - guid: %[8]s
    accountId: %[4]s
    name: Conformance JWT space
    description: The space of the JWT mode
    url: https://spaces.example.com/?guid=%[8]s
    accountName: Conformance Test Account
    # The vendor's Trial1_Space sample's account group and dates.
    accountGroup: {id: 3ebe1222-b5fa-4d53-ab2f-fd57c4daf530, name: Trial1}
    theme: {logoAltTxt: testing}
    createdDate: "2022-11-03 08:43:50.0"
    modifiedDate: "2023-04-14 08:15:00.0"
    credentials: {username: %[5]q, password: %[6]q}
    tokenCredentials: [{username: %[9]q, passwordHash: %[10]q}]
  - guid: %[11]s
    accountId: %[4]s
    name: Conformance passthrough space
    description: The space of the passthrough mode
    url: https://spaces.example.com/?guid=%[11]s
    accountName: Conformance Test Account
    # The vendor's Trial1_Space sample's account group and dates.
    accountGroup: {id: 3ebe1222-b5fa-4d53-ab2f-fd57c4daf530, name: Trial1}
    theme: {logoAltTxt: testing}
    createdDate: "2022-11-03 08:43:50.0"
    modifiedDate: "2023-04-14 08:15:00.0"
    auth: passthrough
`, up.URL, jwtKey, spaceToken, simulator.DemoAccountID, simulator.DemoUsername, simulator.DemoPassword, hash(clientToken),
		spaceJWT, tokenUser, hash(tokenPass), spacePassthrough)), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	srv, err := compose.Gateway(cfg, slog.New(slog.DiscardHandler), compose.Options{Version: "conformance"})
	if err != nil {
		t.Fatal(err)
	}
	gw := httptest.NewServer(srv)
	t.Cleanup(gw.Close)
	return &harness{sim: sim, gw: gw.URL}
}

// token gets a JWT as the vendor's clients do: GET
// /auth/jwt/generate/{accountId} with HTTP Basic.
func (h *harness) token(t *testing.T) string {
	t.Helper()
	req, _ := http.NewRequest("GET", h.gw+"/auth/jwt/generate/"+simulator.DemoAccountID, nil)
	req.SetBasicAuth(tokenUser, tokenPass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("token endpoint: %d %s", resp.StatusCode, body)
	}
	return string(body)
}

// send posts a GraphQL document with the headers the vendor documents.
func (h *harness) send(t *testing.T, space, bearer, query string) (int, http.Header, []byte) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"query": query})
	req, _ := http.NewRequest("POST", h.gw+"/graphql", bytes.NewReader(body))
	req.Header.Set("SPACE_GUID", space)
	req.Header.Set("Authorization", "Bearer "+bearer)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, bytes.TrimSuffix(data, []byte("\n"))
}

// restCalls returns the REST calls the simulator saw, as "METHOD /path"
// after the account id, sorted.
func (h *harness) restCalls() []string {
	var out []string
	for _, r := range h.sim.Requests() {
		out = append(out, r.Method+" "+strings.TrimPrefix(r.Path, "/"+simulator.DemoAccountID))
	}
	sort.Strings(out)
	return out
}

func TestConformance(t *testing.T) {
	cases := loadCases(t)
	modes := []struct {
		name  string
		space string
		// bearer returns the token to send.
		bearer func(*testing.T, *harness) string
		// auth is the Authorization header the REST calls must carry.
		auth func(bearer string) string
		// checksToken: the spaces fields check the token with a REST call
		// of their own (GET Account, remembered 30 s; docs/connections.md),
		// which is no case's.
		checksToken bool
	}{
		{"client token", spaceToken,
			func(*testing.T, *harness) string { return clientToken },
			func(string) string { return basic(simulator.DemoUsername, simulator.DemoPassword) }, false},
		{"JWT from the token endpoint", spaceJWT,
			func(t *testing.T, h *harness) string { return h.token(t) },
			func(string) string { return basic(simulator.DemoUsername, simulator.DemoPassword) }, false},
		{"passthrough of a vendor token", spacePassthrough,
			func(*testing.T, *harness) string { return simulator.DemoBearerToken },
			func(bearer string) string { return "Bearer " + bearer }, true},
	}
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			h := newHarness(t)
			bearer := mode.bearer(t, h)
			checks := 0
			defer func() {
				if mode.checksToken && checks == 0 {
					t.Error("the spaces fields never checked the passthrough token")
				}
			}()
			for _, c := range cases {
				t.Run(c.Name, func(t *testing.T) {
					query := string(readFile(t, c.Request))
					for old, repl := range c.Replace {
						if !strings.Contains(query, old) {
							t.Fatalf("replace: %q is not in %s", old, c.Request)
						}
						// $SPACE_GUID stands for the mode's space.
						query = strings.ReplaceAll(query, old, strings.ReplaceAll(repl, "$SPACE_GUID", mode.space))
					}
					h.sim.ResetRequests()
					status, header, body := h.send(t, mode.space, bearer, query)
					if status != http.StatusOK || !strings.HasPrefix(header.Get("Content-Type"), "application/json") {
						t.Fatalf("HTTP %d %q: %s", status, header.Get("Content-Type"), body)
					}
					want := readFile(t, c.Response)
					for old, repl := range c.ResponseReplace {
						if !bytes.Contains(want, []byte(old)) {
							t.Fatalf("responseReplace: %q is not in %s", old, c.Response)
						}
						want = bytes.ReplaceAll(want, []byte(old), []byte(repl))
					}
					switch c.Match {
					case "exact":
						var compact bytes.Buffer
						if err := json.Compact(&compact, want); err != nil {
							t.Fatalf("%s: %v", c.Response, err)
						}
						if !bytes.Equal(body, compact.Bytes()) {
							t.Errorf("answer\n%s\nis not byte-identical to the documented\n%s", body, compact.Bytes())
						}
					case "shape":
						for _, p := range matchShape(want, body, c.MayBeNull) {
							t.Error(p)
						}
					case "items":
						for _, p := range matchItems(want, body) {
							t.Error(p)
						}
					case "contains":
						for _, line := range strings.Split(strings.TrimSpace(string(want)), "\n") {
							if !bytes.Contains(body, []byte(line)) {
								t.Errorf("answer\n%s\ndoes not contain the documented\n%s", body, line)
							}
						}
					}
					wantREST := slices.Sorted(slices.Values(*c.REST))
					got := h.restCalls()
					if mode.checksToken {
						n := len(got)
						got = slices.DeleteFunc(got, func(call string) bool { return call == "GET /Account/"+simulator.DemoAccountID })
						checks += n - len(got)
					}
					if !slices.Equal(got, wantREST) {
						t.Errorf("REST calls = %q, want %q", got, wantREST)
					}
					for _, r := range h.sim.Requests() {
						if got := r.Header.Get("Authorization"); got != mode.auth(bearer) {
							t.Errorf("REST %s %s Authorization = %.12q…, want the mode's", r.Method, r.Path, got)
						}
					}
				})
			}
		})
	}
}

func basic(user, pass string) string {
	req, _ := http.NewRequest("GET", "http://x", nil)
	req.SetBasicAuth(user, pass)
	return req.Header.Get("Authorization")
}
