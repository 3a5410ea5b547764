package reqlog

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestRecoverer: a panic is logged as a bug with the request id and
// answered as the caller says, and the server lives on.
func TestRecoverer(t *testing.T) {
	var logs bytes.Buffer
	log := WithIDs(slog.New(slog.NewJSONHandler(&logs, nil)))
	answer := func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "failed: request "+IDFrom(r.Context()), http.StatusInternalServerError)
	}
	h := RequestID(Recoverer(log, answer)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("boom")
	})))
	req := httptest.NewRequest("POST", "/graphql", nil)
	req.Header.Set("X-Request-Id", "req-42")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), "failed: request req-42") {
		t.Errorf("answer %d %s, want 500 naming the request", rec.Code, rec.Body)
	}
	if l := logs.String(); !strings.Contains(l, `"request_id":"req-42"`) || !strings.Contains(l, "this is a bug") || !strings.Contains(l, "stack") {
		t.Errorf("log %s, want the panic with request id and stack", l)
	}
	// An answer begun is not answered again.
	logs.Reset()
	h = New(log).Access(Recoverer(log, answer)(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		panic("late")
	})))
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
	if rec.Code != http.StatusAccepted || rec.Body.Len() != 0 {
		t.Errorf("a panic after the answer began: %d %q, want the 202 alone", rec.Code, rec.Body)
	}
}

func TestRequestID(t *testing.T) {
	tests := []struct {
		in   string
		keep bool
	}{
		{"abc-123", true},
		{"", false},
		{"has space", false},
		{"line\nbreak", false},
		{strings.Repeat("a", 129), false},
		{`quo"te`, false},
	}
	for _, tt := range tests {
		var got string
		h := RequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = IDFrom(r.Context()) }))
		req := httptest.NewRequest("GET", "/", nil)
		req.Header["X-Request-Id"] = []string{tt.in}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if (got == tt.in) != tt.keep || got == "" || rec.Header().Get("X-Request-Id") != got {
			t.Errorf("X-Request-Id %q: request id %q, echoed %q; keep = %v", tt.in, got, rec.Header().Get("X-Request-Id"), tt.keep)
		}
	}
}

// TestAccess: one line per request, with what the handlers noted in its
// Info; queued_ms only for a request that waited; other paths than
// /graphql below 500 at debug level, and refused requests' lines decided once with
// their "request rejected" line.
func TestAccess(t *testing.T) {
	var logs bytes.Buffer
	log := WithIDs(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	l := New(log)
	h := RequestID(l.Access(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := InfoFrom(r.Context())
		switch r.URL.Path {
		case "/graphql":
			info.Space, info.Operation, info.OperationType, info.Outcome = "s1", "Attach", "mutation", OutcomePartial
			info.Queued = 1500 * time.Microsecond
			info.CountREST(false)
			info.CountREST(true)
			w.WriteHeader(http.StatusOK)
		case "/refused":
			info.Outcome = OutcomeRejected
			l.Rejected(r.Context(), "UNAUTHORIZED")
			w.WriteHeader(http.StatusUnauthorized)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	})))
	var lines []map[string]any
	for _, path := range []string{"/graphql", "/refused", "/healthz"} {
		logs.Reset()
		req := httptest.NewRequest("POST", path, nil)
		req.Header.Set("X-Request-Id", "req"+path)
		h.ServeHTTP(httptest.NewRecorder(), req)
		for _, s := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
			var m map[string]any
			if err := json.Unmarshal([]byte(s), &m); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, m)
		}
	}
	want := []map[string]any{
		{"msg": "request", "level": "INFO", "request_id": "req/graphql", "path": "/graphql", "status": 200.0, "space": "s1", "operation": "Attach",
			"operation_type": "mutation", "outcome": "partial", "rest_calls": 2.0, "rest_retries": 1.0, "queued_ms": 1.5},
		{"msg": "request rejected", "level": "INFO", "request_id": "req/refused", "code": "UNAUTHORIZED"},
		{"msg": "request", "level": "DEBUG", "request_id": "req/refused", "status": 401.0, "outcome": "rejected"},
		{"msg": "request", "level": "DEBUG", "request_id": "req/healthz", "status": 204.0, "outcome": "", "queued_ms": nil},
	}
	if len(lines) != len(want) {
		t.Fatalf("lines %v, want %d", lines, len(want))
	}
	for i, w := range want {
		for k, v := range w {
			if got, ok := lines[i][k]; got != v && !(v == nil && !ok) {
				t.Errorf("line %d: %s = %v, want %v (%v)", i, k, got, v, lines[i])
			}
		}
	}
}
