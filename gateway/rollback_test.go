package gateway_test

import (
	"strings"
	"testing"

	"github.com/ipack-gateway/ipack-gateway/ids"
	"github.com/ipack-gateway/ipack-gateway/platformapi/simulator"
)

// TestRollbackKeepsPreexisting: an all-or-nothing attach of [E1, E2, bad],
// where E1 was attached before, leaves E1 attached and reports it attached,
// rolls E2 back, and names bad's error. Against the simulator, the REST
// calls are exactly: one QUERY of the instance's attachments, a CREATE for
// E2 and for bad (none for E1), one DELETE for E2.
func TestRollbackKeepsPreexisting(t *testing.T) {
	e := newEnvYAML(t, nil, "", "attach: {onPartialFailure: rollback}\n")
	e1, e2 := simulator.DemoEnvironment(1), simulator.DemoEnvironment(2)
	bad := "11111111-2222-4333-8444-555555555555" // well-formed, unknown to REST
	e.sim.AddAttachment(simulator.DemoAccountID, seedInst, e1)
	e.sim.ResetRequests()

	r := e.post(t, attachQuery(seedInst, e1, e2, bad), nil)

	if !e.sim.Attached(simulator.DemoAccountID, seedInst, e1) {
		t.Error("E1 was attached before the request and is not any more")
	}
	if e.sim.Attached(simulator.DemoAccountID, seedInst, e2) {
		t.Error("E2 is still attached after the rollback")
	}
	got := r.attachments(t)
	if len(got) != 3 || got[0] == nil || got[0].EnvironmentID != e1 || got[1] != nil || got[2] != nil {
		t.Fatalf("data = %s, want E1 attached, then two nulls", r.Data)
	}
	// Every environmentId ends as an attachment or an error naming it.
	if er := r.errorAt(0); er != nil {
		t.Errorf("item 0: %+v, want no error", er)
	}
	if er := r.errorAt(1); er == nil || er.Extensions["environmentId"] != e2 || er.Extensions["rolledBack"] != true {
		t.Errorf("item 1: %+v, want rolled back, naming E2", er)
	}
	if er := r.errorAt(2); er == nil || er.Extensions["environmentId"] != bad || er.Extensions["code"] != "BAD_USER_INPUT" {
		t.Errorf("item 2: %+v, want BAD_USER_INPUT naming %s", er, bad)
	}
	var calls []string
	for _, q := range e.sim.Requests() {
		call := q.Method + " " + q.Path[strings.LastIndex(q.Path, "IntegrationPackEnvironmentAttachment"):]
		if q.Method == "POST" && !strings.HasSuffix(q.Path, "/query") {
			call += " " + string(q.Body)
		}
		calls = append(calls, call)
	}
	want := map[string]int{
		"POST IntegrationPackEnvironmentAttachment/query": 1,
		"POST IntegrationPackEnvironmentAttachment ":      2,
		e1: 0, // in no CREATE
		"DELETE IntegrationPackEnvironmentAttachment/" + ids.Attachment(seedInst, e2): 1,
	}
	for prefix, n := range want {
		c := 0
		for _, call := range calls {
			if strings.HasPrefix(call, prefix) || (prefix == e1 && strings.Contains(call, e1)) {
				c++
			}
		}
		if c != n {
			t.Errorf("REST calls matching %q = %d, want %d; calls:\n%s", prefix, c, n, strings.Join(calls, "\n"))
		}
	}
	if len(calls) != 4 {
		t.Errorf("%d REST calls, want 4:\n%s", len(calls), strings.Join(calls, "\n"))
	}
}
