package gateway_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/ipack-gateway/ipack-gateway/config"
	"github.com/ipack-gateway/ipack-gateway/gateway"
	"github.com/ipack-gateway/ipack-gateway/internal/compose"
	"github.com/ipack-gateway/ipack-gateway/internal/testutil"
	"github.com/ipack-gateway/ipack-gateway/platformapi/simulator"
)

// opsEnv is a gateway served by Serve (as in production, so /readyz sees
// its listener) in front of the demo simulator.
type opsEnv struct {
	sim      *simulator.Server
	upstream *httptest.Server
	srv      *gateway.Server
	base     string
	logs     *testutil.SyncBuffer
	stop     func() error // cancels Serve and waits for it
}

type opsOptions struct {
	wrap        func(http.Handler) http.Handler // between gateway and simulator
	extraYAML   string                          // top-level config keys
	platform    string                          // keys of the platform section, indented
	spaceYAML   string                          // keys of the space, indented by 4
	password    string                          // REST password; default the demo's
	token       string                          // client token; default testToken
	composeOpts compose.Options
	simOpts     simulator.Options
	basePath    string // appended to the simulator's URL in platform.baseURL
}

func newOpsEnv(t *testing.T, o opsOptions) *opsEnv {
	t.Helper()
	if o.password == "" {
		o.password = simulator.DemoPassword
	}
	if o.token == "" {
		o.token = testToken
	}
	o.simOpts.RecordRequests = true
	if o.simOpts.RateLimit == 0 {
		o.simOpts.RateLimit = -1
	}
	sim := simulator.NewDemo(o.simOpts)
	var h http.Handler = sim
	if o.wrap != nil {
		h = o.wrap(sim)
	}
	up := httptest.NewServer(h)
	t.Cleanup(up.Close)
	yaml := opsYAML(up.URL+o.basePath, o.token, o.platform, o.extraYAML)
	if o.spaceYAML != "" {
		i := strings.Index(yaml, "    clientTokens:")
		yaml = yaml[:i] + o.spaceYAML + yaml[i:]
	}
	cfg, err := config.Parse([]byte(yaml), func(k string) string {
		if k == "REST_PASSWORD" {
			return o.password
		}
		return ""
	})
	if err != nil {
		t.Fatalf("ParseConfig: %v", err)
	}
	logs := &testutil.SyncBuffer{}
	srv, err := compose.Gateway(cfg, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), o.composeOpts)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	e := &opsEnv{sim: sim, upstream: up, srv: srv, logs: logs}
	e.stop = serve(t, srv, &e.base)
	t.Cleanup(func() { _ = e.stop() })
	return e
}

// opsYAML is a config for one space on the demo account; platform holds
// extra keys of the platform section (indented), extra top-level keys.
func opsYAML(upstream, token, platform, extra string) string {
	sum := sha256.Sum256([]byte(token))
	return fmt.Sprintf(`
platform:
  baseURL: %s
  retry: {waitMin: 1ms, waitMax: 5ms}
%sspaces:
  - guid: %s
    accountId: %s
    credentials: {username: %s, password: "${REST_PASSWORD}"}
    clientTokens: ["sha256:%s"]
%s`, upstream, platform, testSpace, simulator.DemoAccountID, simulator.DemoUsername, hex.EncodeToString(sum[:]), extra)
}

// serve runs srv.Serve on a loopback port, sets *base to its URL once
// /healthz answers (within a second), and returns a func that stops it and
// returns Serve's error (once; later calls return nil).
func serve(t *testing.T, srv *gateway.Server, base *string) func() error {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	*base = "http://" + ln.Addr().String()
	t.Cleanup(cancel) // also when it never comes up
	testutil.WaitHealthy(t, *base, time.Second, done, nil)
	stopped := false
	return func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(15 * time.Second):
			return errors.New("Serve did not return")
		}
	}
}

// rawResponse is an HTTP answer as received.
type rawResponse struct {
	status int
	header http.Header
	body   []byte
}

// request sends a GraphQL POST with the given headers (as written: the
// underscore of SPACE_GUID stays) and returns the raw answer.
func (e *opsEnv) request(t *testing.T, query string, headers map[string]string) rawResponse {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	req, _ := http.NewRequest(http.MethodPost, e.base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	for k, v := range headers {
		req.Header[k] = []string{v}
	}
	return do(t, req)
}

func (e *opsEnv) authed(t *testing.T, query string) rawResponse {
	t.Helper()
	return e.request(t, query, map[string]string{"SPACE_GUID": testSpace, "Authorization": "Bearer " + testToken})
}

func (e *opsEnv) get(t *testing.T, path string, headers map[string]string) rawResponse {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.base+path, nil)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) rawResponse {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return rawResponse{res.StatusCode, res.Header, b}
}

// scrape reads /metrics.
func (e *opsEnv) scrape(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	r := e.get(t, "/metrics", nil)
	if r.status != http.StatusOK {
		t.Fatalf("GET /metrics = %d", r.status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(r.body))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return fams
}

// value returns the counter, gauge or histogram count of the sample of
// family name whose labels include want, or -1 when there is none.
func value(fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	f := fams[name]
	if f == nil {
		return -1
	}
next:
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return -1
}

// logLines decodes the JSON log lines with the given msg.
func logLines(t *testing.T, logs string, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

const listQuery = `query listAttachments { integrationPackEnvironmentAttachments(ipackInstanceId: "` + seedInst + `") { id } }`

func TestMetrics(t *testing.T) {
	e := newOpsEnv(t, opsOptions{wrap: failFirst(1, http.StatusServiceUnavailable, "")})
	// One attach over two environments: 2 CREATE calls, the first answered
	// 503 once and retried, so 3 attempts and 1 retry.
	if r := e.authed(t, attachQuery(seedInst, seedEnvA, seedEnvB)); r.status != 200 || bytes.Contains(r.body, []byte(`"errors"`)) {
		t.Fatalf("attach = %d %s", r.status, r.body)
	}
	e.authed(t, listQuery)
	e.authed(t, `{ __typename }`)
	e.authed(t, `{ nope }`)                                             // fails validation
	e.request(t, listQuery, map[string]string{"SPACE_GUID": testSpace}) // no token: rejected
	fams := e.scrape(t)

	attach := "integrationPackInstanceEnvironmentAttachmentAttach"
	obj := "IntegrationPackEnvironmentAttachment"
	tests := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"ipack_gateway_graphql_requests_total", map[string]string{"operation": attach, "outcome": "ok"}, 1},
		{"ipack_gateway_graphql_requests_total", map[string]string{"operation": "integrationPackEnvironmentAttachments", "outcome": "ok"}, 1},
		{"ipack_gateway_graphql_requests_total", map[string]string{"operation": "introspection", "outcome": "ok"}, 1},
		{"ipack_gateway_graphql_requests_total", map[string]string{"operation": "unknown", "outcome": "error"}, 1},
		{"ipack_gateway_graphql_requests_total", map[string]string{"operation": "unknown", "outcome": "rejected"}, 1},
		{"ipack_gateway_graphql_request_duration_seconds", map[string]string{"operation": attach}, 1},
		{"ipack_gateway_graphql_requests_in_flight", nil, 0},
		{"ipack_gateway_rest_requests_total", map[string]string{"object": obj, "method": "post", "code": "200"}, 3}, // 2 CREATE + 1 query
		{"ipack_gateway_rest_requests_total", map[string]string{"object": obj, "method": "post", "code": "503"}, 1},
		{"ipack_gateway_rest_request_duration_seconds", map[string]string{"object": obj, "method": "post"}, 4},
		{"ipack_gateway_rest_retries_total", map[string]string{"object": obj, "method": "post"}, 1},
		{"ipack_gateway_attach_fanout_width", nil, 1},
		{"ipack_gateway_rest_circuit_breakers", map[string]string{"state": "open"}, 0},
		{"ipack_gateway_rest_rate_wait_seconds", nil, 4}, // one observation per attempt, however short
		{"ipack_gateway_build_info", map[string]string{"version": "unknown"}, 1},
	}
	for _, tt := range tests {
		if got := value(fams, tt.name, tt.labels); got != tt.want {
			t.Errorf("%s%v = %v, want %v", tt.name, tt.labels, got, tt.want)
		}
	}
	if h := fams["ipack_gateway_attach_fanout_width"].Metric[0].Histogram; h.GetSampleSum() != 2 {
		t.Errorf("fan-out width sum = %v, want 2 (two environments)", h.GetSampleSum())
	}
	// No label value is an id, a space or an account: every value of every
	// gateway metric comes from a fixed set.
	ids := []string{testSpace, simulator.DemoAccountID, seedInst, seedEnvA, seedEnvB, "listAttachments"}
	for name, f := range fams {
		if !strings.HasPrefix(name, "ipack_gateway_") {
			continue
		}
		for _, m := range f.Metric {
			for _, l := range m.Label {
				for _, id := range ids {
					if strings.Contains(l.GetValue(), id) {
						t.Errorf("%s has label %s=%q: an id or client-chosen name", name, l.GetName(), l.GetValue())
					}
				}
			}
		}
	}
}

func TestAccessLog(t *testing.T) {
	e := newOpsEnv(t, opsOptions{wrap: failFirst(1, http.StatusServiceUnavailable, "")})
	r := e.request(t, `mutation attachIpackInstance { `+attachField+`(input: {integrationPackInstanceId: "`+seedInst+`", environmentIds: ["`+seedEnvA+`", "`+seedEnvB+`"]}) { id } }`,
		map[string]string{"SPACE_GUID": testSpace, "Authorization": "Bearer " + testToken, "X-Request-Id": "req-abc.123"})
	if got := r.header.Get("X-Request-Id"); got != "req-abc.123" {
		t.Errorf("X-Request-Id = %q, want the client's req-abc.123", got)
	}
	e.authed(t, listQuery[len("query listAttachments "):]) // anonymous: named by its field
	e.request(t, listQuery, map[string]string{"SPACE_GUID": testSpace, "Authorization": "Bearer wrong"})

	var lines []map[string]any
	for _, l := range logLines(t, e.logs.String(), "request") {
		if l["path"] == "/graphql" {
			lines = append(lines, l)
		}
	}
	if len(lines) != 3 {
		t.Fatalf("%d request lines, want 3:\n%s", len(lines), e.logs.String())
	}
	tests := []struct {
		line int
		want map[string]any
	}{
		{0, map[string]any{"request_id": "req-abc.123", "space": testSpace, "operation": "attachIpackInstance", "operation_type": "mutation",
			"outcome": "ok", "status": float64(200), "rest_calls": float64(3), "rest_retries": float64(1), "path": "/graphql", "method": "POST"}},
		{1, map[string]any{"operation": "integrationPackEnvironmentAttachments", "operation_type": "query", "outcome": "ok", "rest_calls": float64(1)}},
		{2, map[string]any{"outcome": "rejected", "status": float64(401), "rest_calls": float64(0)}},
	}
	for _, tt := range tests {
		for k, v := range tt.want {
			if got := lines[tt.line][k]; got != v {
				t.Errorf("request line %d: %s = %v, want %v", tt.line, k, got, v)
			}
		}
		if _, ok := lines[tt.line]["duration_ms"].(float64); !ok {
			t.Errorf("request line %d has no duration_ms", tt.line)
		}
	}
	if id, _ := lines[1]["request_id"].(string); len(id) != 24 {
		t.Errorf("made-up request id %q, want 24 hex digits", id)
	}
	// One line for the failed REST attempt, joined to its request.
	failed := logLines(t, e.logs.String(), "rest attempt failed")
	if len(failed) != 1 || failed[0]["request_id"] != "req-abc.123" || failed[0]["status"] != float64(503) {
		t.Errorf("rest attempt failed lines = %v, want one with request_id req-abc.123 and status 503", failed)
	}
}

func TestReadyz(t *testing.T) {
	type readiness struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}
	get := func(e *opsEnv) (int, readiness) {
		r := e.get(t, "/readyz", nil)
		var rd readiness
		if err := json.Unmarshal(r.body, &rd); err != nil {
			t.Fatalf("/readyz body %q: %v", r.body, err)
		}
		return r.status, rd
	}

	t.Run("probes an idle upstream once per interval", func(t *testing.T) {
		e := newOpsEnv(t, opsOptions{})
		if st, rd := get(e); st != 200 || rd.Status != "ready" {
			t.Fatalf("/readyz = %d %+v, want 200 ready", st, rd)
		}
		// The first check probed (one request to the simulator); the probe's
		// answer is recent, so the next checks do not.
		get(e)
		get(e)
		if n := len(e.sim.Requests()); n != 1 {
			t.Errorf("upstream got %d requests for 3 readiness checks, want 1 probe", n)
		}
	})

	t.Run("recent REST traffic proves the upstream", func(t *testing.T) {
		e := newOpsEnv(t, opsOptions{})
		e.authed(t, listQuery)
		e.sim.ResetRequests()
		if st, _ := get(e); st != 200 {
			t.Fatalf("/readyz = %d", st)
		}
		if n := len(e.sim.Requests()); n != 0 {
			t.Errorf("upstream got %d probe requests, want none after a REST call", n)
		}
	})

	t.Run("unreachable upstream", func(t *testing.T) {
		e := newOpsEnv(t, opsOptions{})
		e.upstream.Close()
		st, rd := get(e)
		if st != 503 || rd.Checks["upstream"] != "unreachable" {
			t.Errorf("/readyz = %d %+v, want 503 with upstream unreachable", st, rd)
		}
		if r := e.get(t, "/healthz", nil); r.status != 200 {
			t.Errorf("/healthz = %d, want 200: liveness does no I/O", r.status)
		}
	})

	t.Run("vendor-shaped base URL", func(t *testing.T) {
		e := newOpsEnv(t, opsOptions{basePath: simulator.VendorBasePath})
		if st, rd := get(e); st != 200 || rd.Status != "ready" {
			t.Fatalf("/readyz = %d %+v, want 200 ready", st, rd)
		}
		if r := e.authed(t, listQuery); r.status != 200 || strings.Contains(string(r.body), `"errors"`) {
			t.Errorf("list through %s = %d %s", simulator.VendorBasePath, r.status, r.body)
		}
	})

	t.Run("base URL that is not the API", func(t *testing.T) {
		// Every REST call answers 404, and so does the probe: not ready,
		// whatever traffic went by.
		e := newOpsEnv(t, opsOptions{basePath: "/not/the/api"})
		if r := e.authed(t, listQuery); !strings.Contains(string(r.body), "NOT_FOUND") {
			t.Fatalf("list = %d %s, want NOT_FOUND", r.status, r.body)
		}
		st, rd := get(e)
		if st != 503 || !strings.Contains(rd.Checks["upstream"], "404") {
			t.Errorf("/readyz = %d %+v, want 503 naming the 404", st, rd)
		}
	})

	t.Run("upstream check off", func(t *testing.T) {
		e := newOpsEnv(t, opsOptions{extraYAML: "health: {checkUpstream: false}\n"})
		e.upstream.Close()
		if st, rd := get(e); st != 200 || rd.Checks["upstream"] != "not checked" {
			t.Errorf("/readyz = %d %+v, want 200 with upstream not checked", st, rd)
		}
	})

	t.Run("draining", func(t *testing.T) {
		// A drain delay of 2s: /readyz must turn 503 while GraphQL still
		// answers; the test polls for 1s at most, well inside the delay.
		e := newOpsEnv(t, opsOptions{extraYAML: "drainDelay: 2s\nshutdownGrace: 1s\n"})
		stopped := make(chan error, 1)
		go func() { stopped <- e.stop() }()
		var st int
		var rd readiness
		for i := 0; i < 100; i++ { // 100 × 10ms: 1s at most
			if st, rd = get(e); st == 503 {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if st != 503 || rd.Checks["draining"] != "yes" {
			t.Errorf("/readyz while draining = %d %+v, want 503 draining", st, rd)
		}
		if r := e.authed(t, listQuery); r.status != 200 {
			t.Errorf("GraphQL while draining = %d, want 200", r.status)
		}
		if err := <-stopped; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
}

func TestCircuitMetrics(t *testing.T) {
	// Every REST call fails with 500 (not retried); with minRequests 2 and
	// failureRatio 0.5 the account's breaker opens after two calls.
	e := newOpsEnv(t, opsOptions{
		wrap:     failFirst(1000, http.StatusInternalServerError, ""),
		platform: "  circuitBreaker: {minRequests: 2, failureRatio: 0.5}\n",
	})
	for range 4 {
		e.authed(t, listQuery)
	}
	fams := e.scrape(t)
	if got := value(fams, "ipack_gateway_rest_circuit_breakers", map[string]string{"state": "open"}); got != 1 {
		t.Errorf("open breakers = %v, want 1", got)
	}
	if got := value(fams, "ipack_gateway_rest_circuit_transitions_total", map[string]string{"state": "open"}); got != 1 {
		t.Errorf("transitions to open = %v, want 1", got)
	}
}
