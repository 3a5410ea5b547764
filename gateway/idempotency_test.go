package gateway_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipack-gateway/ipack-gateway/platformapi/simulator"
)

// installByVar installs the demo's multi-install pack under the name in
// $name.
const installByVar = `mutation($name: String) { integrationPackInstanceInstall(input: {integrationPackId: "` + simulator.DemoMultiPackID + `", integrationPackOverrideName: $name}) { id integrationPackOverrideName } }`

// postKeyed is post with an Idempotency-Key (none when key is "").
func (e *env) postKeyed(t *testing.T, key, query string, vars map[string]any) *response {
	t.Helper()
	h := map[string]string{
		"SPACE_GUID":    testSpace,
		"Authorization": "Bearer " + testToken,
		"Accept":        "application/json",
		"Content-Type":  "application/json",
	}
	if key != "" {
		h["Idempotency-Key"] = key
	}
	return e.do(t, http.MethodPost, query, vars, h)
}

// TestIdempotencyKey: a mutation with an Idempotency-Key runs once; its
// repeat is answered with the first response, without REST; the key with
// another request is refused with 422; a query with a key just runs; a
// malformed key is refused with 400. Keys and responses stay out of the
// logs.
func TestIdempotencyKey(t *testing.T) {
	const key = `"install-4f1c9a7e-key"`
	e := newEnv(t, envOptions{})
	installs := func() int { return len(e.restCalls("POST", "/IntegrationPackInstance")) }

	first := e.postKeyed(t, key, installByVar, map[string]any{"name": "Sync Keyed"})
	if first.Status != 200 || len(first.Errors) != 0 || !strings.Contains(string(first.Data), "Sync Keyed") || first.Header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("first: %d %s", first.Status, first.Raw)
	}
	repeat := e.postKeyed(t, key, installByVar, map[string]any{"name": "Sync Keyed"})
	if repeat.Status != 200 || string(repeat.Raw) != string(first.Raw) || repeat.Header.Get("Idempotent-Replayed") != "true" ||
		repeat.Header.Get("Content-Type") != first.Header.Get("Content-Type") {
		t.Errorf("repeat: %d %v %s; want the first response, replayed", repeat.Status, repeat.Header, repeat.Raw)
	}
	if n := installs(); n != 1 {
		t.Errorf("%d installs upstream, want 1", n)
	}

	other := e.postKeyed(t, key, installByVar, map[string]any{"name": "Sync Other"})
	if other.Status != http.StatusUnprocessableEntity || other.code() != "IDEMPOTENCY_KEY_REUSED" {
		t.Errorf("another request with the key: %d %s; want 422 IDEMPOTENCY_KEY_REUSED", other.Status, other.Raw)
	}
	if n := installs(); n != 1 {
		t.Errorf("%d installs upstream after the reuse, want 1", n)
	}

	// A new key is a new install.
	if r := e.postKeyed(t, "install-second", installByVar, map[string]any{"name": "Sync Keyed"}); len(r.Errors) != 0 || installs() != 2 {
		t.Errorf("a new key: %s, %d installs; want a second install", r.Raw, installs())
	}

	before := len(e.sim.Requests())
	for range 2 {
		if r := e.postKeyed(t, "a-query-key", `{ integrationPackInstances { id } }`, nil); len(r.Errors) != 0 || r.Header.Get("Idempotent-Replayed") != "" {
			t.Errorf("query with a key: %s", r.Raw)
		}
	}
	if n := len(e.sim.Requests()) - before; n != 2 {
		t.Errorf("two queries with one key made %d REST calls, want 2: a query is just executed", n)
	}

	bad := e.postKeyed(t, `"unterminated`, installByVar, map[string]any{"name": "x"})
	if bad.Status != http.StatusBadRequest || bad.code() != "BAD_REQUEST" || installs() != 2 {
		t.Errorf("malformed key: %d %s; want 400 BAD_REQUEST and no install", bad.Status, bad.Raw)
	}

	logs := e.logs.String()
	for _, secret := range []string{"install-4f1c9a7e-key", "install-second", "a-query-key", "unterminated", "Sync Keyed"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the logs hold %q", secret)
		}
	}
	if !strings.Contains(logs, `"outcome":"replayed"`) {
		t.Error("no access line says the repeat was replayed")
	}
}

// TestIdempotencyKeyWhileRunning: a repeat while the first request runs is
// refused with 409 and Retry-After and calls nothing; once the first
// answered, a repeat gets its response.
func TestIdempotencyKeyWhileRunning(t *testing.T) {
	arrived, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	hold := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/IntegrationPackInstance") {
				once.Do(func() { close(arrived) })
				<-release
			}
			next.ServeHTTP(w, r)
		})
	}
	e := newEnv(t, envOptions{wrap: hold})
	firstc := make(chan *response, 1)
	go func() { firstc <- e.postKeyed(t, "k-running", installByVar, map[string]any{"name": "Held"}) }()
	select {
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("the install never reached the upstream")
	}
	during := e.postKeyed(t, "k-running", installByVar, map[string]any{"name": "Held"})
	close(release)
	first := <-firstc
	after := e.postKeyed(t, "k-running", installByVar, map[string]any{"name": "Held"})
	if during.Status != http.StatusConflict || during.code() != "IDEMPOTENCY_KEY_IN_USE" || during.Header.Get("Retry-After") != "1" {
		t.Errorf("during: %d %s; want 409 IDEMPOTENCY_KEY_IN_USE with Retry-After", during.Status, during.Raw)
	}
	if len(first.Errors) != 0 || string(after.Raw) != string(first.Raw) || after.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("first %s, after %s; want the first replayed", first.Raw, after.Raw)
	}
	if n := len(e.restCalls("POST", "/IntegrationPackInstance")); n != 1 {
		t.Errorf("%d installs upstream, want 1", n)
	}
}

// TestIdempotencyRefusalNotRecorded: a mutation refused before it ran (its
// client's queue for the account's budget full: 429) is not recorded: the
// retry with the same key runs. What an execution answers is recorded,
// even a failure that sent nothing.
func TestIdempotencyRefusalNotRecorded(t *testing.T) {
	// One token, the next after 100 s; one request of the client may wait
	// for it, for at most the 1 s deadline.
	e := newEnvYAML(t, nil, "  rateLimit: {requestsPerSecond: 0.01, burst: 1}\n",
		"graphql: {requestTimeout: 1s}\nclients: {requestsPerSecond: 0, maxQueued: 1}\n")
	if r := e.post(t, `{ integrationPackInstances { id } }`, nil); len(r.Errors) != 0 {
		t.Fatalf("the token's query: %s", r.Raw)
	}
	var key string
	var refused *response
	// The waiting request must be queued when the keyed one comes; a
	// keyed one that came too early waited instead, and the next try takes
	// a new key. Bounded: 5 tries.
	for i := 0; i < 5 && refused == nil; i++ {
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); e.post(t, `{ integrationPackInstances { id } }`, nil) }()
		time.Sleep(300 * time.Millisecond)
		key = fmt.Sprintf("refused-%d", i)
		if r := e.postKeyed(t, key, installByVar, map[string]any{"name": "Queued"}); r.Status == http.StatusTooManyRequests {
			refused = r
		}
		wg.Wait()
	}
	if refused == nil {
		t.Fatal("no keyed request was refused for a full queue in 5 tries")
	}
	if refused.code() != "RATE_LIMITED" || refused.Header.Get("Retry-After") == "" {
		t.Errorf("refusal: %s", refused.Raw)
	}
	// The queue is empty now: the retry runs, waits for the budget until
	// its deadline, and fails without sending anything.
	retry := e.postKeyed(t, key, installByVar, map[string]any{"name": "Queued"})
	if retry.Status != 200 || retry.Header.Get("Idempotent-Replayed") != "" || retry.code() != "RATE_LIMITED" || retry.Errors[0].Extensions["outcome"] != "not_sent" {
		t.Errorf("retry: %d %s; want an execution that sent nothing, not a replay of the refusal", retry.Status, retry.Raw)
	}
	again := e.postKeyed(t, key, installByVar, map[string]any{"name": "Queued"})
	if again.Header.Get("Idempotent-Replayed") != "true" || string(again.Raw) != string(retry.Raw) {
		t.Errorf("repeat of an execution: %s; want it replayed", again.Raw)
	}
	if n := len(e.restCalls("POST", "/IntegrationPackInstance")); n != 0 {
		t.Errorf("%d installs upstream; the budget had no token for any", n)
	}
}

// countInstalls counts the install CREATEs that reach the upstream.
func countInstalls(n *atomic.Int32) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/IntegrationPackInstance") {
				n.Add(1)
			}
			next.ServeHTTP(w, r)
		})
	}
}
