package simulator_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ipack-gateway/ipack-gateway/ids"
	"github.com/ipack-gateway/ipack-gateway/platformapi/simulator"
)

var basic = "Basic " + base64.StdEncoding.EncodeToString([]byte(simulator.DemoUsername+":"+simulator.DemoPassword))

func call(t *testing.T, srv *httptest.Server, method, path, ct, body, auth string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+"/"+simulator.DemoAccountID+path, strings.NewReader(body))
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", auth)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, strings.TrimSpace(string(b))
}

func TestSimulatorREST(t *testing.T) {
	srv := httptest.NewServer(simulator.NewDemo(simulator.Options{RateLimit: -1}))
	defer srv.Close()
	const inst = "SW50ZWdyYXRpb25QYWNrSW5zdGFuY2UzNDQ4Ng"
	const env = "86b413a8-1ebf-4c95-bc5b-139573b77910"
	const att = "QVRUQUNIX0lQQUNLX0VOVlNXNTBaV2R5WVhScGIyNVFZV05yU1c1emRHRnVZMlV6TkRRNE5nOjg2YjQxM2E4LTFlYmYtNGM5NS1iYzViLTEzOTU3M2I3NzkxMA"
	const single = "SW50ZWdyYXRpb25QYWNrSW5zdGFuY2UyMA" // instance 20, of the single-install pack
	body := `{"integrationPackInstanceId":"` + inst + `","environmentId":"` + env + `"}`
	tests := []struct {
		name, method, path, ct, body, auth string
		status                             int
		want                               string
	}{
		{"create", "POST", "/IntegrationPackEnvironmentAttachment", "application/json", body, basic, 200,
			`{"@type":"IntegrationPackEnvironmentAttachment","integrationPackInstanceId":"` + inst + `","environmentId":"` + env + `","id":"` + att + `"}`},
		{"create again is idempotent", "POST", "/IntegrationPackEnvironmentAttachment", "application/json", body, basic, 200,
			`{"@type":"IntegrationPackEnvironmentAttachment","integrationPackInstanceId":"` + inst + `","environmentId":"` + env + `","id":"` + att + `"}`},
		{"bad password", "POST", "/IntegrationPackEnvironmentAttachment", "application/json", body, "Basic eDp5", 401, `{"@type":"Error","message":"Unauthorized"}`},
		{"unknown environment", "POST", "/IntegrationPackEnvironmentAttachment", "application/json", strings.Replace(body, "86b4", "96b4", 1), basic, 400,
			`{"@type":"Error","message":"Environment 96b413a8-1ebf-4c95-bc5b-139573b77910 does not exist."}`},
		{"unknown instance", "POST", "/IntegrationPackEnvironmentAttachment", "application/json", strings.Replace(body, "UzNDQ4Ng", "UzNDQ4Nw", 1), basic, 400,
			`{"@type":"Error","message":"IntegrationPackInstance SW50ZWdyYXRpb25QYWNrSW5zdGFuY2UzNDQ4Nw does not exist."}`},
		// No rule refuses an instance of a single-install pack (routes.go
		// says why).
		{"single-install pack", "POST", "/IntegrationPackEnvironmentAttachment", "application/json", strings.Replace(body, inst, single, 1), basic, 200,
			`{"@type":"IntegrationPackEnvironmentAttachment","integrationPackInstanceId":"` + single + `","environmentId":"` + env + `","id":"` + ids.Attachment(single, env) + `"}`},
		{"XML body refused", "POST", "/IntegrationPackEnvironmentAttachment", "application/xml", "<x/>", basic, 415, `{"@type":"Error","message":"Content-Type must be application/json."}`},
		{"GET not supported", "GET", "/IntegrationPackEnvironmentAttachment/" + att, "", "", basic, 405, `{"@type":"Error","message":"The GET operation is not supported."}`},
		{"query by instance", "POST", "/IntegrationPackEnvironmentAttachment/query", "application/json",
			`{"QueryFilter":{"expression":{"argument":["` + inst + `"],"operator":"EQUALS","property":"integrationPackInstanceId"}}}`, basic, 200,
			`{"@type":"QueryResult","result":[{"@type":"IntegrationPackEnvironmentAttachment","integrationPackInstanceId":"` + inst + `","environmentId":"` + env + `","id":"` + att + `"}],"numberOfResults":1}`},
		{"query bad property", "POST", "/IntegrationPackEnvironmentAttachment/query", "application/json",
			`{"QueryFilter":{"expression":{"argument":["x"],"operator":"EQUALS","property":"nope"}}}`, basic, 400, `{"@type":"Error","message":"Invalid query property: nope."}`},
		{"delete", "DELETE", "/IntegrationPackEnvironmentAttachment/" + att, "", "", basic, 200, `true`},
		{"delete again", "DELETE", "/IntegrationPackEnvironmentAttachment/" + att, "", "", basic, 400,
			`{"@type":"Error","message":"IntegrationPackEnvironmentAttachment ` + att + ` does not exist."}`},
	}
	for _, tt := range tests {
		status, got := call(t, srv, tt.method, tt.path, tt.ct, tt.body, tt.auth)
		if status != tt.status || got != tt.want {
			t.Errorf("%s: %d %s\nwant %d %s", tt.name, status, got, tt.status, tt.want)
		}
	}
}

func TestSimulatorPagingAndFilters(t *testing.T) {
	srv := httptest.NewServer(simulator.NewDemo(simulator.Options{RateLimit: -1}))
	defer srv.Close()
	type page struct {
		Result          []map[string]string `json:"result"`
		QueryToken      string              `json:"queryToken"`
		NumberOfResults int                 `json:"numberOfResults"`
	}
	decode := func(s string) page {
		var p page
		if err := json.Unmarshal([]byte(s), &p); err != nil {
			t.Fatalf("%v: %s", err, s)
		}
		return p
	}
	// 120 environments: a page of 100, then 20.
	_, s := call(t, srv, "POST", "/Environment/query", "application/json", `{}`, basic)
	p1 := decode(s)
	if len(p1.Result) != 100 || p1.QueryToken == "" {
		t.Fatalf("first page: %d results, token %q", len(p1.Result), p1.QueryToken)
	}
	_, s = call(t, srv, "POST", "/Environment/queryMore", "text/plain", p1.QueryToken, basic)
	p2 := decode(s)
	if len(p2.Result) != 20 || p2.QueryToken != "" {
		t.Fatalf("second page: %d results, token %q", len(p2.Result), p2.QueryToken)
	}
	if status, _ := call(t, srv, "POST", "/Environment/queryMore", "text/plain", p1.QueryToken, basic); status != 400 {
		t.Errorf("reused token: %d, want 400", status)
	}

	filters := []struct {
		expr string
		want int
	}{
		{`{"operator":"EQUALS","property":"classification","argument":["PROD"]}`, 31}, // 2 seeds (Production, TestEnvPr) + 29 of 116 extras (every 4th)
		{`{"operator":"LIKE","property":"name","argument":["Demo 01%"]}`, 10},
		{`{"operator":"and","nestedExpression":[{"operator":"LIKE","property":"name","argument":["Demo 0%"]},{"operator":"EQUALS","property":"classification","argument":["PROD"]}]}`, 24},
		{`{"operator":"or","nestedExpression":[{"operator":"EQUALS","property":"name","argument":["Production"]},{"operator":"EQUALS","property":"name","argument":["Test"]}]}`, 2},
	}
	for _, f := range filters {
		status, s := call(t, srv, "POST", "/Environment/query", "application/json", `{"QueryFilter":{"expression":`+f.expr+`}}`, basic)
		if p := decode(s); status != 200 || len(p.Result) != f.want {
			t.Errorf("filter %s: %d, %d results, want %d", f.expr, status, len(p.Result), f.want)
		}
	}
}

// TestSimulatorRateLimit: past the burst, within the same instant, the
// vendor's 503.
func TestSimulatorRateLimit(t *testing.T) {
	sim := simulator.NewDemo(simulator.Options{RateLimit: 0.001, Burst: 3})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	var statuses []int
	for range 5 {
		status, _ := call(t, srv, "POST", "/Environment/query", "application/json", `{}`, basic)
		statuses = append(statuses, status)
	}
	// A burst of 3, refilled at one per 1000 s: the last two are refused.
	want := []int{200, 200, 200, 503, 503}
	for i := range want {
		if statuses[i] != want[i] {
			t.Fatalf("statuses = %v, want %v", statuses, want)
		}
	}
	if st := sim.Stats(); st.Throttled != 2 || st.Requests != 5 {
		t.Errorf("Stats = %+v, want 5 requests, 2 throttled", st)
	}
}

// TestVendorBasePath: a baseURL shaped like the vendor's
// (http://host/api/rest/v1) reaches the same API as the root.
func TestVendorBasePath(t *testing.T) {
	srv := httptest.NewServer(simulator.NewDemo(simulator.Options{RateLimit: -1}))
	defer srv.Close()
	for _, prefix := range []string{"", simulator.VendorBasePath} {
		req, _ := http.NewRequest("POST", srv.URL+prefix+"/"+simulator.DemoAccountID+"/Environment/query", strings.NewReader(`{}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", basic)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(string(b), `"@type":"QueryResult"`) {
			t.Errorf("POST %s/{account}/Environment/query = %d %.80s, want 200 and a QueryResult", prefix, res.StatusCode, b)
		}
	}
}
