package gateway

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestRecoverer: a panic is logged as a bug with the request id and
// answered with a 500 GraphQL error, and the server lives on.
func TestRecoverer(t *testing.T) {
	var logs bytes.Buffer
	s := &Server{log: withRequestIDs(slog.New(slog.NewJSONHandler(&logs, nil)))} // as NewServer wires it
	h := withRequestID(s.recoverer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("boom")
	})))
	req := httptest.NewRequest("POST", "/graphql", nil)
	req.Header.Set("X-Request-Id", "req-42")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), `"code":"GENERIC_SYSTEM_ERROR"`) || !strings.Contains(rec.Body.String(), "req-42") {
		t.Errorf("answer %d %s, want 500 GENERIC_SYSTEM_ERROR naming the request", rec.Code, rec.Body)
	}
	if l := logs.String(); !strings.Contains(l, `"request_id":"req-42"`) || !strings.Contains(l, "this is a bug") || !strings.Contains(l, "stack") {
		t.Errorf("log %s, want the panic with request id and stack", l)
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
		h := withRequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = requestID(r.Context()) }))
		req := httptest.NewRequest("GET", "/", nil)
		req.Header["X-Request-Id"] = []string{tt.in}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if (got == tt.in) != tt.keep || got == "" || rec.Header().Get("X-Request-Id") != got {
			t.Errorf("X-Request-Id %q: request id %q, echoed %q; keep = %v", tt.in, got, rec.Header().Get("X-Request-Id"), tt.keep)
		}
	}
}
