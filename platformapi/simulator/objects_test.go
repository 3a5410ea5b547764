package simulator_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ipack-gateway/ipack-gateway/ids"
	"github.com/ipack-gateway/ipack-gateway/platformapi/simulator"
)

// demoAPI serves a demo simulator without a rate limit.
type demoAPI struct {
	t   *testing.T
	sim *simulator.Server
	url string
}

func newDemoAPI(t *testing.T) *demoAPI {
	t.Helper()
	sim := simulator.NewDemo(simulator.Options{RateLimit: -1})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return &demoAPI{t: t, sim: sim, url: srv.URL + "/" + simulator.DemoAccountID + "/"}
}

// call makes one request with the demo account's Basic credentials and
// returns the status and the raw body.
func (d *demoAPI) call(method, path, contentType, body string) (int, []byte) {
	d.t.Helper()
	req, err := http.NewRequest(method, d.url+path, strings.NewReader(body))
	if err != nil {
		d.t.Fatal(err)
	}
	req.SetBasicAuth(simulator.DemoUsername, simulator.DemoPassword)
	req.Header.Set("Accept", "application/json")
	if body != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

type page struct {
	Type            string            `json:"@type"`
	NumberOfResults int               `json:"numberOfResults"`
	QueryToken      string            `json:"queryToken"`
	Result          []json.RawMessage `json:"result"`
}

// query runs a query and follows queryMore to the end, returning the
// results and the number of pages.
func (d *demoAPI) query(object, filter string) (int, []map[string]any, int) {
	d.t.Helper()
	body := `{}`
	if filter != "" {
		body = `{"QueryFilter":{"expression":` + filter + `}}`
	}
	status, data := d.call("POST", object+"/query", "application/json", body)
	var all []map[string]any
	pages := 0
	for status == http.StatusOK {
		var p page
		if err := json.Unmarshal(data, &p); err != nil {
			d.t.Fatalf("%s query page: %v: %s", object, err, data)
		}
		if p.Type != "QueryResult" || p.NumberOfResults != len(p.Result) || len(p.Result) > 100 {
			d.t.Fatalf("%s query page: @type %q, numberOfResults %d, %d results", object, p.Type, p.NumberOfResults, len(p.Result))
		}
		pages++
		for _, r := range p.Result {
			var m map[string]any
			_ = json.Unmarshal(r, &m)
			all = append(all, m)
		}
		if p.QueryToken == "" {
			break
		}
		status, data = d.call("POST", object+"/queryMore", "text/plain", p.QueryToken)
	}
	return status, all, pages
}

func TestQueryFilters(t *testing.T) {
	d := newDemoAPI(t)
	envA, envB := simulator.DemoSeedEnvironmentA, simulator.DemoSeedEnvironmentB
	tests := []struct {
		name, object, filter string
		status, want         int // want: results
	}{
		// 120 environments: A (PROD), B (TEST), 116 extra, every 4th PROD,
		// and the Spaces samples' TestEnvPr (PROD) and one TEST.
		{"all environments", "Environment", "", 200, 120},
		{"EQUALS", "Environment", `{"operator":"EQUALS","property":"classification","argument":["PROD"]}`, 200, 2 + 116/4},
		{"NOT_EQUALS", "Environment", `{"operator":"NOT_EQUALS","property":"classification","argument":["PROD"]}`, 200, 120 - 2 - 116/4},
		{"LIKE prefix", "Environment", `{"operator":"LIKE","property":"name","argument":["Demo 00%"]}`, 200, 9},
		{"LIKE infix", "Environment", `{"operator":"LIKE","property":"name","argument":["%roduc%"]}`, 200, 1},
		{"LIKE is anchored", "Environment", `{"operator":"LIKE","property":"name","argument":["roduc"]}`, 200, 0},
		{"LIKE quotes regexp", "Environment", `{"operator":"LIKE","property":"name","argument":["Demo.00%"]}`, 200, 0},
		{"and", "Environment", `{"operator":"and","nestedExpression":[
			{"operator":"EQUALS","property":"classification","argument":["PROD"]},
			{"operator":"LIKE","property":"name","argument":["Demo%"]}]}`, 200, 116 / 4},
		{"or", "Environment", `{"operator":"or","nestedExpression":[
			{"operator":"EQUALS","property":"id","argument":["` + envA + `"]},
			{"operator":"EQUALS","property":"id","argument":["` + envB + `"]}]}`, 200, 2},
		{"nested groups", "Environment", `{"operator":"or","nestedExpression":[
			{"operator":"EQUALS","property":"id","argument":["` + envA + `"]},
			{"operator":"and","nestedExpression":[
				{"operator":"EQUALS","property":"classification","argument":["TEST"]},
				{"operator":"LIKE","property":"name","argument":["Demo 00%"]}]}]}`, 200, 1 + 7}, // 001-009 less 004, 008
		{"instances by pack", "IntegrationPackInstance", `{"operator":"EQUALS","property":"integrationPackId","argument":["` + simulator.DemoMultiPackID + `"]}`, 200, 2},
		{"instances by pack name", "IntegrationPackInstance", `{"operator":"LIKE","property":"integrationPackName","argument":["Workday%"]}`, 200, 1},
		{"instances by override name", "IntegrationPackInstance", `{"operator":"EQUALS","property":"integrationPackOverrideName","argument":["Sync EU"]}`, 200, 1},
		{"packs by installationType", "IntegrationPack", `{"operator":"EQUALS","property":"installationType","argument":["SINGLE"]}`, 200, 1},
		{"packs by id", "IntegrationPack", `{"operator":"EQUALS","property":"id","argument":["` + simulator.DemoMultiPackID + `"]}`, 200, 1},
		// What the vendor does not document for QUERY fails as it would there.
		{"instances by id", "IntegrationPackInstance", `{"operator":"EQUALS","property":"id","argument":["x"]}`, 400, 0},
		{"attachments by id", "IntegrationPackEnvironmentAttachment", `{"operator":"EQUALS","property":"id","argument":["x"]}`, 400, 0},
		{"unknown operator", "Environment", `{"operator":"GREATER_THAN","property":"name","argument":["x"]}`, 400, 0},
		{"empty group", "Environment", `{"operator":"and","nestedExpression":[]}`, 400, 0},
		{"two arguments to EQUALS", "Environment", `{"operator":"EQUALS","property":"name","argument":["a","b"]}`, 400, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, got, _ := d.query(tc.object, tc.filter)
			if status != tc.status || len(got) != tc.want {
				t.Errorf("%s query %s: status %d, %d results; want %d, %d", tc.object, tc.filter, status, len(got), tc.status, tc.want)
			}
		})
	}
}

func TestQueryPaging(t *testing.T) {
	d := newDemoAPI(t)
	// 120 environments at 100 a page: two pages, the second of 20.
	status, got, pages := d.query("Environment", "")
	if status != 200 || len(got) != 120 || pages != 2 {
		t.Fatalf("Environment query: status %d, %d results in %d pages; want 200, 120 in 2", status, len(got), pages)
	}
	seen := map[any]bool{}
	for _, e := range got {
		if e["@type"] != "Environment" || seen[e["id"]] {
			t.Fatalf("result %v: wrong @type or repeated", e)
		}
		seen[e["id"]] = true
	}

	// A token serves its page once.
	_, data := d.call("POST", "Environment/query", "application/json", `{}`)
	var p page
	_ = json.Unmarshal(data, &p)
	if p.QueryToken == "" {
		t.Fatal("first page has no queryToken")
	}
	if status, _ := d.call("POST", "IntegrationPack/queryMore", "text/plain", p.QueryToken); status != 400 {
		t.Errorf("queryMore of another object = %d, want 400", status)
	}
	if status, _ := d.call("POST", "Environment/queryMore", "text/plain", p.QueryToken); status != 200 {
		t.Errorf("queryMore = %d, want 200", status)
	}
	if status, _ := d.call("POST", "Environment/queryMore", "text/plain", p.QueryToken); status != 400 {
		t.Errorf("queryMore with a spent token = %d, want 400", status)
	}
}

func TestInstallUninstall(t *testing.T) {
	d := newDemoAPI(t)
	status, body := d.call("POST", "IntegrationPackInstance", "application/json",
		`{"integrationPackId":"`+simulator.DemoMultiPackID+`","integrationPackOverrideName":"Sync APAC"}`)
	var inst struct {
		Type, ID, IntegrationPackID, IntegrationPackOverrideName string
	}
	_ = json.Unmarshal(body, &inst)
	var typ struct {
		Type string `json:"@type"`
	}
	_ = json.Unmarshal(body, &typ)
	// The demo's highest instance number is 34486.
	if status != 200 || typ.Type != "IntegrationPackInstance" || inst.ID != ids.Instance(34487) ||
		inst.IntegrationPackID != simulator.DemoMultiPackID || inst.IntegrationPackOverrideName != "Sync APAC" {
		t.Fatalf("install = %d %s", status, body)
	}
	if status, body := d.call("GET", "IntegrationPackInstance/"+inst.ID, "", ""); status != 200 || !strings.Contains(string(body), "Sync APAC") {
		t.Errorf("GET new instance = %d %s", status, body)
	}

	if status, _ := d.call("POST", "IntegrationPackEnvironmentAttachment", "application/json",
		`{"integrationPackInstanceId":"`+inst.ID+`","environmentId":"`+simulator.DemoSeedEnvironmentA+`"}`); status != 200 {
		t.Fatalf("attach = %d", status)
	}
	if status, body := d.call("DELETE", "IntegrationPackInstance/"+inst.ID, "", ""); status != 200 || strings.TrimSpace(string(body)) != "true" {
		t.Errorf("uninstall = %d %s, want 200 true", status, body)
	}
	if d.sim.Attached(simulator.DemoAccountID, inst.ID, simulator.DemoSeedEnvironmentA) {
		t.Error("uninstall left the instance's attachment behind")
	}
	for _, tc := range []struct {
		name, method, path, body string
		want                     int
	}{
		{"GET uninstalled", "GET", "IntegrationPackInstance/" + inst.ID, "", 400},
		{"DELETE uninstalled", "DELETE", "IntegrationPackInstance/" + inst.ID, "", 400},
		{"unknown pack", "POST", "IntegrationPackInstance", `{"integrationPackId":"00000000-0000-0000-0000-000000000000"}`, 400},
		// The demo's single-install pack is installed already (instance 20).
		{"single-install pack twice", "POST", "IntegrationPackInstance", `{"integrationPackId":"` + simulator.DemoSinglePackID + `"}`, 400},
		{"override name on single-install", "POST", "IntegrationPackInstance", `{"integrationPackId":"` + simulator.DemoSinglePackID + `","integrationPackOverrideName":"x"}`, 400},
		{"GET pack", "GET", "IntegrationPack/" + simulator.DemoMultiPackID, "", 200},
		{"GET unknown pack", "GET", "IntegrationPack/nope", "", 400},
	} {
		if status, body := d.call(tc.method, tc.path, "application/json", tc.body); status != tc.want {
			t.Errorf("%s: %s %s = %d %s, want %d", tc.name, tc.method, tc.path, status, body, tc.want)
		}
	}
}

func TestBearerAuth(t *testing.T) {
	d := newDemoAPI(t)
	for _, tc := range []struct {
		auth string
		want int
	}{
		{"Bearer " + simulator.DemoBearerToken, 200},
		{"Bearer not-the-token", 401},
		{"", 401},
	} {
		req, _ := http.NewRequest("POST", d.url+"Environment/query", strings.NewReader(`{}`))
		req.Header.Set("Content-Type", "application/json")
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("Authorization %q: status %d, want %d", tc.auth, resp.StatusCode, tc.want)
		}
	}
}
