package gateway_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipack-gateway/ipack-gateway/config"
	"github.com/ipack-gateway/ipack-gateway/platformapi/simulator"
)

// readyz reads /readyz.
func (e *opsEnv) readyz(t *testing.T) (int, string, map[string]string) {
	t.Helper()
	r := e.get(t, "/readyz", nil)
	var rd struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}
	if err := json.Unmarshal(r.body, &rd); err != nil {
		t.Fatalf("/readyz body %q: %v", r.body, err)
	}
	return r.status, rd.Status, rd.Checks
}

// accountGets counts the simulator's Account GETs: the credential probes.
func (e *opsEnv) accountGets() int {
	n := 0
	for _, r := range e.sim.Requests() {
		if r.Method == http.MethodGet && strings.Contains(r.Path, "/Account/") {
			n++
		}
	}
	return n
}

// secondSpace is a credentials space, appended to opsYAML's spaces, on
// the demo account with a password of its own.
func secondSpace(guid, password string) string {
	sum := sha256.Sum256([]byte("second-token"))
	return "  - guid: " + guid + "\n    accountId: " + simulator.DemoAccountID +
		"\n    credentials: {username: " + simulator.DemoUsername + ", password: " + password + "}" +
		"\n    clientTokens: [\"sha256:" + hex.EncodeToString(sum[:]) + "\"]\n"
}

// TestReadyzCredentials: /readyz tells whether the REST API accepts each
// credentials space's credentials, from recent REST answers or one probe
// per interval, and is unready only when every space's are refused.
func TestReadyzCredentials(t *testing.T) {
	t.Run("accepted, probed once per interval", func(t *testing.T) {
		e := newOpsEnv(t, opsOptions{})
		for range 3 {
			if st, status, checks := e.readyz(t); st != 200 || status != "ready" || checks["credentials"] != "ok" {
				t.Fatalf("/readyz = %d %s %v, want 200 ready, credentials ok", st, status, checks)
			}
		}
		reqs := e.sim.Requests()
		if len(reqs) != 1 || e.accountGets() != 1 || !strings.HasPrefix(reqs[0].Header.Get("Authorization"), "Basic ") {
			t.Errorf("upstream got %d requests (%d Account GETs) for 3 readiness checks, want 1 authenticated probe", len(reqs), e.accountGets())
		}
	})

	t.Run("refused: unready, and the field error names the configuration", func(t *testing.T) {
		const wrong = "not-the-api-token"
		e := newOpsEnv(t, opsOptions{password: wrong})
		r := e.get(t, "/readyz", nil)
		st, status, checks := e.readyz(t)
		if st != 503 || status != "unready" || checks["credentials"] != "refused for space "+testSpace || checks["upstream"] != "ok" {
			t.Errorf("/readyz = %d %s %v, want 503 with credentials refused for space %s", st, status, checks, testSpace)
		}
		if strings.Contains(string(r.body), wrong) || strings.Contains(string(r.body), simulator.DemoUsername) {
			t.Errorf("/readyz shows the credentials: %s", r.body)
		}
		// The client's token is fine: the gateway admits the request, and
		// the REST API's 401 is the gateway's configuration's.
		res := e.authed(t, listQuery)
		var body struct {
			Errors []struct {
				Message    string
				Extensions map[string]any
			}
		}
		if err := json.Unmarshal(res.body, &body); err != nil || res.status != 200 || len(body.Errors) == 0 {
			t.Fatalf("list = %d %s, want 200 with field errors", res.status, res.body)
		}
		for _, er := range body.Errors {
			if er.Extensions["code"] != "UPSTREAM_CREDENTIALS_REFUSED" || er.Extensions["status"] != float64(401) ||
				!strings.Contains(er.Message, "credentials the gateway is configured with") {
				t.Errorf("error %+v, want UPSTREAM_CREDENTIALS_REFUSED naming the gateway's configuration", er)
			}
		}
		if res.header.Get("WWW-Authenticate") != "" {
			t.Errorf("WWW-Authenticate %q: the client's token was not refused", res.header.Get("WWW-Authenticate"))
		}
		// That 401 told /readyz already: no probe.
		e.sim.ResetRequests()
		if _, _, checks := e.readyz(t); checks["credentials"] != "refused for space "+testSpace {
			t.Errorf("credentials = %q after a refused call", checks["credentials"])
		}
		if n := len(e.sim.Requests()); n != 0 {
			t.Errorf("upstream got %d requests, want none: a REST call was refused just now", n)
		}
	})

	t.Run("one space of several refused: reported, ready", func(t *testing.T) {
		e := newOpsEnv(t, opsOptions{extraYAML: secondSpace("space-b", "wrong") + secondSpace("space-c", "wrong too")})
		st, status, checks := e.readyz(t)
		if st != 200 || status != "ready" || checks["credentials"] != "refused for spaces space-b, space-c" {
			t.Errorf("/readyz = %d %s %v, want 200 ready with credentials refused for spaces space-b, space-c", st, status, checks)
		}
		if n := e.accountGets(); n != 3 {
			t.Errorf("%d probes, want 3: one per set of credentials", n)
		}
		// Spaces with the same account and credentials share one probe.
		e2 := newOpsEnv(t, opsOptions{extraYAML: secondSpace("space-b", simulator.DemoPassword)})
		if st, _, checks := e2.readyz(t); st != 200 || checks["credentials"] != "ok" || e2.accountGets() != 1 {
			t.Errorf("/readyz = %d %v after %d probes, want ok after 1", st, checks, e2.accountGets())
		}
	})

	t.Run("a probe that tells nothing", func(t *testing.T) {
		// The Account object answers 403 (a privilege the credentials may
		// lack): neither accepted nor refused, ready, and not probed again
		// within the interval.
		forbidAccount := func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.Contains(r.URL.Path, "/Account/") {
					http.Error(w, `{"message":"forbidden"}`, http.StatusForbidden)
					return
				}
				next.ServeHTTP(w, r)
			})
		}
		e := newOpsEnv(t, opsOptions{wrap: forbidAccount})
		for range 2 {
			st, _, checks := e.readyz(t)
			if st != 200 || checks["credentials"] != "unverified for space "+testSpace+" (the probe got HTTP 403)" {
				t.Errorf("/readyz = %d %v, want 200, credentials unverified (HTTP 403)", st, checks)
			}
		}
		// Calls the REST API answers settle it.
		e.authed(t, listQuery)
		if _, _, checks := e.readyz(t); checks["credentials"] != "ok" {
			t.Errorf("credentials = %q after a successful call, want ok", checks["credentials"])
		}
	})

	t.Run("one probe at a time", func(t *testing.T) {
		var mu sync.Mutex
		probes := 0
		slow := func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.Contains(r.URL.Path, "/Account/") {
					mu.Lock()
					probes++
					mu.Unlock()
					time.Sleep(200 * time.Millisecond)
				}
				next.ServeHTTP(w, r)
			})
		}
		e := newOpsEnv(t, opsOptions{wrap: slow})
		var wg sync.WaitGroup
		for range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := e.get(t, "/readyz", nil)
				if r.status != 200 || !strings.Contains(string(r.body), `"credentials":"ok"`) {
					t.Errorf("/readyz = %d %s", r.status, r.body)
				}
			}()
		}
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		if probes != 1 {
			t.Errorf("%d probes for 10 concurrent readiness checks, want 1", probes)
		}
	})

	t.Run("reload with new credentials", func(t *testing.T) {
		e := newOpsEnv(t, opsOptions{password: "wrong"})
		if st, _, checks := e.readyz(t); st != 503 || !strings.HasPrefix(checks["credentials"], "refused") {
			t.Fatalf("/readyz = %d %v, want refused", st, checks)
		}
		err := e.srv.Reload(func() (*config.Config, error) {
			return config.Parse([]byte(opsYAML(e.upstream.URL, testToken, "", "")), func(string) string { return simulator.DemoPassword })
		})
		if err != nil {
			t.Fatal(err)
		}
		if st, _, checks := e.readyz(t); st != 200 || checks["credentials"] != "ok" {
			t.Errorf("/readyz after the reload = %d %v, want ok: new credentials are checked anew", st, checks)
		}
	})

	t.Run("passthrough spaces are not checked", func(t *testing.T) {
		e := newOpsEnv(t, opsOptions{password: "wrong", extraYAML: "  - guid: pass\n    accountId: " + simulator.DemoAccountID + "\n    auth: passthrough\n"})
		// The passthrough space may still serve: ready.
		if st, _, checks := e.readyz(t); st != 200 || checks["credentials"] != "refused for space "+testSpace {
			t.Errorf("/readyz = %d %v, want 200 with the credentials space refused", st, checks)
		}
	})
}
