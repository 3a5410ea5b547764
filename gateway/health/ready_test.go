package health_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipack-gateway/ipack-gateway/config"
	"github.com/ipack-gateway/ipack-gateway/gateway/health"
	"github.com/ipack-gateway/ipack-gateway/platformapi"
)

// upstream answered lately when recent is set.
type upstream struct{ recent, seen atomic.Bool }

func (u *upstream) UpstreamAnsweredWithin(time.Duration) bool { return u.recent.Load() }
func (u *upstream) UpstreamAnswered()                         { u.seen.Store(true) }

// checker counts the credential probes; the REST API accepts them.
type checker struct{ calls atomic.Int32 }

func (c *checker) CheckCredentials(context.Context, platformapi.Account) error {
	c.calls.Add(1)
	return nil
}

func readyz(t *testing.T, h http.Handler) (int, map[string]string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	var rd struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &rd); err != nil {
		t.Fatalf("/readyz body %q: %v", rec.Body, err)
	}
	if rec.Header().Get("Content-Type") != "application/json; charset=utf-8" || rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("/readyz headers %v", rec.Header())
	}
	if (rec.Code == 200) != (rd.Status == "ready") {
		t.Errorf("/readyz %d with status %q", rec.Code, rd.Status)
	}
	rd.Checks["status"] = rd.Status
	return rec.Code, rd.Checks
}

// TestReadiness: /readyz is ready once the listener is up, while the
// upstream answers and some space's credentials are not refused; it says
// which check fails, and where the limits are.
func TestReadiness(t *testing.T) {
	rest := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNotFound) }))
	t.Cleanup(rest.Close)
	cfg := config.Default()
	cfg.Platform.BaseURL = rest.URL
	cfg.Spaces = []config.SpaceConfig{{GUID: "g1", AccountID: "acct-1"}}
	up, ck := &upstream{}, &checker{}
	var spaces []health.Space
	h := health.New(&cfg, health.Options{Upstream: up, Credentials: ck, Spaces: func() []health.Space { return spaces },
		Store: func() string { return "memory" }, Log: slog.New(slog.DiscardHandler)})

	check := func(step string, wantCode int, want map[string]string) {
		t.Helper()
		code, got := readyz(t, h)
		if code != wantCode {
			t.Errorf("%s: %d, want %d (%v)", step, code, wantCode, got)
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: %s = %q, want %q (%v)", step, k, got[k], v, got)
			}
		}
	}
	check("not loaded, not listening", 503, map[string]string{"config": "not loaded", "listener": "down", "upstream": "not checked", "rateLimitStore": "memory"})

	accts := []platformapi.Account{{ID: "acct-1", Credentials: platformapi.Basic("u", "p")}}
	checks := h.Track(accts)
	spaces = []health.Space{{GUID: "g1", Credentials: checks[0]}, {GUID: "g2"}} // g2: passthrough
	h.SetListening(true)
	up.recent.Store(true)
	checks[0].Answered(200)
	check("ready", 200, map[string]string{"config": "ok", "listener": "ok", "draining": "no", "upstream": "ok", "credentials": "ok"})
	if n := ck.calls.Load(); n != 0 {
		t.Errorf("%d probes, want none: an answer came within the interval", n)
	}

	checks[0].Answered(401)
	check("one space's credentials refused", 200, map[string]string{"credentials": "refused for space g1"})
	spaces = spaces[:1]
	check("every space's credentials refused", 503, map[string]string{"credentials": "refused for space g1"})
	if again := h.Track(accts); again[0] != checks[0] {
		t.Error("Track made a new check for the same credentials")
	}
	checks[0].Answered(200)

	up.recent.Store(false)
	check("upstream answering 404", 503, map[string]string{"upstream": "answers 404: is platform.baseURL the REST API's root?", "credentials": "not checked"})
	if up.seen.Load() {
		t.Error("a 404 to the probe counted as a sign of life")
	}

	up.recent.Store(true)
	h.Drain()
	check("draining", 503, map[string]string{"draining": "yes", "upstream": "not checked"})
}
