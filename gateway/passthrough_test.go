package gateway_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ipack-gateway/ipack-gateway/platformapi/simulator"
)

func passthroughHeaders(token string) map[string]string {
	return map[string]string{"SPACE_GUID": passthroughSpace, "Authorization": "Bearer " + token,
		"Content-Type": "application/json", "Accept": "application/json"}
}

// TestPassthroughGuessesThrottled: on a passthrough space the REST API
// judges the token, so each token it refuses is a failed authentication of
// the client's address. Guessing stops at the failed-authentication budget
// (5 here), and the account's REST budget pays for at most that many
// guesses: one REST call each.
func TestPassthroughGuessesThrottled(t *testing.T) {
	for _, tc := range []struct {
		name string
		wrap func(http.Handler) http.Handler
		code string
	}{
		{"REST 401", nil, "UNAUTHORIZED"},
		{"REST 403", failFirst(1000, http.StatusForbidden, ""), "UNAUTHORIZED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnvYAML(t, tc.wrap, "", "clients: {requestsPerSecond: 0, authFailuresPerMinute: 5}\n")
			var statuses []int
			for i := range 20 {
				r := e.do(t, http.MethodPost, `{ integrationPackInstances { id } }`, nil, passthroughHeaders(fmt.Sprintf("guess-%d", i)))
				statuses = append(statuses, r.Status)
				if i < 5 && (r.Status != 200 || r.code() != tc.code) {
					t.Errorf("guess %d: %d %s, want 200 with a %s field error", i, r.Status, r.Raw, tc.code)
				}
			}
			if got := statuses[5:]; strings.Count(fmt.Sprint(got), "429") != 15 {
				t.Errorf("statuses %v: want 429 from the sixth guess on", statuses)
			}
			if n := len(e.sim.Requests()); n > 5 {
				t.Errorf("%d REST calls for 20 guesses, want at most 5 (the failed-authentication budget)", n)
			}
		})
	}
}

// TestPassthroughRefusalSameAnswer: a token the REST API refused gets the
// same answer when it comes again (HTTP 200, the field's UNAUTHORIZED
// "Downstream Execution Error: Unauthorized", the same bytes), without a
// REST call; a token it accepts is not affected.
func TestPassthroughRefusalSameAnswer(t *testing.T) {
	e := newEnvYAML(t, nil, "", "clients: {requestsPerSecond: 0, authFailuresPerMinute: 5}\n")
	const refused = "expired-vendor-token"
	for i, query := range []string{
		`{ integrationPackInstances { id } }`,
		// Calls alongside each other, and a field without a REST call.
		`{ environments { id integrationPackEnvironmentAttachment { id } atoms { id } } spaces { id } }`,
	} {
		refused := fmt.Sprintf("%s-%d", refused, i)
		before := len(e.sim.Requests())
		first := e.do(t, http.MethodPost, query, nil, passthroughHeaders(refused))
		if first.Status != 200 || first.code() != "UNAUTHORIZED" || first.Errors[0].Message != "Downstream Execution Error: Unauthorized" {
			t.Fatalf("first use: %d %s, want 200 with the field's UNAUTHORIZED", first.Status, first.Raw)
		}
		if n := len(e.sim.Requests()) - before; n < 1 {
			t.Fatalf("%d REST calls, want at least 1", n)
		}
		// Calls started alongside the refused one may still reach REST
		// after the answer: count once they have.
		calls := settledCalls(e)
		r := e.do(t, http.MethodPost, query, nil, passthroughHeaders(refused))
		if r.Status != first.Status || string(r.Raw) != string(first.Raw) {
			t.Errorf("repeat: %d %s\nwant the first answer: %d %s", r.Status, r.Raw, first.Status, first.Raw)
		}
		if n := settledCalls(e); n != calls {
			t.Errorf("%d REST calls after the repeat, want still %d", n, calls)
		}
	}
	// Four failures of five: the vendor's token still passes.
	if r := e.do(t, http.MethodPost, `{ integrationPackInstances { id } }`, nil, passthroughHeaders(simulator.DemoBearerToken)); r.Status != 200 || r.code() != "" {
		t.Errorf("the accepted token: %d %s", r.Status, r.Raw)
	}
	if strings.Contains(e.logs.String(), refused) {
		t.Error("the refused token appears in the logs")
	}
}

// TestPassthroughRefusalStopsFanOut: once the REST API refuses the token,
// the request's remaining calls are not made: an attach of 20 environments
// costs one REST call (attach.concurrency 1 makes the count exact), and
// every environment still gets an error that names it.
func TestPassthroughRefusalStopsFanOut(t *testing.T) {
	e := newEnvYAML(t, nil, "", "attach: {concurrency: 1}\n")
	envs := make([]string, 20)
	for i := range envs {
		envs[i] = fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
	}
	r := e.do(t, http.MethodPost, attachQuery(seedInst, envs...), nil, passthroughHeaders("guess"))
	if r.Status != 200 {
		t.Fatalf("attach: %d %s", r.Status, r.Raw)
	}
	if n := len(e.sim.Requests()); n != 1 {
		t.Errorf("%d REST calls for an attach with a refused token, want 1", n)
	}
	named := map[string]bool{}
	for _, er := range r.Errors {
		if er.Extensions["code"] != "UNAUTHORIZED" {
			t.Errorf("error %v, want UNAUTHORIZED", er)
		}
		id, _ := er.Extensions["environmentId"].(string)
		named[id] = true
	}
	for _, id := range envs {
		if !named[id] {
			t.Errorf("environment %s has no error naming it", id)
		}
	}
}

// TestPassthroughRefusalOnEveryObject: the refusal rule holds for every
// REST object, those of the Spaces surface included (the rule used to
// wrap the Platform's methods one by one, and missed the ones added
// last): a token refused on a Process query is remembered, and the next
// request with it gets the same answer without a REST call.
func TestPassthroughRefusalOnEveryObject(t *testing.T) {
	e := newEnvYAML(t, nil, "", "clients: {requestsPerSecond: 0}\n")
	const refused = "expired-vendor-token"
	const processes = `{ integrationPackInstanceProcesses(integrationPackInstanceId: "SW50ZWdyYXRpb25QYWNrSW5zdGFuY2UyNzk3Mg") { id } }`
	r := e.do(t, http.MethodPost, processes, nil, passthroughHeaders(refused))
	if r.Status != 200 || r.code() != "UNAUTHORIZED" {
		t.Fatalf("first use: %d %s, want the field's UNAUTHORIZED", r.Status, r.Raw)
	}
	calls := len(e.sim.Requests())
	first := r
	r = e.do(t, http.MethodPost, processes, nil, passthroughHeaders(refused))
	if r.Status != 200 || string(r.Raw) != string(first.Raw) {
		t.Errorf("repeat: %d %s, want the first answer %s", r.Status, r.Raw, first.Raw)
	}
	if n := len(e.sim.Requests()); n != calls {
		t.Errorf("%d REST calls after the repeat, want still %d", n, calls)
	}
}

// settledCalls is the number of REST calls the simulator has seen, once it
// has seen none for 100 ms (at most 5 s).
func settledCalls(e *env) int {
	n, still := len(e.sim.Requests()), 0
	for range 250 {
		time.Sleep(20 * time.Millisecond)
		m := len(e.sim.Requests())
		if m == n {
			if still++; still == 5 {
				break
			}
			continue
		}
		n, still = m, 0
	}
	return n
}
