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

	"github.com/ipack-gateway/ipack-gateway/config"
	"github.com/ipack-gateway/ipack-gateway/gateway"
	"github.com/ipack-gateway/ipack-gateway/internal/compose"
	"github.com/ipack-gateway/ipack-gateway/internal/testutil"
	"github.com/ipack-gateway/ipack-gateway/platformapi/simulator"
)

// Test fixtures: the demo account of the simulator, and one space on it.
const (
	testSpace = "e26c1a5a-0000-0000-0000-000000000001"
	testToken = "test-token-6c1f"
	// passthroughSpace forwards any bearer token to REST.
	passthroughSpace = "e26c1a5a-0000-0000-0000-000000000002"
	seedInst         = "SW50ZWdyYXRpb25QYWNrSW5zdGFuY2UzNDQ4Ng"
	seedInst2        = "SW50ZWdyYXRpb25QYWNrSW5zdGFuY2UxOTUw"
	seedEnvA         = "730bc9b1-1f7c-4049-bb65-aacf993b6fe0"
	seedEnvB         = "86b413a8-1ebf-4c95-bc5b-139573b77910"
	seedAttID        = "QVRUQUNIX0lQQUNLX0VOVlNXNTBaV2R5WVhScGIyNVFZV05yU1c1emRHRnVZMlV6TkRRNE5nOjg2YjQxM2E4LTFlYmYtNGM5NS1iYzViLTEzOTU3M2I3NzkxMA"
	attachField      = "integrationPackInstanceEnvironmentAttachmentAttach"
)

// env is a gateway in front of a simulator, both on loopback.
type env struct {
	sim  *simulator.Server
	url  string // the gateway's
	logs *testutil.SyncBuffer
}

type envOptions struct {
	// sim is the upstream; nil means a fresh demo simulator without a
	// rate limit.
	sim *simulator.Server
	// wrap, when set, sits between the gateway and the simulator, to
	// inject faults or observe calls.
	wrap func(http.Handler) http.Handler
	// platformYAML is appended to the platform section (indented keys).
	platformYAML string
	// extraYAML is appended to the config (top-level keys).
	extraYAML string
}

// newEnvYAML is newEnv with config additions.
func newEnvYAML(t *testing.T, wrap func(http.Handler) http.Handler, platformYAML string, extra ...string) *env {
	return newEnv(t, envOptions{wrap: wrap, platformYAML: platformYAML, extraYAML: strings.Join(extra, "")})
}

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	srv, e := newServer(t, o)
	gw := httptest.NewServer(srv)
	t.Cleanup(gw.Close)
	e.url = gw.URL
	return e
}

// newServer builds the gateway (not yet serving) in front of a simulator.
func newServer(t testing.TB, o envOptions) (*gateway.Server, *env) {
	t.Helper()
	sim := o.sim
	if sim == nil {
		sim = simulator.NewDemo(simulator.Options{RecordRequests: true, RateLimit: -1})
	}
	var h http.Handler = sim
	if o.wrap != nil {
		h = o.wrap(sim)
	}
	up := httptest.NewServer(h)
	t.Cleanup(up.Close)
	if !strings.Contains(o.extraYAML, "clients:") {
		o.extraYAML += "clients: {requestsPerSecond: 0}\n" // nor limited per client
	}
	if !strings.Contains(o.platformYAML, "retry:") {
		o.platformYAML += "  retry: {waitMin: 1ms, waitMax: 5ms}\n"
	}
	if !strings.Contains(o.platformYAML, "rateLimit") {
		o.platformYAML += "  rateLimit: {requestsPerSecond: 0}\n" // tests are not paced unless they ask
	}
	sum := sha256.Sum256([]byte(testToken))
	yaml := fmt.Sprintf(`
listen: 127.0.0.1:0
platform:
  baseURL: %s
%s
spaces:
  - guid: %s
    accountId: %s
    credentials:
      username: %s
      password: ${SIM_PASSWORD}
    clientTokens: ["sha256:%s"]
  - guid: %s
    accountId: %s
    auth: passthrough
%s`, up.URL, o.platformYAML, testSpace, simulator.DemoAccountID, simulator.DemoUsername, hex.EncodeToString(sum[:]), passthroughSpace, simulator.DemoAccountID, o.extraYAML)
	cfg, err := config.Parse([]byte(yaml), func(k string) string {
		if k == "SIM_PASSWORD" {
			return simulator.DemoPassword
		}
		return ""
	})
	if err != nil {
		t.Fatalf("ParseConfig: %v", err)
	}
	logs := &testutil.SyncBuffer{}
	srv, err := compose.Gateway(cfg, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), compose.Options{})
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	return srv, &env{sim: sim, logs: logs}
}

// response is a GraphQL response as the client sees it.
type response struct {
	Status int
	Header http.Header
	Raw    []byte
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
}

type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// post sends a GraphQL request with the test space's headers.
func (e *env) post(t *testing.T, query string, vars map[string]any) *response {
	t.Helper()
	return e.do(t, http.MethodPost, query, vars, map[string]string{
		"SPACE_GUID":    testSpace,
		"Authorization": "Bearer " + testToken,
		"Accept":        "application/json",
		"Content-Type":  "application/json",
	})
}

func (e *env) do(t *testing.T, method, query string, vars map[string]any, headers map[string]string) *response {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(method, e.url+"/graphql", bytes.NewReader(body))
	for k, v := range headers {
		req.Header[k] = []string{v} // as sent: SPACE_GUID keeps its underscore
	}
	return send(t, req)
}

func send(t *testing.T, req *http.Request) *response {
	t.Helper()
	return sendWith(t, http.DefaultClient, req)
}

// sendWith sends req with client.
func sendWith(t *testing.T, client *http.Client, req *http.Request) *response {
	t.Helper()
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("reading response: %v", err)
	}
	r := &response{Status: res.StatusCode, Header: res.Header, Raw: raw}
	if err := json.Unmarshal(raw, r); err != nil {
		t.Fatalf("response is not JSON: %v\n%s", err, raw)
	}
	return r
}

// restCalls returns the recorded REST requests whose path ends in suffix.
func (e *env) restCalls(method, suffix string) []simulator.Request {
	var out []simulator.Request
	for _, r := range e.sim.Requests() {
		if r.Method == method && strings.HasSuffix(r.Path, suffix) {
			out = append(out, r)
		}
	}
	return out
}

func attachQuery(instance string, envs ...string) string {
	q, _ := json.Marshal(append([]string{}, envs...))
	return fmt.Sprintf(`mutation { %s(input: {integrationPackInstanceId: %q, environmentIds: %s}) { id environmentId integrationPackInstanceId environmentExtensions } }`, attachField, instance, q)
}

// errorAt returns the error whose path is [field, index, ...], or nil.
func (r *response) errorAt(index int) *gqlError {
	for i := range r.Errors {
		p := r.Errors[i].Path
		if len(p) >= 2 && p[1] == float64(index) {
			return &r.Errors[i]
		}
	}
	return nil
}

func (r *response) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// attachments decodes the attach field of the data.
func (r *response) attachments(t *testing.T) []*struct {
	ID                        string  `json:"id"`
	EnvironmentID             string  `json:"environmentId"`
	IntegrationPackInstanceID string  `json:"integrationPackInstanceId"`
	EnvironmentExtensions     *string `json:"environmentExtensions"`
} {
	t.Helper()
	var data map[string][]*struct {
		ID                        string  `json:"id"`
		EnvironmentID             string  `json:"environmentId"`
		IntegrationPackInstanceID string  `json:"integrationPackInstanceId"`
		EnvironmentExtensions     *string `json:"environmentExtensions"`
	}
	if err := json.Unmarshal(r.Data, &data); err != nil {
		t.Errorf("data: %v\n%s", err, r.Raw) // not Fatal: callers may run in goroutines
		return nil
	}
	return data[attachField]
}
