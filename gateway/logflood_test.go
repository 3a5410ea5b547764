package gateway_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// warnLines returns the log lines at WARN and above, by message.
func warnLines(t *testing.T, logs string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, l := range strings.Split(strings.TrimSpace(logs), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		if m["level"] == "WARN" || m["level"] == "ERROR" {
			out[m["msg"].(string)]++
		}
	}
	return out
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// TestLogFloodUpstreamDown: an attach of 100 environments against an
// upstream that fails every call (5 attempts per CREATE, then settling
// queries of 5 attempts each: over 1,000 failed attempts) logs a number of
// warnings bounded by a constant: logs.warningBurst (5) "rest attempt
// failed" lines, whatever the number of environments and attempts, and one
// "attach failed" line for the request.
func TestLogFloodUpstreamDown(t *testing.T) {
	down := func(http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`{"@type":"Error","message":"down"}`))
		})
	}
	e := newEnvYAML(t, down,
		"  retry: {maxAttempts: 5, waitMin: 1ms, waitMax: 2ms}\n  circuitBreaker: {enabled: false}\n",
		"attach: {settleTimeout: 50ms, settleDelay: 1ms}\n",
		// A rate of one line per 1000 s: only the burst passes during the test.
		"logs: {warningsPerSecond: 0.001, warningBurst: 5}\n")
	r := e.post(t, attachQuery(seedInst, demoEnvs(1, 100)...), nil)
	if len(r.Errors) != 100 {
		t.Fatalf("%d errors, want 100: %.500s", len(r.Errors), r.Raw)
	}
	got := warnLines(t, e.logs.String())
	if got["rest attempt failed"] > 5 || got["attach failed"] != 1 || total(got) > 6 {
		t.Errorf("warning lines by message = %v; want at most 5 rest attempt failed, one attach failed, nothing else", got)
	}
}

// TestLogFloodClientLeft: an attach of 100 environments whose client
// leaves while its REST calls hang logs one warning, with no rate limit on
// warnings at all: each of the 100 calls fails, but a caller that is gone
// makes debug lines, and the environments one summary.
func TestLogFloodClientLeft(t *testing.T) {
	e := newEnvYAML(t, faulty("POST", "", "hang"), "", "logs: {warningsPerSecond: 0}\n")
	ctx, cancel := context.WithCancel(context.Background())
	body := `{"query":` + mustJSON(attachQuery(seedInst, demoEnvs(1, 100)...)) + `}`
	req, _ := http.NewRequestWithContext(ctx, "POST", e.url+"/graphql", strings.NewReader(body))
	req.Header["SPACE_GUID"] = []string{testSpace}
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", "application/json")
	time.AfterFunc(200*time.Millisecond, cancel) // the client leaves
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Fatal("request succeeded; want the client to give up")
	}
	// The gateway finishes the request after the client left; its access
	// line is the last it logs for it.
	for i := 0; i < 200 && !strings.Contains(e.logs.String(), `"msg":"request"`); i++ {
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(e.logs.String(), `"msg":"request"`) {
		t.Fatal("the request did not finish within 10 s of the client leaving")
	}
	if got := warnLines(t, e.logs.String()); got["attach failed"] != 1 || total(got) != 1 {
		t.Errorf("warning lines by message = %v; want one attach failed", got)
	}
}

func mustJSON(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestAccessLogClipsClientValues: a client-chosen operation name or path of
// kilobytes reaches the access line clipped, not whole, on every request.
func TestAccessLogClipsClientValues(t *testing.T) {
	e := newEnv(t, envOptions{})
	long := strings.Repeat("Op", 5000) // a valid GraphQL name of 10,000 bytes
	// A document name is refused past 128 bytes (issue 17: names are
	// bounded), an operationName past 256; one of 256 that the document
	// lacks is what the access line shows.
	for _, q := range []map[string]any{
		{"query": "query " + long + " { __typename }"},
		{"query": "query Q { __typename }", "operationName": long[:256]},
	} {
		body, _ := json.Marshal(q)
		req, _ := http.NewRequest("POST", e.url+"/graphql", strings.NewReader(string(body)))
		req.Header["SPACE_GUID"] = []string{testSpace}
		req.Header.Set("Authorization", "Bearer "+testToken)
		req.Header.Set("Content-Type", "application/json")
		if r := send(t, req); len(r.Errors) != 1 || r.Data != nil {
			t.Fatalf("want one error: %.300s", r.Raw)
		}
	}
	res, err := http.Get(e.url + "/" + strings.Repeat("p", 10000))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	for _, l := range logLines(t, e.logs.String(), "request") {
		op, _ := l["operation"].(string)
		path, _ := l["path"].(string)
		if len(op) > 200 || len(path) > 200 {
			t.Errorf("request line with operation of %d bytes, path of %d bytes; want both clipped", len(op), len(path))
		}
	}
}
