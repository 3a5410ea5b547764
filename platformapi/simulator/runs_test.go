package simulator_test

import (
	"strings"
	"testing"

	"github.com/ipack-gateway/ipack-gateway/platformapi/simulator"
)

// Both UPDATE forms the vendor documents reach the same object; a retry
// count out of 1..5, an unknown id, a comparison on an object that does not
// order, and a run without an Atom are refused.
func TestRunObjects(t *testing.T) {
	d := newDemoAPI(t)
	id := simulator.ScheduleID(simulator.DemoUpdateAtomID, simulator.DemoUpdateProcessID)
	for _, path := range []string{"ProcessSchedules/" + id + "/update", "ProcessSchedules/" + id} {
		body := `{"Schedule":[{"minutes":"5","hours":"*","daysOfWeek":"*","daysOfMonth":"*","months":"*","years":"*"}],"Retry":{"Schedule":[],"maxRetry":2}}`
		if status, got := d.call("POST", path, "application/json", body); status != 200 || !strings.Contains(string(got), `"minutes":"5"`) || !strings.Contains(string(got), `"@type":"ProcessSchedules"`) {
			t.Errorf("POST %s = %d %s", path, status, got)
		}
	}
	for _, tc := range []struct{ path, body string }{
		{"ProcessSchedules/" + id + "/update", `{"Retry":{"Schedule":[],"maxRetry":6}}`},
		{"ProcessSchedules/Q1BTbm9uZQ/update", `{}`},
		{"ProcessSchedules/query", `{"QueryFilter":{"expression":{"operator":"GREATER_THAN","property":"atomId","argument":["a"]}}}`},
		{"ExecutionRequest", `{"processId":"p"}`},
	} {
		if status, got := d.call("POST", tc.path, "application/json", tc.body); status != 400 {
			t.Errorf("POST %s %s = %d %s, want 400", tc.path, tc.body, status, got)
		}
	}
	if n := len(d.sim.Executions(simulator.DemoAccountID)); n != 0 {
		t.Errorf("refused runs recorded: %d", n)
	}
}
