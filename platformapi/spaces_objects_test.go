package platformapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipack-gateway/ipack-gateway/platformapi"
	"github.com/ipack-gateway/ipack-gateway/platformapi/simulator"
)

// lastRequest returns the simulator's last recorded request.
func lastRequest(t *testing.T, sim *simulator.Server) simulator.Request {
	t.Helper()
	reqs := sim.Requests()
	if len(reqs) == 0 {
		t.Fatal("no REST request")
	}
	return reqs[len(reqs)-1]
}

func TestProcessCalls(t *testing.T) {
	c, sim, acct := newDemoClient(t, platformapi.Options{})
	ctx := context.Background()

	f := platformapi.Equals("integrationPackInstanceId", simulator.DemoSpacesInstance)
	procs, err := c.QueryProcesses(ctx, acct, &f)
	if err != nil {
		t.Fatal(err)
	}
	want := []platformapi.Process{
		{ID: simulator.DemoProcess1, Name: "test1", IntegrationPack: []platformapi.ProcessIntegrationPack{{IntegrationPackID: simulator.DemoSpacesPackID, IntegrationPackInstanceID: simulator.DemoSpacesInstance}}},
		{ID: simulator.DemoProcess2, Name: "test2", IntegrationPack: []platformapi.ProcessIntegrationPack{{IntegrationPackID: simulator.DemoSpacesPackID, IntegrationPackInstanceID: simulator.DemoSpacesInstance}}},
	}
	if fmt.Sprint(procs) != fmt.Sprint(want) {
		t.Errorf("QueryProcesses(instance) = %+v, want %+v", procs, want)
	}
	r := lastRequest(t, sim)
	if r.Method != "POST" || r.Path != "/demo-account/Process/query" ||
		string(r.Body) != `{"QueryFilter":{"expression":{"operator":"EQUALS","property":"integrationPackInstanceId","argument":["`+simulator.DemoSpacesInstance+`"]}}}` {
		t.Errorf("process query = %s %s %s", r.Method, r.Path, r.Body)
	}

	f = platformapi.Equals("id", simulator.DemoProcess2)
	if procs, err := c.QueryProcesses(ctx, acct, &f); err != nil || len(procs) != 1 || procs[0].Name != "test2" {
		t.Errorf("QueryProcesses(id) = %+v, %v", procs, err)
	}
}

func TestAtomCalls(t *testing.T) {
	c, sim, acct := newDemoClient(t, platformapi.Options{})
	ctx := context.Background()

	f := platformapi.Equals("environmentId", simulator.DemoAtomsEnvironment)
	atts, err := c.QueryEnvironmentAtomAttachments(ctx, acct, &f)
	if err != nil || len(atts) != 3 {
		t.Fatalf("QueryEnvironmentAtomAttachments(env) = %+v, %v; want 3", atts, err)
	}
	if r := lastRequest(t, sim); r.Path != "/demo-account/EnvironmentAtomAttachment/query" || !strings.Contains(string(r.Body), `"property":"environmentId"`) {
		t.Errorf("attachment query = %s %s", r.Path, r.Body)
	}
	f = platformapi.Equals("atomId", simulator.DemoMappersAtom)
	if got, err := c.QueryEnvironmentAtomAttachments(ctx, acct, &f); err != nil || len(got) != 1 || got[0].EnvironmentID != simulator.DemoMappersEnvironment {
		t.Errorf("QueryEnvironmentAtomAttachments(atom) = %+v, %v", got, err)
	}

	var ids []string
	for _, a := range atts {
		ids = append(ids, a.AtomID)
	}
	or := platformapi.Or(platformapi.Equals("id", ids[0]), platformapi.Equals("id", ids[1]))
	if got, err := c.QueryAtoms(ctx, acct, &or); err != nil || len(got) != 2 || got[0].Name != "Test_atom1" {
		t.Errorf("QueryAtoms(or) = %+v, %v", got, err)
	}
}

// Bulk GET: one item per id, in order; an unknown id is an item with its
// own status, not a failed call; no ids, no call.
func TestMapExtensionsBulkGet(t *testing.T) {
	c, sim, acct := newDemoClient(t, platformapi.Options{})
	ctx := context.Background()
	res, err := c.GetMapExtensions(ctx, acct, []string{"no-such-map", simulator.DemoMapExtension})
	if err != nil || len(res) != 1 {
		t.Fatalf("GetMapExtensions = %+v, %v; want one answer", res, err)
	}
	items := res[0].Response
	if len(items) != 2 || items[0].OK() || items[0].StatusCode != 400 || !items[1].OK() || items[1].ID != simulator.DemoMapExtension || items[1].Index != 1 ||
		!strings.Contains(string(res[0].Raw), `"@type":"BulkResult"`) {
		t.Errorf("GetMapExtensions = %+v %s", items, res[0].Raw)
	}
	if r := sim.Requests(); len(r) != 1 || r[0].Path != "/demo-account/EnvironmentMapExtension/bulk" ||
		string(r[0].Body) != `{"type":"GET","request":[{"id":"no-such-map"},{"id":"`+simulator.DemoMapExtension+`"}]}` {
		t.Errorf("bulk request = %+v", r)
	}
	sim.ResetRequests()
	if res, err := c.GetMapExtensions(ctx, acct, nil); err != nil || len(res) != 0 || len(sim.Requests()) != 0 {
		t.Errorf("GetMapExtensions(none) = %+v, %v after %d calls", res, err, len(sim.Requests()))
	}
}

// pagedSimulator is an account with n Atoms, each attached to one
// environment and with one process of one instance: more than a query page.
func pagedSimulator(t *testing.T, n int) (*platformapi.Client, *simulator.Server, platformapi.Account) {
	t.Helper()
	sim := simulator.New(simulator.Options{RateLimit: -1, RecordRequests: true})
	sim.AddAccount("acct", "u", "p")
	for i := range n {
		id := fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
		sim.AddAtom("acct", simulator.Atom{ID: id, Name: fmt.Sprintf("atom %d", i)})
		sim.AttachAtom("acct", id, "env")
		sim.AddProcess("acct", simulator.Process{ID: id, Name: "p", IntegrationPack: []simulator.ProcessIntegrationPack{{IntegrationPackID: "pack", IntegrationPackInstanceID: "inst"}}})
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	c, err := platformapi.New(platformapi.Options{BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return c, sim, platformapi.Account{ID: "acct", Credentials: platformapi.Basic("u", "p")}
}

// 250 rows: query and two queryMore (100 + 100 + 50); a bulk GET of 250 ids
// is three calls of at most 100.
func TestSpacesObjectsPaging(t *testing.T) {
	const n = 250
	c, sim, acct := pagedSimulator(t, n)
	ctx := context.Background()
	envF := platformapi.Equals("environmentId", "env")
	instF := platformapi.Equals("integrationPackInstanceId", "inst")
	var ids []string
	for _, tc := range []struct {
		object string
		run    func() (int, error)
	}{
		{"Atom", func() (int, error) {
			r, err := c.QueryAtoms(ctx, acct, nil)
			for _, a := range r {
				ids = append(ids, a.ID)
			}
			return len(r), err
		}},
		{"EnvironmentAtomAttachment", func() (int, error) { r, err := c.QueryEnvironmentAtomAttachments(ctx, acct, &envF); return len(r), err }},
		{"Process", func() (int, error) { r, err := c.QueryProcesses(ctx, acct, &instF); return len(r), err }},
	} {
		sim.ResetRequests()
		got, err := tc.run()
		var paths []string
		for _, r := range sim.Requests() {
			paths = append(paths, r.Path)
		}
		want := []string{"/acct/" + tc.object + "/query", "/acct/" + tc.object + "/queryMore", "/acct/" + tc.object + "/queryMore"}
		if err != nil || got != n || !slices.Equal(paths, want) {
			t.Errorf("%s query: %d rows, %v, requests %q; want %d in %q", tc.object, got, err, paths, n, want)
		}
	}
	// The ids are no map extensions': each item answers so, and every
	// call holds at most 100.
	sim.ResetRequests()
	res, err := c.GetMapExtensions(ctx, acct, ids)
	if err != nil || len(res) != 3 || len(sim.Requests()) != 3 {
		t.Fatalf("GetMapExtensions(%d ids) = %d answers, %v, in %d calls; want 3 in 3", n, len(res), err, len(sim.Requests()))
	}
	for k, r := range res {
		for i, it := range r.Response {
			if it.Index != i || it.ID != ids[k*platformapi.BulkSize+i] {
				t.Fatalf("GetMapExtensions answer %d item %d = %+v", k, i, it)
			}
		}
	}
}

// Every call of these objects is retried after a 503 with Retry-After, the
// vendor's "busy" answer, and succeeds on the second try.
func TestSpacesObjectsRetry503(t *testing.T) {
	ctx := context.Background()
	f := platformapi.Equals("environmentId", simulator.DemoAtomsEnvironment)
	for _, tc := range []struct {
		name string
		run  func(*platformapi.Client, platformapi.Account) error
	}{
		{"QueryAtoms", func(c *platformapi.Client, a platformapi.Account) error {
			_, err := c.QueryAtoms(ctx, a, nil)
			return err
		}},
		{"GetMapExtensions", func(c *platformapi.Client, a platformapi.Account) error {
			_, err := c.GetMapExtensions(ctx, a, []string{simulator.DemoMapExtension})
			return err
		}},
		{"QueryEnvironmentAtomAttachments", func(c *platformapi.Client, a platformapi.Account) error {
			_, err := c.QueryEnvironmentAtomAttachments(ctx, a, &f)
			return err
		}},
		{"QueryProcesses", func(c *platformapi.Client, a platformapi.Account) error {
			_, err := c.QueryProcesses(ctx, a, nil)
			return err
		}},
		{"QueryEnvironmentExtensions", func(c *platformapi.Client, a platformapi.Account) error {
			_, err := c.QueryEnvironmentExtensions(ctx, a, &f)
			return err
		}},
		{"UpdateEnvironmentExtensions", func(c *platformapi.Client, a platformapi.Account) error {
			_, err := c.UpdateEnvironmentExtensions(ctx, a, simulator.DemoExtensionsAnswerID, json.RawMessage(`{"partial":true}`))
			return err
		}},
		{"QueryMapExtensionsSummaries", func(c *platformapi.Client, a platformapi.Account) error {
			_, err := c.QueryMapExtensionsSummaries(ctx, a, &f)
			return err
		}},
		{"GetMapExtensions", func(c *platformapi.Client, a platformapi.Account) error {
			_, err := c.GetMapExtensions(ctx, a, []string{simulator.DemoMapExtension})
			return err
		}},
		{"UpdateMapExtension", func(c *platformapi.Client, a platformapi.Account) error {
			_, err := c.UpdateMapExtension(ctx, a, simulator.DemoMapperUpdateID, json.RawMessage(`{"name":"x"}`))
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, acct, n := busyOnce(t)
			if err := tc.run(c, acct); err != nil || n.Load() != 2 {
				t.Errorf("%s after one 503: %v in %d requests; want success in 2", tc.name, err, n.Load())
			}
		})
	}
}

// busyOnce is a demo simulator whose first answer is 503 with
// "Retry-After: 0", and the count of requests it received.
func busyOnce(t *testing.T) (*platformapi.Client, platformapi.Account, *atomic.Int32) {
	t.Helper()
	sim := simulator.NewDemo(simulator.Options{RateLimit: -1})
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c, err := platformapi.New(platformapi.Options{BaseURL: srv.URL, Retry: platformapi.RetryPolicy{WaitMin: time.Millisecond, WaitMax: 2 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	return c, platformapi.Account{ID: simulator.DemoAccountID, Credentials: platformapi.Basic(simulator.DemoUsername, simulator.DemoPassword)}, &n
}

func TestExtensionCalls(t *testing.T) {
	c, sim, acct := newDemoClient(t, platformapi.Options{})
	ctx := context.Background()

	f := platformapi.Equals("environmentId", simulator.DemoMappersEnvironment)
	exts, err := c.QueryEnvironmentExtensions(ctx, acct, &f)
	if err != nil || len(exts) != 2 || exts[0].ExtensionGroupID != simulator.DemoProcess1 || !strings.HasPrefix(string(exts[0].Raw), `{"@type":"EnvironmentExtensions",`) {
		t.Fatalf("QueryEnvironmentExtensions = %+v, %v", exts, err)
	}

	sums, err := c.QueryMapExtensionsSummaries(ctx, acct, &f)
	if err != nil || len(sums) != 1 || sums[0].ID != simulator.DemoMapExtension || sums[0].ProcessID != simulator.DemoProcess1 {
		t.Fatalf("QueryMapExtensionsSummaries = %+v, %v", sums, err)
	}
	res, err := c.GetMapExtensions(ctx, acct, []string{sums[0].ID})
	if err != nil || len(res) != 1 || len(res[0].Response) != 1 || !res[0].Response[0].OK() ||
		!strings.HasPrefix(string(res[0].Raw), `{"@type":"BulkResult","response":[{"@type":"BulkResponse","Result":{"@type":"EnvironmentMapExtension","Map":`) {
		t.Errorf("GetMapExtensions = %+v, %v", res, err)
	}

	// UPDATE: POST {Object}/{id}/update with the body as given; the answer
	// is REST's, compacted.
	sim.ResetRequests()
	body := json.RawMessage(`{"name":"renamed","id":"` + simulator.DemoMapperUpdateID + `"}`)
	answer, err := c.UpdateMapExtension(ctx, acct, simulator.DemoMapperUpdateID, body)
	if err != nil || string(answer) != `{"@type":"EnvironmentMapExtension","name":"renamed","id":"`+simulator.DemoMapperUpdateID+`"}` {
		t.Errorf("UpdateMapExtension = %s, %v", answer, err)
	}
	if r := lastRequest(t, sim); r.Path != "/demo-account/EnvironmentMapExtension/"+simulator.DemoMapperUpdateID+"/update" || string(r.Body) != string(body) {
		t.Errorf("update request = %s %s", r.Path, r.Body)
	}
	_, err = c.UpdateEnvironmentExtensions(ctx, acct, "bm8tc3VjaA", json.RawMessage(`{}`))
	var pe *platformapi.Error
	if !errors.As(err, &pe) || pe.StatusCode != 400 || pe.Object != "EnvironmentExtensions" {
		t.Errorf("update of an unknown id = %v, want a 400", err)
	}
}
