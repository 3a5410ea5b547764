package gateway_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipack-gateway/ipack-gateway/platformapi/simulator"
)

func compactFile(t *testing.T, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return buf.Bytes()
}

// seedFile names a vendor documentation sample, copied verbatim into the
// conformance suite's testdata.
func seedFile(name string) string { return "../conformance/testdata/" + name }

// TestSeedSamples replays the vendor's documented samples and compares the
// data byte for byte.
func TestSeedSamples(t *testing.T) {
	e := newEnv(t, envOptions{})

	// The sample request names instance 1950 and environment 730bc9b1; the
	// sample response shows instance 34486 and environment 86b413a8. Replay
	// the request with the response's ids, as the response describes.
	q, _ := os.ReadFile(seedFile("attach-request.graphql"))
	query := strings.NewReplacer(seedInst2, seedInst, seedEnvA, seedEnvB).Replace(string(q))
	r := e.post(t, query, nil)
	want := compactFile(t, seedFile("attach-response.json"))
	if r.Status != http.StatusOK || !bytes.Equal(r.Raw[:len(r.Raw)-1], want) {
		t.Errorf("attach sample:\n got %d %s\nwant 200 %s", r.Status, r.Raw, want)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}

	q, _ = os.ReadFile(seedFile("unattach-request.graphql"))
	query = strings.Replace(string(q), "<IpackinstanceID>", seedAttID, 1)
	r = e.post(t, query, nil)
	want = compactFile(t, seedFile("unattach-response.json"))
	if r.Status != http.StatusOK || !bytes.Equal(r.Raw[:len(r.Raw)-1], want) {
		t.Errorf("unattach sample:\n got %d %s\nwant 200 %s", r.Status, r.Raw, want)
	}
	if e.sim.Attached(simulator.DemoAccountID, seedInst, seedEnvB) {
		t.Error("after unattach the simulator still holds the attachment")
	}
}

// TestAttachRESTRequests checks the exact REST calls behind an attach of
// several environments: one CREATE per distinct environment, with the
// vendor's headers, Basic auth and body.
func TestAttachRESTRequests(t *testing.T) {
	e := newEnv(t, envOptions{})
	envs := []string{seedEnvB, simulator.DemoEnvironment(1), seedEnvA, simulator.DemoEnvironment(2), seedEnvB}
	r := e.post(t, attachQuery(seedInst, envs...), nil)
	if len(r.Errors) != 0 {
		t.Fatalf("errors: %s", r.Raw)
	}
	// Results come back in input order, duplicates included.
	got := r.attachments(t)
	if len(got) != len(envs) {
		t.Fatalf("got %d attachments, want %d: %s", len(got), len(envs), r.Raw)
	}
	for i, a := range got {
		if a == nil || a.EnvironmentID != envs[i] || a.IntegrationPackInstanceID != seedInst || a.EnvironmentExtensions != nil {
			t.Errorf("attachment %d = %+v, want environment %s", i, a, envs[i])
			continue
		}
		raw, _ := base64.RawStdEncoding.DecodeString(a.ID)
		if want := "ATTACH_IPACK_ENV" + seedInst + ":" + envs[i]; string(raw) != want {
			t.Errorf("attachment %d id decodes to %q, want %q", i, raw, want)
		}
	}

	calls := e.restCalls(http.MethodPost, "/IntegrationPackEnvironmentAttachment")
	if len(calls) != 4 {
		t.Fatalf("REST CREATE calls = %d, want 4 (5 ids, one duplicate)", len(calls))
	}
	wantAuth := "Basic " + base64.StdEncoding.EncodeToString([]byte(simulator.DemoUsername+":"+simulator.DemoPassword))
	var bodies []string
	for _, c := range calls {
		if c.Path != "/"+simulator.DemoAccountID+"/IntegrationPackEnvironmentAttachment" {
			t.Errorf("path = %q", c.Path)
		}
		for h, want := range map[string]string{"Accept": "application/json", "Content-Type": "application/json", "Authorization": wantAuth} {
			if got := c.Header.Get(h); got != want {
				t.Errorf("REST header %s = %q, want %q", h, got, want)
			}
		}
		bodies = append(bodies, string(c.Body))
	}
	slices.Sort(bodies)
	var want []string
	for _, env := range []string{seedEnvB, simulator.DemoEnvironment(1), seedEnvA, simulator.DemoEnvironment(2)} {
		want = append(want, `{"integrationPackInstanceId":"`+seedInst+`","environmentId":"`+env+`"}`)
	}
	slices.Sort(want)
	if !slices.Equal(bodies, want) {
		t.Errorf("REST bodies:\n got %q\nwant %q", bodies, want)
	}
}

// TestAttachPartialFailure: failed environments are null in the list and
// named by an error at their index; the others are attached and returned.
func TestAttachPartialFailure(t *testing.T) {
	e := newEnv(t, envOptions{})
	unknown := "11111111-2222-4333-8444-555555555555"
	envs := []string{seedEnvA, unknown, "not-a-guid", seedEnvB}
	r := e.post(t, attachQuery(seedInst, envs...), nil)
	got := r.attachments(t)
	if len(got) != 4 || got[0] == nil || got[3] == nil || got[1] != nil || got[2] != nil {
		t.Fatalf("data = %s, want items 0 and 3 only", r.Data)
	}
	if len(r.Errors) != 2 {
		t.Fatalf("errors = %s, want 2", r.Raw)
	}
	tests := []struct {
		index  int
		code   string
		status any
	}{
		{1, "BAD_USER_INPUT", float64(400)},
		{2, "BAD_USER_INPUT", nil},
	}
	for _, tt := range tests {
		e := r.errorAt(tt.index)
		if e == nil {
			t.Errorf("no error for index %d: %s", tt.index, r.Raw)
			continue
		}
		want := []any{attachField, float64(tt.index), "id"}
		if !slices.Equal(e.Path, want) {
			t.Errorf("error path = %v, want %v", e.Path, want)
		}
		if e.Extensions["code"] != tt.code || e.Extensions["environmentId"] != envs[tt.index] || e.Extensions["status"] != tt.status {
			t.Errorf("error %d extensions = %v, want code %s, environmentId %s, status %v", tt.index, e.Extensions, tt.code, envs[tt.index], tt.status)
		}
	}
	if msg := r.errorAt(1).Message; !strings.HasPrefix(msg, "Downstream Execution Error: Bad Request: ") || !strings.Contains(msg, unknown) {
		t.Errorf("message = %q, want the vendor's style with the REST message", msg)
	}
	// The malformed id never reached REST.
	if n := len(e.restCalls(http.MethodPost, "/IntegrationPackEnvironmentAttachment")); n != 3 {
		t.Errorf("REST calls = %d, want 3", n)
	}
	if !e.sim.Attached(simulator.DemoAccountID, seedInst, seedEnvA) || !e.sim.Attached(simulator.DemoAccountID, seedInst, seedEnvB) {
		t.Error("successful environments are not attached upstream")
	}
}

// failFirst answers the first n REST calls with status and a Retry-After
// of retryAfter (when not empty), then passes calls through.
func failFirst(n int32, status int, retryAfter string) func(http.Handler) http.Handler {
	var count atomic.Int32
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if count.Add(1) <= n {
				if retryAfter != "" {
					w.Header().Set("Retry-After", retryAfter)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(status)
				w.Write([]byte(`{"@type":"Error","message":"injected failure"}`))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func TestAttachRetriesThenSucceeds(t *testing.T) {
	for _, status := range []int{503, 429, 502, 504} {
		e := newEnv(t, envOptions{wrap: failFirst(2, status, "0")})
		r := e.post(t, attachQuery(seedInst, seedEnvB), nil)
		if len(r.Errors) != 0 {
			t.Errorf("status %d twice then 200: errors %s", status, r.Raw)
			continue
		}
		if got := r.attachments(t); len(got) != 1 || got[0] == nil || got[0].ID != seedAttID {
			t.Errorf("status %d twice then 200: data %s", status, r.Data)
		}
	}
}

// TestRESTErrorMapping: each REST failure maps to its code, with the REST
// status in extensions.
func TestRESTErrorMapping(t *testing.T) {
	t.Parallel() // long, and it asserts outcomes, not timings
	tests := []struct {
		status   int
		code     string
		attempts int  // calls of the failing operation: retries for retryable statuses
		settled  bool // a query asked whether the call took effect
	}{
		{400, "BAD_USER_INPUT", 1, false},
		{401, "UPSTREAM_CREDENTIALS_REFUSED", 1, false}, // the space's credentials, not the client's token (passthrough_test.go: a forwarded token's 401 is UNAUTHORIZED)
		{403, "UNAUTHORIZED", 1, false},
		{404, "NOT_FOUND", 1, false},
		{410, "NOT_FOUND", 1, false},
		{409, "PLATFORM_CALL_ERROR", 1, false},
		// Server-side failures may hide a change: the gateway asks before
		// it answers that nothing happened.
		{500, "PLATFORM_CALL_ERROR", 1, true},
		{503, "RATE_LIMITED", 5, true},
		{429, "RATE_LIMITED", 5, true},
		{504, "UPSTREAM_TIMEOUT", 5, true},
		{502, "PLATFORM_CALL_ERROR", 5, true},
	}
	for _, tt := range tests {
		for _, op := range []string{"attach", "unattach"} {
			var calls, queries atomic.Int32
			method := map[string]string{"attach": "POST", "unattach": "DELETE"}[op]
			wrap := func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if strings.HasSuffix(r.URL.Path, "/query") {
						queries.Add(1)
						next.ServeHTTP(w, r)
						return
					}
					if r.Method != method {
						next.ServeHTTP(w, r)
						return
					}
					calls.Add(1)
					failFirst(1000, tt.status, "")(next).ServeHTTP(w, r)
				})
			}
			e := newEnv(t, envOptions{wrap: wrap})
			var r *response
			if op == "attach" {
				r = e.post(t, attachQuery(seedInst, seedEnvB), nil)
			} else {
				e.sim.AddAttachment(simulator.DemoAccountID, seedInst, seedEnvB)
				r = e.post(t, `mutation { integrationPackInstanceEnvironmentAttachmentUnattach(id: "`+seedAttID+`") }`, nil)
			}
			er := r.errorAt(0)
			if op == "unattach" && len(r.Errors) > 0 {
				er = &r.Errors[0]
			}
			if er == nil {
				t.Errorf("REST %d on %s: no error: %s", tt.status, op, r.Raw)
				continue
			}
			if er.Extensions["code"] != tt.code || er.Extensions["status"] != float64(tt.status) || (op == "attach" && er.Extensions["environmentId"] != seedEnvB) {
				t.Errorf("REST %d on %s: extensions %v, want code %s and status", tt.status, op, er.Extensions, tt.code)
			}
			// REST's message is in the message, or, where the vendor's
			// sample words the message (401, 500), in extensions.
			if !strings.HasPrefix(er.Message, "Downstream Execution Error: ") ||
				!strings.Contains(er.Message, "injected failure") && er.Extensions["platformMessage"] != "injected failure" {
				t.Errorf("REST %d on %s: message %q, extensions %v", tt.status, op, er.Message, er.Extensions)
			}
			if got := calls.Load(); got != int32(tt.attempts) {
				t.Errorf("REST %d on %s: %d calls, want %d", tt.status, op, got, tt.attempts)
			}
			if settled := queries.Load() > 0; settled != tt.settled {
				t.Errorf("REST %d on %s: settled by query = %v, want %v", tt.status, op, settled, tt.settled)
			}
			if er.Extensions["outcome"] != nil {
				t.Errorf("REST %d on %s: outcome %v; the query tells it", tt.status, op, er.Extensions["outcome"])
			}
			if attached := e.sim.Attached(simulator.DemoAccountID, seedInst, seedEnvB); attached != (op == "unattach") {
				t.Errorf("REST %d on %s: attached = %v after a failure", tt.status, op, attached)
			}
		}
	}
}

// TestAttachFailureOfExisting: attaching is idempotent, so a failure to
// re-attach an environment that is attached already is settled as success:
// the client is told "failed" only when the attachment does not exist.
func TestAttachFailureOfExisting(t *testing.T) {
	e := newEnv(t, envOptions{wrap: func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == "POST" && !strings.HasSuffix(r.URL.Path, "/query") {
				failFirst(1000, 503, "")(next).ServeHTTP(w, r)
				return
			}
			next.ServeHTTP(w, r)
		})
	}})
	e.sim.AddAttachment(simulator.DemoAccountID, seedInst, seedEnvB)
	r := e.post(t, attachQuery(seedInst, seedEnvA, seedEnvB), nil)
	got := r.attachments(t)
	if len(got) != 2 || got[0] != nil || got[1] == nil || got[1].ID != seedAttID || r.errorAt(0) == nil || r.errorAt(1) != nil {
		t.Errorf("re-attach through 503s: %s, want index 0 failed, index 1 attached", r.Raw)
	}
}

// faulty strikes the REST calls that match with a fault: "hang" before
// the call is carried out, "lose" the answer after it was carried out, or
// "reset" the connection after carrying it out, the first time only.
func faulty(method, pathSuffix, mode string) func(http.Handler) http.Handler {
	var once sync.Once
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != method || !strings.HasSuffix(r.URL.Path, pathSuffix) {
				next.ServeHTTP(w, r)
				return
			}
			switch mode {
			case "hang":
				io.Copy(io.Discard, r.Body) // lets the server notice the client hang up
				<-r.Context().Done()
			case "lose":
				next.ServeHTTP(httptest.NewRecorder(), r)
				<-r.Context().Done()
			case "reset":
				hit := false
				once.Do(func() { hit = true })
				if !hit {
					next.ServeHTTP(w, r)
					return
				}
				next.ServeHTTP(httptest.NewRecorder(), r)
				panic(http.ErrAbortHandler)
			}
		})
	}
}

// TestKnownOutcomes: a call whose answer never arrived is settled before
// the client is told anything: success only if the attachment exists,
// failure only if it does not, and "unknown" only when REST cannot tell.
func TestKnownOutcomes(t *testing.T) {
	t.Parallel() // long, and it asserts outcomes, not timings
	const create, attachments = "POST", "/IntegrationPackEnvironmentAttachment"
	tests := []struct {
		name     string
		wrap     func(http.Handler) http.Handler
		op       string // attach or unattach
		attached bool   // upstream state at the end
		code     string // "" for success
		unknown  bool
	}{
		{"create hangs before applying", faulty(create, attachments, "hang"), "attach", false, "UPSTREAM_TIMEOUT", false},
		{"create applied, answers lost", faulty(create, attachments, "lose"), "attach", true, "", false},
		{"create applied, connection reset once", faulty(create, attachments, "reset"), "attach", true, "", false},
		{"delete applied, answers lost", faulty("DELETE", "", "lose"), "unattach", false, "", false},
		{"delete applied, connection reset once", faulty("DELETE", "", "reset"), "unattach", false, "", false},
		{"delete hangs before applying", faulty("DELETE", "", "hang"), "unattach", true, "UPSTREAM_TIMEOUT", false},
		{"everything hangs", faulty(create, "", "hang"), "attach", false, "UPSTREAM_TIMEOUT", true},
	}
	for _, tt := range tests {
		e := newEnvYAML(t, tt.wrap, "  attemptTimeout: 50ms\n")
		if tt.op == "unattach" {
			// Attach first, through a path the fault does not strike.
			if r := e.post(t, attachQuery(seedInst, seedEnvB), nil); len(r.Errors) != 0 {
				t.Fatalf("%s: setup attach: %s", tt.name, r.Raw)
			}
		}
		var r *response
		if tt.op == "attach" {
			r = e.post(t, attachQuery(seedInst, seedEnvB), nil)
		} else {
			r = e.post(t, `mutation { integrationPackInstanceEnvironmentAttachmentUnattach(id: "`+seedAttID+`") }`, nil)
		}
		if got := r.code(); got != tt.code {
			t.Errorf("%s: code %q, want %q: %s", tt.name, got, tt.code, r.Raw)
		}
		if tt.code != "" {
			if unknown := r.Errors[0].Extensions["outcome"] == "unknown"; unknown != tt.unknown {
				t.Errorf("%s: outcome unknown = %v, want %v: %s", tt.name, unknown, tt.unknown, r.Raw)
			}
		}
		if got := e.sim.Attached(simulator.DemoAccountID, seedInst, seedEnvB); got != tt.attached {
			t.Errorf("%s: attached upstream = %v, want %v", tt.name, got, tt.attached)
		}
		if tt.code == "" && tt.op == "attach" {
			if a := r.attachments(t); len(a) != 1 || a[0] == nil || a[0].ID != seedAttID {
				t.Errorf("%s: data %s", tt.name, r.Data)
			}
		}
	}
}

// TestAttachConcurrencyBound holds every REST call until as many as the
// bound are in flight (or 2 s pass), so the bound is reached whatever the
// machine's speed, and checks that it is never exceeded.
func TestAttachConcurrencyBound(t *testing.T) {
	const bound = 3
	var mu sync.Mutex
	inFlight, peak := 0, 0
	full := make(chan struct{})
	var once sync.Once
	wrap := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			inFlight++
			peak = max(peak, inFlight)
			if inFlight == bound {
				once.Do(func() { close(full) })
			}
			mu.Unlock()
			select {
			case <-full:
			case <-time.After(2 * time.Second):
			}
			next.ServeHTTP(w, r)
			mu.Lock()
			inFlight--
			mu.Unlock()
		})
	}
	e := newEnvYAML(t, wrap, "", "attach:\n  concurrency: 3\n")
	var envs []string
	for i := 1; i <= 12; i++ {
		envs = append(envs, simulator.DemoEnvironment(i))
	}
	r := e.post(t, attachQuery(seedInst, envs...), nil)
	if len(r.Errors) != 0 {
		t.Fatalf("errors: %s", r.Raw)
	}
	if peak != bound {
		t.Errorf("peak REST concurrency = %d, want %d", peak, bound)
	}
}
