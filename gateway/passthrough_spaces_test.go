package gateway_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ipack-gateway/ipack-gateway/platformapi/simulator"
)

// TestPassthroughSpacesCheckToken: on a passthrough space, spaces, Space
// and spaceAccounts answer from configuration, which no REST call used to
// guard: any bearer token read them. Now a token the REST API refuses
// gets, in each, the same refusal as a field whose REST call was refused
// (200 with the field's UNAUTHORIZED, and the same answer for the
// remembered token, without a REST call); a token it accepts is answered, with one
// REST call (GET Account) for all three fields, and none for a repeat
// within the 30 s its success is remembered.
func TestPassthroughSpacesCheckToken(t *testing.T) {
	const all = `{ spaces { id } Space(id: "` + passthroughSpace + `") { id } space(id: "` + passthroughSpace + `") { id } spaceAccounts { id } }`
	accountCalls := func(e *env) int {
		n := 0
		for _, r := range e.sim.Requests() {
			if r.Method == "GET" && r.Path == "/"+simulator.DemoAccountID+"/Account/"+simulator.DemoAccountID {
				n++
			}
		}
		return n
	}
	for _, q := range []struct{ name, query, field string }{
		{"spaces", `{ spaces { id } }`, "spaces"},
		{"Space", `{ Space(id: "` + passthroughSpace + `") { id name } }`, "Space"},
		{"space", `{ space(id: "` + passthroughSpace + `") { id } }`, "space"},
		{"spaceAccounts", `{ spaceAccounts { id name } }`, "spaceAccounts"},
		{"all at once", all, ""},
	} {
		t.Run(q.name, func(t *testing.T) {
			e := newEnvYAML(t, nil, "", "clients: {requestsPerSecond: 0, authFailuresPerMinute: 30}\n")
			r := e.do(t, http.MethodPost, q.query, nil, passthroughHeaders("guessed-token"))
			if r.Status != 200 || len(r.Errors) == 0 {
				t.Fatalf("a refused token: %d %s, want 200 with field errors", r.Status, r.Raw)
			}
			for _, er := range r.Errors {
				if er.Extensions["code"] != "UNAUTHORIZED" || er.Message != "Downstream Execution Error: Unauthorized" {
					t.Errorf("a refused token: error %+v, want the REST 401's", er)
				}
			}
			if strings.Contains(string(r.Data), simulator.DemoAccountID) || strings.Contains(string(r.Data), passthroughSpace) {
				t.Errorf("a refused token read the configuration: %s", r.Data)
			}
			if n := accountCalls(e); n != 1 {
				t.Errorf("%d REST checks of a refused token, want 1", n)
			}
			// The refused token is remembered as any REST 401's is: the
			// same answer.
			first := r
			r = e.do(t, http.MethodPost, q.query, nil, passthroughHeaders("guessed-token"))
			if r.Status != 200 || string(r.Raw) != string(first.Raw) {
				t.Errorf("the refused token again: %d %s, want the first answer %s", r.Status, r.Raw, first.Raw)
			}
			if n := accountCalls(e); n != 1 {
				t.Errorf("%d REST checks after the refused token came again, want still 1", n)
			}

			// The vendor's token is answered, and checked once.
			for i := range 3 {
				r = e.do(t, http.MethodPost, q.query, nil, passthroughHeaders(simulator.DemoBearerToken))
				if r.Status != 200 || len(r.Errors) != 0 || !strings.Contains(string(r.Data), `"id":`) {
					t.Fatalf("an accepted token, request %d: %d %s", i, r.Status, r.Raw)
				}
			}
			if n := accountCalls(e); n != 2 {
				t.Errorf("%d REST checks in all, want 2: one per token", n)
			}
			if strings.Contains(e.logs.String(), "guessed-token") || strings.Contains(e.logs.String(), simulator.DemoBearerToken) {
				t.Error("a token appears in the logs")
			}
		})
	}
}

// TestConfiguredSpacesNotChecked: on a space with credentials of its own
// the gateway checked the client's token itself: the spaces fields make
// no REST call.
func TestConfiguredSpacesNotChecked(t *testing.T) {
	e := newEnv(t, envOptions{})
	r := e.post(t, `{ spaces { id } Space(id: "`+testSpace+`") { id } spaceAccounts { id } }`, nil)
	if r.Status != 200 || len(r.Errors) != 0 {
		t.Fatalf("%d %s", r.Status, r.Raw)
	}
	if n := len(e.sim.Requests()); n != 0 {
		t.Errorf("%d REST calls, want none", n)
	}
}
