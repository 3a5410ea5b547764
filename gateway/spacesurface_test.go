package gateway_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ipack-gateway/ipack-gateway/platformapi/simulator"
)

// The vendor's docs do not show whether attach's and install's input may
// be null, so a client's $input variable must validate declared either
// way; a null input is the resolver's BAD_USER_INPUT, not a panic.
func TestNullableInputVariables(t *testing.T) {
	e := newEnv(t, envOptions{})
	attachInput := map[string]any{"integrationPackInstanceId": seedInst, "environmentIds": []string{seedEnvB}}
	installInput := map[string]any{"integrationPackId": simulator.DemoMultiPackID}
	for _, tc := range []struct {
		name, query string
		input       map[string]any
		wantCode    string
	}{
		{"attach, nullable variable", `mutation($input: IntegrationPackEnvironmentAttachmentInput) { ` + attachField + `(input: $input) { id } }`, attachInput, ""},
		{"attach, non-null variable", `mutation($input: IntegrationPackEnvironmentAttachmentInput!) { ` + attachField + `(input: $input) { id } }`, attachInput, ""},
		{"attach, null", `mutation($input: IntegrationPackEnvironmentAttachmentInput) { ` + attachField + `(input: $input) { id } }`, nil, "BAD_USER_INPUT"},
		{"install, nullable variable", `mutation($input: IntegrationPackInstanceInput) { integrationPackInstanceInstall(input: $input) { id } }`, installInput, ""},
		{"install, null", `mutation($input: IntegrationPackInstanceInput) { integrationPackInstanceInstall(input: $input) { id } }`, nil, "BAD_USER_INPUT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var vars map[string]any
			if tc.input != nil {
				vars = map[string]any{"input": tc.input}
			}
			r := e.post(t, tc.query, vars)
			if r.Status != http.StatusOK || r.code() != tc.wantCode {
				t.Errorf("%s: HTTP %d, code %q, want 200, %q: %s", tc.name, r.Status, r.code(), tc.wantCode, r.Raw)
			}
		})
	}
}

// A list update applies every item it can: a failed item is null in the
// answer and named by an error at [alias, index] with its code; the others
// are carried out. A 503 with Retry-After on one item is retried.
func TestExtensionsUpdatePartialFailure(t *testing.T) {
	var busy atomic.Int32
	e := newEnv(t, envOptions{wrap: func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// The first UPDATE of the answer's object is refused as busy.
			if strings.Contains(r.URL.Path, simulator.DemoExtensionsAnswerID+"/update") && busy.Add(1) == 1 {
				w.Header().Set("Retry-After", "0")
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			if strings.Contains(r.URL.Path, "/EnvironmentExtensions/broken/") {
				w.WriteHeader(http.StatusInternalServerError)
				return
			}
			next.ServeHTTP(w, r)
		})
	}})
	item := func(obj, id string) string {
		q, _ := json.Marshal(obj)
		return fmt.Sprintf(`{extensions: %s, envExtensionId: %q}`, q, id)
	}
	query := `mutation { upd: extensionsUpdate(input: [` +
		item(`{"connections":{"@type":"Connections","connection":[]}}`, simulator.DemoExtensionsAnswerID) + `, ` +
		item(`{}`, "no-such-extensions") + `, ` +
		item(`{"processProperties":{}, "partial": false}`, simulator.DemoExtensionsUpdateID) + `, ` +
		item(`not json`, simulator.DemoExtensionsUpdateID) + `, ` +
		item(`{}`, "broken") + `]) }`
	r := e.post(t, query, nil)
	var data struct{ Upd []*string }
	if err := json.Unmarshal(r.Data, &data); err != nil || len(data.Upd) != 5 {
		t.Fatalf("answer: %v: %s", err, r.Raw)
	}
	for i, want := range []string{"", "BAD_USER_INPUT", "", "BAD_USER_INPUT", "PLATFORM_CALL_ERROR"} {
		var got string
		for _, e := range r.Errors {
			if len(e.Path) == 2 && e.Path[0] == "upd" && e.Path[1] == float64(i) {
				got, _ = e.Extensions["code"].(string)
				if e.Extensions["index"] != float64(i) {
					t.Errorf("error of item %d: extensions.index = %v", i, e.Extensions["index"])
				}
			}
		}
		if got != want || (data.Upd[i] == nil) != (want != "") {
			t.Errorf("item %d: error %q, answer %v; want error %q", i, got, data.Upd[i], want)
		}
	}
	if len(r.Errors) != 3 {
		t.Errorf("%d errors, want 3: %s", len(r.Errors), r.Raw)
	}
	// Items 0 and 2 were applied: 0 partially (its connections replaced,
	// the rest kept), 2 in full as its own "partial": false asks.
	got, _ := e.sim.EnvironmentExtensions(simulator.DemoAccountID, simulator.DemoExtensionsAnswerID)
	if !strings.Contains(got, `"connections":{"@type":"Connections","connection":[]}`) || !strings.Contains(got, `"Test Some Props Yo"`) {
		t.Errorf("item 0 not applied partially: %s", got)
	}
	if *data.Upd[0] != got {
		t.Errorf("answer 0 = %s, want REST's answer %s", *data.Upd[0], got)
	}
	got, _ = e.sim.EnvironmentExtensions(simulator.DemoAccountID, simulator.DemoExtensionsUpdateID)
	if strings.Contains(got, "connections") || !strings.Contains(got, `"processProperties":{}`) {
		t.Errorf("item 2 not applied in full: %s", got)
	}
	// "partial": true was added where the object did not say, and left
	// alone where it did; the busy answer was retried.
	// (The busy answer never reached the simulator, which records one.)
	calls := e.restCalls("POST", simulator.DemoExtensionsAnswerID+"/update")
	if busy.Load() != 2 || len(calls) != 1 || !strings.HasSuffix(string(calls[0].Body), `,"partial":true}`) {
		t.Errorf("UPDATE of item 0: %d attempts, %d served, %+v", busy.Load(), len(calls), calls)
	}
	if calls := e.restCalls("POST", simulator.DemoExtensionsUpdateID+"/update"); len(calls) != 1 || !strings.Contains(string(calls[0].Body), `"partial":false`) {
		t.Errorf("UPDATE calls of item 2: %+v", calls)
	}
}

// extendedMappersUpdate sends the item's object unchanged to the path of
// its envExtensionId and answers REST's answer.
func TestExtendedMappersUpdate(t *testing.T) {
	e := newEnv(t, envOptions{})
	obj := `{"@type":"EnvironmentMapExtension","Map":{"@type":"MapExtension"},"id":"` + simulator.DemoMapperUpdateID + `","name":"renamed"}`
	q, _ := json.Marshal(obj)
	r := e.post(t, fmt.Sprintf(`mutation { extendedMappersUpdate(input: [{extensions: %s, envExtensionId: %q}]) }`, q, simulator.DemoMapperUpdateID), nil)
	var data struct{ ExtendedMappersUpdate []*string }
	if err := json.Unmarshal(r.Data, &data); err != nil || len(r.Errors) != 0 || len(data.ExtendedMappersUpdate) != 1 || *data.ExtendedMappersUpdate[0] != obj {
		t.Fatalf("answer: %s", r.Raw)
	}
	calls := e.restCalls("POST", "/EnvironmentMapExtension/"+simulator.DemoMapperUpdateID+"/update")
	if len(calls) != 1 || string(calls[0].Body) != obj {
		t.Errorf("UPDATE calls: %+v", calls)
	}
	// Null input and too many items are refused before any REST call.
	r = e.post(t, `mutation($in: [ExtensionInput!]) { extendedMappersUpdate(input: $in) }`, nil)
	if r.code() != "BAD_USER_INPUT" {
		t.Errorf("null input: %s", r.Raw)
	}
	var many []string
	for range 101 {
		many = append(many, `{extensions: "{}", envExtensionId: "x"}`)
	}
	e.sim.ResetRequests()
	r = e.post(t, `mutation { extendedMappersUpdate(input: [`+strings.Join(many, ",")+`]) }`, nil)
	if r.code() != "BAD_USER_INPUT" || len(e.sim.Requests()) != 0 {
		t.Errorf("101 items: %d REST calls, %s", len(e.sim.Requests()), r.Raw)
	}
}

func b64(s string) string { return base64.RawStdEncoding.EncodeToString([]byte(s)) }

// An account with more rows than a REST page of every object behind
// atoms and the attachments' extensions: 150 environments, each with an
// Atom, the instance attached, and an extensions object and a map
// extension of the instance's one process. Each is read in as many pages
// as it takes, and no REST call is made per row.
func TestSpacesPagingAndBatching(t *testing.T) {
	const n = 150
	sim := simulator.New(simulator.Options{RateLimit: -1, RecordRequests: true})
	acct := simulator.DemoAccountID
	sim.AddAccount(acct, simulator.DemoUsername, simulator.DemoPassword)
	sim.AddIntegrationPack(acct, simulator.IntegrationPack{ID: simulator.DemoMultiPackID, InstallationType: "MULTI"})
	inst := sim.AddInstance(acct, 7, simulator.DemoMultiPackID, "")
	const proc = "11111111-0000-4000-8000-000000000001"
	sim.AddProcess(acct, simulator.Process{ID: proc, Name: "p", IntegrationPack: []simulator.ProcessIntegrationPack{{IntegrationPackID: simulator.DemoMultiPackID, IntegrationPackInstanceID: inst}}})
	for i := range n {
		env := simulator.DemoEnvironment(i + 1)
		atom := fmt.Sprintf("22222222-0000-4000-8000-%012d", i)
		sim.AddEnvironment(acct, simulator.Environment{ID: env, Name: fmt.Sprint(i), Classification: "TEST"})
		sim.AddAtom(acct, simulator.Atom{ID: atom, Name: "atom " + fmt.Sprint(i)})
		sim.AttachAtom(acct, atom, env)
		sim.AddAttachment(acct, inst, env)
		sim.AddEnvironmentExtensions(acct, fmt.Sprintf(`{"@type":"EnvironmentExtensions","environmentId":%q,"extensionGroupId":%q,"id":%q}`, env, proc, b64(env+":"+proc)))
		mapID := b64(fmt.Sprintf("%s:%s:%s:%d", env, proc, proc, i))
		sim.AddMapExtensionsSummary(acct, fmt.Sprintf(`{"@type":"EnvironmentMapExtensionsSummary","environmentId":%q,"extensionGroupId":%q,"id":%q,"processId":%q}`, env, proc, mapID, proc))
		sim.AddMapExtension(acct, fmt.Sprintf(`{"@type":"EnvironmentMapExtension","environmentId":%q,"extensionGroupId":%q,"id":%q,"name":"m%d"}`, env, proc, mapID, i))
	}
	e := newEnv(t, envOptions{sim: sim})
	count := func() map[string]int {
		out := map[string]int{}
		for _, r := range sim.Requests() {
			out[strings.TrimPrefix(r.Path, "/"+acct+"/")]++
		}
		sim.ResetRequests()
		return out
	}

	r := e.post(t, `{ environments { id atoms { id name } } }`, nil)
	var envs struct {
		Environments []struct {
			ID    string
			Atoms []struct{ ID, Name string }
		}
	}
	if err := json.Unmarshal(r.Data, &envs); err != nil || len(r.Errors) > 0 || len(envs.Environments) != n {
		t.Fatalf("environments: %s", r.Raw)
	}
	for i, env := range envs.Environments {
		if len(env.Atoms) != 1 || env.Atoms[0].Name != "atom "+fmt.Sprint(i) {
			t.Fatalf("environment %d atoms = %+v", i, env.Atoms)
		}
	}
	// 150 rows: a query and one queryMore each.
	want := map[string]int{"Environment/query": 1, "Environment/queryMore": 1, "EnvironmentAtomAttachment/query": 1,
		"EnvironmentAtomAttachment/queryMore": 1, "Atom/query": 1, "Atom/queryMore": 1}
	if got := count(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("environments with atoms: REST calls %v, want %v", got, want)
	}

	q := fmt.Sprintf(`{ integrationPackEnvironmentAttachments(ipackInstanceId: %q) { environmentId environmentMapExtension environmentExtensions } }`, inst)
	r = e.post(t, q, nil)
	var atts struct {
		IntegrationPackEnvironmentAttachments []struct {
			EnvironmentID           string
			EnvironmentMapExtension []string
			EnvironmentExtensions   *string
		}
	}
	if err := json.Unmarshal(r.Data, &atts); err != nil || len(r.Errors) > 0 || len(atts.IntegrationPackEnvironmentAttachments) != n {
		t.Fatalf("attachments: %s", r.Raw)
	}
	for _, a := range atts.IntegrationPackEnvironmentAttachments {
		var bulk struct {
			Response []struct {
				Index      int
				StatusCode int
				Result     struct{ EnvironmentID string }
			}
		}
		if len(a.EnvironmentMapExtension) != 1 || json.Unmarshal([]byte(a.EnvironmentMapExtension[0]), &bulk) != nil ||
			len(bulk.Response) != 1 || bulk.Response[0].Index != 0 || bulk.Response[0].StatusCode != 200 || bulk.Response[0].Result.EnvironmentID != a.EnvironmentID {
			t.Fatalf("%s: environmentMapExtension = %q", a.EnvironmentID, a.EnvironmentMapExtension)
		}
		if a.EnvironmentExtensions == nil || *a.EnvironmentExtensions != fmt.Sprintf(`[{"@type":"EnvironmentExtensions","environmentId":%q,"extensionGroupId":%q,"id":%q}]`, a.EnvironmentID, proc, b64(a.EnvironmentID+":"+proc)) {
			t.Fatalf("%s: environmentExtensions = %v", a.EnvironmentID, a.EnvironmentExtensions)
		}
	}
	// 150 map extensions: two bulk GETs (100 + 50).
	want = map[string]int{"IntegrationPackEnvironmentAttachment/query": 1, "IntegrationPackEnvironmentAttachment/queryMore": 1, "Process/query": 1,
		"EnvironmentExtensions/query": 1, "EnvironmentExtensions/queryMore": 1, "EnvironmentMapExtensionsSummary/query": 1,
		"EnvironmentMapExtensionsSummary/queryMore": 1, "EnvironmentMapExtension/bulk": 2}
	if got := count(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("attachments with extensions: REST calls %v, want %v", got, want)
	}

	// REST only for what is selected.
	r = e.post(t, fmt.Sprintf(`{ integrationPackEnvironmentAttachments(ipackInstanceId: %q) { id } }`, inst), nil)
	want = map[string]int{"IntegrationPackEnvironmentAttachment/query": 1, "IntegrationPackEnvironmentAttachment/queryMore": 1}
	if got := count(); len(r.Errors) > 0 || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("attachments, ids only: REST calls %v, want %v; %s", got, want, r.Raw)
	}
}

// The REST objects behind the Spaces operations are metric labels of their
// own, not "other".
func TestSpacesMetrics(t *testing.T) {
	e := newOpsEnv(t, opsOptions{})
	e.authed(t, `{ environments { id atoms { id } } }`)
	e.authed(t, `{ integrationPackEnvironmentAttachments(ipackInstanceId: "`+simulator.DemoSpacesInstance+`") { environmentMapExtension environmentExtensions } }`)
	e.authed(t, `mutation { extendedMappersUpdate(input: [{extensions: "{}", envExtensionId: "`+simulator.DemoMapperUpdateID+`"}]) }`)
	fams := e.scrape(t)
	for obj, want := range map[string]float64{
		"Atom": 1, "EnvironmentAtomAttachment": 1, "Process": 1, "EnvironmentExtensions": 1,
		"EnvironmentMapExtensionsSummary": 1, "EnvironmentMapExtension": 2,
		"other": -1, // no such series
	} {
		if got := value(fams, "ipack_gateway_rest_requests_total", map[string]string{"object": obj, "method": "post", "code": "200"}); got != want {
			t.Errorf("REST calls of %s = %v, want %v", obj, got, want)
		}
	}
}
