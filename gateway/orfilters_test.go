package gateway_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/ipack-gateway/ipack-gateway/platformapi/simulator"
)

// The filters the gateway builds from REST rows (the packs of the
// instances, the schedules of the processes, the environments of their
// Atoms, the extensions of the instance's extension groups) name at most
// 100 ids each: 250 distinct ids are three queries of 100, 100 and 50
// clauses, not one of 250, and every row is still found.
func TestOrFiltersAreSplit(t *testing.T) {
	const n = 250
	sim := simulator.NewDemo(simulator.Options{RecordRequests: true, RateLimit: -1})
	acct := simulator.DemoAccountID
	guid := func(kind, i int) string { return fmt.Sprintf("%08d-0000-4000-8000-%012d", kind, i) }
	const env = "0e8be959-54dd-47d8-8f77-547b7cdd4000"
	inst := sim.AddInstance(acct, 990000, guid(1, 0), "many processes")
	sim.AddAttachment(acct, inst, env)
	for i := range n {
		pack := guid(2, i)
		sim.AddIntegrationPack(acct, simulator.IntegrationPack{ID: pack, Name: "pack " + pack, InstallationType: "MULTI"})
		sim.AddInstance(acct, uint64(991000+i), pack, "")
		proc, atom := guid(3, i), guid(4, i)
		sim.AddProcess(acct, simulator.Process{ID: proc, Name: "p", IntegrationPack: []simulator.ProcessIntegrationPack{{IntegrationPackID: guid(1, 0), IntegrationPackInstanceID: inst}}})
		sim.AddProcessSchedules(acct, atom, proc, nil, nil)
		sim.AttachAtom(acct, atom, env)
	}
	// An extension of the last group: found only if the last query is made.
	sim.AddEnvironmentExtensions(acct, fmt.Sprintf(`{"id":"ext-last","environmentId":%q,"extensionGroupId":%q}`, env, guid(3, n-1)))
	// More environmentIds than one filter takes may be asked for, too.
	e := newEnv(t, envOptions{sim: sim, extraYAML: "attach: {maxEnvironments: 300}\n"})

	// clauses returns, for each recorded query of object, how many ids of
	// property its filter names.
	clauses := func(object, property string) []int {
		var out []int
		for _, r := range e.restCalls("POST", "/"+object+"/query") {
			out = append(out, strings.Count(string(r.Body), `"property":"`+property+`"`))
		}
		return out
	}
	check := func(object, property string, atLeast int) {
		t.Helper()
		got := clauses(object, property)
		total := 0
		for _, c := range got {
			total += c
			if c > 100 {
				t.Errorf("%s: a query of %d clauses (all: %v), want at most 100", object, c, got)
			}
		}
		if want := (total + 99) / 100; len(got) != want || total < atLeast {
			t.Errorf("%s: queries of %v clauses, want %d queries for %d ids (at least %d)", object, got, want, total, atLeast)
		}
	}

	sim.ResetRequests()
	r := e.post(t, `{ integrationPackInstances { id integrationPack { id name } } }`, nil)
	var insts struct {
		IntegrationPackInstances []struct {
			IntegrationPack *struct{ Name *string }
		}
	}
	if err := json.Unmarshal(r.Data, &insts); err != nil || len(r.Errors) != 0 {
		t.Fatalf("integrationPackInstances = %s", r.Raw)
	}
	named := 0
	for _, in := range insts.IntegrationPackInstances {
		if in.IntegrationPack != nil && in.IntegrationPack.Name != nil && strings.HasPrefix(*in.IntegrationPack.Name, "pack ") {
			named++
		}
	}
	if named != n {
		t.Errorf("%d instances with their pack's name, want %d", named, n)
	}
	check("IntegrationPack", "id", n)

	sim.ResetRequests()
	r = e.post(t, fmt.Sprintf(`{ integrationPackInstanceProcesses(integrationPackInstanceId: %q) { id processSchedules { id envId } } }`, inst), nil)
	var procs struct {
		IntegrationPackInstanceProcesses []struct {
			ProcessSchedules *struct{ EnvID *string }
		}
	}
	if err := json.Unmarshal(r.Data, &procs); err != nil || len(r.Errors) != 0 || len(procs.IntegrationPackInstanceProcesses) != n {
		t.Fatalf("integrationPackInstanceProcesses = %.300s", r.Raw)
	}
	for i, p := range procs.IntegrationPackInstanceProcesses {
		if p.ProcessSchedules == nil || p.ProcessSchedules.EnvID == nil || *p.ProcessSchedules.EnvID != env {
			t.Fatalf("process %d: schedules %+v, want its schedule in %s", i, p.ProcessSchedules, env)
		}
	}
	check("ProcessSchedules", "processId", n)
	check("EnvironmentAtomAttachment", "atomId", n)

	sim.ResetRequests()
	r = e.post(t, fmt.Sprintf(`{ integrationPackEnvironmentAttachments(ipackInstanceId: %q) { environmentId environmentExtensions environmentMapExtension } }`, inst), nil)
	if len(r.Errors) != 0 || !strings.Contains(string(r.Data), `ext-last`) {
		t.Errorf("integrationPackEnvironmentAttachments = %.300s, want the last group's extensions", r.Raw)
	}
	check("EnvironmentExtensions", "extensionGroupId", n)
	check("EnvironmentMapExtensionsSummary", "extensionGroupId", n)

	// The client's environmentIds: each query names the instance and at
	// most 100 of them; the one attached, last, is found.
	envs := make([]string, n)
	for i := range envs {
		envs[i] = guid(5, i)
	}
	envs[n-1] = env
	sim.ResetRequests()
	r = e.post(t, `query($envs: [String!]) { integrationPackEnvironmentAttachments(ipackInstanceId: "`+inst+`", environmentIds: $envs) { environmentId } }`, map[string]any{"envs": envs})
	if len(r.Errors) != 0 || string(r.Data) != `{"integrationPackEnvironmentAttachments":[{"environmentId":"`+env+`"}]}` {
		t.Errorf("integrationPackEnvironmentAttachments(%d environments) = %.300s, want the one attached", n, r.Raw)
	}
	check("IntegrationPackEnvironmentAttachment", "environmentId", n)
	if got := clauses("IntegrationPackEnvironmentAttachment", "integrationPackInstanceId"); len(got) != 3 || got[0] != 1 || got[2] != 1 {
		t.Errorf("attachment queries name the instance %v times, want once each of 3", got)
	}
}
