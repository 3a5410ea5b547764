package gateway_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ipack-gateway/ipack-gateway/platformapi/simulator"
)

// actThenRefuse carries the first REST call matching method and path
// suffix out, then answers it with status (503 or 429, with the vendor's
// error body) as a proxy in front of the vendor, or the vendor under load,
// can: the call was done, and the status says it was refused. Later calls
// pass.
func actThenRefuse(method, suffix string, status int) func(http.Handler) http.Handler {
	var struck atomic.Bool
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == method && strings.HasSuffix(r.URL.Path, suffix) && struck.CompareAndSwap(false, true) {
				next.ServeHTTP(httptest.NewRecorder(), r)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(status)
				_, _ = w.Write([]byte(`{"@type":"Error","message":"The service is temporarily unavailable."}`))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// TestNotIdempotentCarriedOutOnce is issue 17's repro: an upstream that
// answers 503 or 429 after acting made integrationPackInstanceInstall and
// processExecute run twice, each reported once as success. Now each is
// sent once: the install is settled by listing the pack's instances (one
// new instance: success, with its id), the run cannot be told from another
// and is reported with outcome "unknown".
func TestNotIdempotentCarriedOutOnce(t *testing.T) {
	const install = `mutation { integrationPackInstanceInstall(input: {integrationPackId: "` + simulator.DemoMultiPackID + `", integrationPackOverrideName: "Sync APAC"}) { id integrationPackOverrideName } }`
	for _, status := range []int{http.StatusServiceUnavailable, http.StatusTooManyRequests} {
		t.Run(fmt.Sprintf("install %d", status), func(t *testing.T) {
			e := newEnvYAML(t, actThenRefuse("POST", "/IntegrationPackInstance", status), "", "attach: {settleDelay: 1ms}\n")
			before := e.instances(t)
			r := e.post(t, install, nil)
			after := e.instances(t)
			if n := len(e.restCalls("POST", "/IntegrationPackInstance")); n != 1 {
				t.Errorf("install sent %d times, want once", n)
			}
			if len(after) != len(before)+1 {
				t.Fatalf("%d instances before, %d after; want one more", len(before), len(after))
			}
			var got struct {
				Install struct{ ID, IntegrationPackOverrideName string } `json:"integrationPackInstanceInstall"`
			}
			_ = json.Unmarshal(r.Data, &got)
			if len(r.Errors) != 0 || got.Install.IntegrationPackOverrideName != "Sync APAC" || !after[got.Install.ID] || before[got.Install.ID] {
				t.Errorf("install: %s; want success with the new instance", r.Raw)
			}
		})
		t.Run(fmt.Sprintf("processExecute %d", status), func(t *testing.T) {
			e := newEnv(t, envOptions{wrap: actThenRefuse("POST", "/ExecutionRequest", status)})
			r := e.post(t, executeMutation, nil)
			if creates, runs := len(e.restCalls("POST", "/ExecutionRequest")), len(e.sim.Executions(simulator.DemoAccountID)); creates != 1 || runs != 1 {
				t.Errorf("%d CREATEs sent, %d runs; want 1 and 1", creates, runs)
			}
			if string(r.Data) != `{"processExecute":null}` || len(r.Errors) != 1 || r.Errors[0].Extensions["outcome"] != "unknown" ||
				!strings.Contains(r.Errors[0].Message, "may have been started") {
				t.Errorf("processExecute: %s; want an error of unknown outcome", r.Raw)
			}
		})
	}
}

// TestDeleteAmbiguousThenGone is issue 17's other repro: unattach and
// uninstall were carried out and answered 503 or 429; the retry's 400 "does
// not exist" reached the client as BAD_USER_INPUT. A DELETE whose repeat
// finds nothing after an attempt that may have worked has worked.
func TestDeleteAmbiguousThenGone(t *testing.T) {
	for _, status := range []int{http.StatusServiceUnavailable, http.StatusTooManyRequests} {
		t.Run(fmt.Sprintf("unattach %d", status), func(t *testing.T) {
			e := newEnv(t, envOptions{wrap: actThenRefuse("DELETE", "", status)})
			e.sim.AddAttachment(simulator.DemoAccountID, seedInst, seedEnvB)
			r := e.post(t, `mutation { integrationPackInstanceEnvironmentAttachmentUnattach(id: "`+seedAttID+`") }`, nil)
			if len(r.Errors) != 0 || string(r.Data) != `{"integrationPackInstanceEnvironmentAttachmentUnattach":"`+seedAttID+`"}` {
				t.Errorf("unattach: %s; want success", r.Raw)
			}
			if e.sim.Attached(simulator.DemoAccountID, seedInst, seedEnvB) {
				t.Error("still attached")
			}
			if n := len(e.restCalls("DELETE", "")); n != 2 {
				t.Errorf("%d DELETEs, want 2 (the first carried out, the repeat found nothing)", n)
			}
		})
		t.Run(fmt.Sprintf("uninstall %d", status), func(t *testing.T) {
			e := newEnv(t, envOptions{wrap: actThenRefuse("DELETE", "", status)})
			r := e.post(t, `mutation { integrationPackInstanceUninstall(id: "`+seedInst+`") }`, nil)
			if len(r.Errors) != 0 || string(r.Data) != `{"integrationPackInstanceUninstall":"`+seedInst+`"}` {
				t.Errorf("uninstall: %s; want success", r.Raw)
			}
			if e.instances(t)[seedInst] {
				t.Error("still installed")
			}
		})
	}
}

// instances lists the instance ids through the gateway.
func (e *env) instances(t *testing.T) map[string]bool {
	t.Helper()
	r := e.post(t, `{ integrationPackInstances { id } }`, nil)
	var data struct {
		Instances []struct{ ID string } `json:"integrationPackInstances"`
	}
	if err := json.Unmarshal(r.Data, &data); err != nil || len(r.Errors) != 0 {
		t.Fatalf("listing instances: %s", r.Raw)
	}
	out := map[string]bool{}
	for _, in := range data.Instances {
		out[in.ID] = true
	}
	return out
}
