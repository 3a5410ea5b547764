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

const processesQuery = `query process($id: ID) { integrationPackInstanceProcesses(integrationPackInstanceId: $id) {
  id name integrationPack { integrationPackId integrationPackInstanceId }
  processSchedules { id processId atomId envId schedule { minutes } retry { schedule { minutes } maxRetry } } } }`

// restPaths returns the REST calls made, as "METHOD /Object/...".
func (e *env) restPaths() []string {
	var out []string
	for _, r := range e.sim.Requests() {
		out = append(out, r.Method+" "+strings.TrimPrefix(r.Path, "/"+simulator.DemoAccountID))
	}
	return out
}

// The processes of an instance, with what is selected and no more: one
// REST query per object, whatever the number of processes.
func TestInstanceProcesses(t *testing.T) {
	e := newEnv(t, envOptions{})
	vars := map[string]any{"id": simulator.DemoSpacesInstance}
	r := e.post(t, processesQuery, vars)
	want := `{"integrationPackInstanceProcesses":[` +
		`{"id":"70d36151-4070-4a92-8d00-d7c832e4caf5","name":"test1","integrationPack":[{"integrationPackId":"2e659fc6-2202-4da5-9f88-ceda49303885","integrationPackInstanceId":"SW50ZWdyYXRpb25QYWNrSW5zdGFuY2UyNzk3Mg"}],` +
		`"processSchedules":{"id":"Q1BTNGJjYjgzMTItMmY0NS00ZjI5LWFiMmQtZmEyMDU5OGMwYTc2OjcwZDM2MTUxLTQwNzAtNGE5Mi04ZDAwLWQ3YzgzMmU0Y2FmNQ","processId":"70d36151-4070-4a92-8d00-d7c832e4caf5","atomId":"4bcb8312-2f45-4f29-ab2d-fa20598c0a76","envId":"4c9d031e-408b-4903-a44e-5a4219e62b25","schedule":[],"retry":{"schedule":[],"maxRetry":5}}},` +
		`{"id":"3260ddbc-1675-4a18-9a91-ae57f3f1acaa","name":"test2","integrationPack":[{"integrationPackId":"2e659fc6-2202-4da5-9f88-ceda49303885","integrationPackInstanceId":"SW50ZWdyYXRpb25QYWNrSW5zdGFuY2UyNzk3Mg"}],` +
		`"processSchedules":{"id":"Q1BTNGJjYjgzMTItMmY0NS00ZjI5LWFiMmQtZmEyMDU5OGMwYTc2OjMyNjBkZGJjLTE2NzUtNGExOC05YTkxLWFlNTdmM2YxYWNhYQ","processId":"3260ddbc-1675-4a18-9a91-ae57f3f1acaa","atomId":"4bcb8312-2f45-4f29-ab2d-fa20598c0a76","envId":"4c9d031e-408b-4903-a44e-5a4219e62b25","schedule":[],"retry":{"schedule":[],"maxRetry":5}}}]}`
	if string(r.Data) != want || len(r.Errors) != 0 {
		t.Errorf("processes = %s %v\nwant %s", r.Data, r.Errors, want)
	}
	if got := strings.Join(e.restPaths(), ", "); got != "POST /Process/query, POST /ProcessSchedules/query, POST /EnvironmentAtomAttachment/query" {
		t.Errorf("REST calls = %s", got)
	}
	// Both processes in one schedules query.
	if b := string(e.sim.Requests()[1].Body); !strings.Contains(b, `"operator":"or"`) || !strings.Contains(b, simulator.DemoProcess2) {
		t.Errorf("schedules query = %s", b)
	}

	for _, tc := range []struct{ query, rest string }{
		{`query($id: ID!) { integrationPackInstanceProcesses(integrationPackInstanceId: $id) { id name } }`, "POST /Process/query"},
		{`query($id: ID) { integrationPackInstanceProcesses(integrationPackInstanceId: $id) { id processSchedules { retry { maxRetry } } } }`,
			"POST /Process/query, POST /ProcessSchedules/query"},
	} {
		e.sim.ResetRequests()
		r := e.post(t, tc.query, vars)
		if len(r.Errors) != 0 || !strings.Contains(string(r.Data), "3260ddbc") {
			t.Errorf("%s: %s", tc.query, r.Raw)
		}
		if got := strings.Join(e.restPaths(), ", "); got != tc.rest {
			t.Errorf("%s: REST calls = %s, want %s", tc.query, got, tc.rest)
		}
	}

	// Bad input, before any REST call.
	e.sim.ResetRequests()
	for _, tc := range []struct {
		vars map[string]any
		code string
	}{
		{map[string]any{"id": nil}, "BAD_USER_INPUT"},
		{map[string]any{"id": "70d36151-4070-4a92-8d00-d7c832e4caf5"}, "IPACK_INSTANCE_ID_INVALID"},
	} {
		if r := e.post(t, processesQuery, tc.vars); r.code() != tc.code || string(r.Data) != `{"integrationPackInstanceProcesses":null}` {
			t.Errorf("processes(%v) = %s, want %s", tc.vars, r.Raw, tc.code)
		}
	}
	if n := len(e.sim.Requests()); n != 0 {
		t.Errorf("bad input made %d REST calls", n)
	}
}

const historyFields = `{ executionId executionTime status executionType processName inboundDocumentCount inboundErrorDocumentCount outboundDocumentCount executionDuration message inboundDocumentSize outboundDocumentSize }`

func TestExecutionHistory(t *testing.T) {
	e := newEnv(t, envOptions{})
	want := `{"executionHistory":[{"executionId":"execution-73bca62e-7bf4-4c22-bcd9-26b3ec224f37-2023.04.23","executionTime":"2023-04-23T18:30:00Z","status":"ERROR","executionType":"exec_sched","processName":"PaginationIpack14 - Thu Apr 20 2023 -Process","inboundDocumentCount":1,"inboundErrorDocumentCount":1,"outboundDocumentCount":0,"executionDuration":["Long","5816"],"message":"No data produced from map 'mapTest', please check source profile and make sure it matches source data.","inboundDocumentSize":["Long","0"],"outboundDocumentSize":["Long","0"]}]}`
	// The status as the sample sends it (an enum value), as the syntax
	// does (a string), and in a variable.
	for _, q := range []string{
		`{ executionHistory(input: {processId: "dbb98f81-6914-43a2-b03f-594506940dd5", executionTime: "2016-01-31T15:32:00Z", status: ERROR}) ` + historyFields + ` }`,
		`{ executionHistory(input: {processId: "dbb98f81-6914-43a2-b03f-594506940dd5", executionTime: "2016-01-31T15:32:00Z", status: "ERROR"}) ` + historyFields + ` }`,
	} {
		e.sim.ResetRequests()
		if r := e.post(t, q, nil); string(r.Data) != want || len(r.Errors) != 0 {
			t.Errorf("%s\n= %s", q, r.Raw)
		}
		if got := strings.Join(e.restPaths(), ", "); got != "POST /ExecutionRecord/query" {
			t.Errorf("REST calls = %s", got)
		}
	}
	// 120 COMPLETE runs: two pages, all of them answered.
	e.sim.ResetRequests()
	r := e.post(t, `query($in: executionHistoryInput!) { executionHistory(input: $in) { executionId } }`,
		map[string]any{"in": map[string]any{"processId": "dbb98f81-6914-43a2-b03f-594506940dd5", "executionTime": "2023-01-01T00:00:00+01:00", "status": "COMPLETE"}})
	var got struct{ ExecutionHistory []json.RawMessage }
	if err := json.Unmarshal(r.Data, &got); err != nil || len(got.ExecutionHistory) != 120 || len(r.Errors) != 0 {
		t.Errorf("COMPLETE runs = %d, %s", len(got.ExecutionHistory), r.Errors)
	}
	if got := strings.Join(e.restPaths(), ", "); got != "POST /ExecutionRecord/query, POST /ExecutionRecord/queryMore" {
		t.Errorf("REST calls = %s", got)
	}
	// The time goes to REST in the vendor's format, in UTC.
	if b := string(e.sim.Requests()[0].Body); !strings.Contains(b, `"GREATER_THAN_OR_EQUAL","property":"executionTime","argument":["2022-12-31T23:00:00Z"]`) {
		t.Errorf("query = %s", b)
	}

	e.sim.ResetRequests()
	for _, in := range []string{
		`{processId: "p", executionTime: "yesterday", status: ERROR}`,
		`{processId: "p", executionTime: "2016-01-31T15:32:00Z", status: FAILED}`,
		`{processId: "", executionTime: "2016-01-31T15:32:00Z", status: ERROR}`,
	} {
		if r := e.post(t, `{ executionHistory(input: `+in+`) { executionId } }`, nil); r.code() != "BAD_USER_INPUT" {
			t.Errorf("executionHistory(%s) = %s, want BAD_USER_INPUT", in, r.Raw)
		}
	}
	if r := e.post(t, `query($in: executionHistoryInput) { executionHistory(input: $in) { executionId } }`, nil); r.code() != "BAD_USER_INPUT" {
		t.Errorf("executionHistory(null) = %s, want BAD_USER_INPUT", r.Raw)
	}
	if n := len(e.sim.Requests()); n != 0 {
		t.Errorf("bad input made %d REST calls", n)
	}
}

const executeMutation = `mutation { processExecute(input: {atomId: "8fa55714-8e5e-45f1-b7e1-f57f2000f464", processId: "6e79aead-40d4-422b-9037-4370a86cc2f1"}) }`

// loseFirst carries the first REST call matching method and path suffix
// out, then drops the connection without an answer: the caller cannot know
// it happened.
func loseFirst(method, suffix string) func(http.Handler) http.Handler {
	var lost atomic.Bool
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == method && strings.HasSuffix(r.URL.Path, suffix) && lost.CompareAndSwap(false, true) {
				next.ServeHTTP(httptest.NewRecorder(), r)
				panic(http.ErrAbortHandler)
			}
			next.ServeHTTP(w, r)
		})
	}
}

func TestProcessExecute(t *testing.T) {
	e := newEnv(t, envOptions{})
	r := e.post(t, executeMutation, nil)
	want := `{"processExecute":"{\"@type\":\"ExecutionRequest\",\"processId\":\"6e79aead-40d4-422b-9037-4370a86cc2f1\",\"atomId\":\"8fa55714-8e5e-45f1-b7e1-f57f2000f464\",\"requestId\":\"executionrecord-2802cb0d-8237-4176-85cd-41abe669cdfc\",\"recordUrl\":\"https://platform.boomi.com/api/rest/v1/demo-account/ExecutionRecord/async/executionrecord-2802cb0d-8237-4176-85cd-41abe669cdfc\"}"}`
	if string(r.Data) != want || len(r.Errors) != 0 {
		t.Errorf("processExecute = %s\nwant %s", r.Raw, want)
	}
	if r := e.post(t, `mutation($in: ProcessExecuteInput) { processExecute(input: $in) }`, nil); r.code() != "BAD_USER_INPUT" {
		t.Errorf("processExecute(null) = %s", r.Raw)
	}
	if r := e.post(t, `mutation { processExecute(input: {atomId: "", processId: "p"}) }`, nil); r.code() != "BAD_USER_INPUT" {
		t.Errorf("processExecute(no atom) = %s", r.Raw)
	}
}

// A run whose answer is lost is not requested again, and the client is
// told the outcome is unknown. So is one answered 503, even with
// Retry-After: the vendor's rate-limit refusal cannot be told from a
// proxy's 503 after forwarding (docs/idempotency.md), so it does not prove
// that nothing ran.
func TestProcessExecuteFaults(t *testing.T) {
	retry := "  retry: {waitMin: 1ms, waitMax: 5ms, retryAfterMax: 1ms}\n"
	e := newEnv(t, envOptions{wrap: loseFirst("POST", "/ExecutionRequest"), platformYAML: retry})
	r := e.post(t, executeMutation, nil)
	runs := len(e.sim.Executions(simulator.DemoAccountID))
	if string(r.Data) != `{"processExecute":null}` || r.code() != "PLATFORM_CALL_ERROR" || r.Errors[0].Extensions["outcome"] != "unknown" ||
		!strings.Contains(r.Errors[0].Message, "may have been started") {
		t.Errorf("lost answer: %s", r.Raw)
	}
	if creates := len(e.restCalls("POST", "/ExecutionRequest")); creates != 1 || runs != 1 {
		t.Errorf("lost answer: %d CREATEs sent, %d runs; want 1 and 1", creates, runs)
	}

	e = newEnv(t, envOptions{wrap: failFirst(1, 503, "1"), platformYAML: retry})
	r = e.post(t, executeMutation, nil)
	if len(r.Errors) != 1 || r.Errors[0].Extensions["outcome"] != "unknown" || r.code() != "RATE_LIMITED" || r.Errors[0].Extensions["retryAfter"] != float64(1) {
		t.Errorf("503: %s; want RATE_LIMITED of unknown outcome, with retryAfter", r.Raw)
	}
	if creates := len(e.restCalls("POST", "/ExecutionRequest")); creates != 0 {
		t.Errorf("503: %d CREATEs reached the vendor after it; want none (not sent again)", creates)
	}
}

const scheduleID = "Q1BTOGZhNTU3MTQtOGU1ZS00NWYxLWI3ZTEtZjU3ZjIwMDBmNDY0OjZlNzlhZWFkLTQwZDQtNDIyYi05MDM3LTQzNzBhODZjYzJmMQ"

func TestProcessSchedulesUpdate(t *testing.T) {
	payload := `{"Schedule":[{"minutes":"0-59/15","hours":"8-18","daysOfWeek":"2,3,4,5,6","daysOfMonth":"","months":"","years":""}],"Retry":{"Schedule":[{"minutes":"0-59/15","hours":"8-18","daysOfWeek":"2,3,4,5,6","daysOfMonth":"","months":"","years":""}],"maxRetry":3},"processId":"6e79aead-40d4-422b-9037-4370a86cc2f1","atomId":"8fa55714-8e5e-45f1-b7e1-f57f2000f464","id":"` + scheduleID + `"}`
	const m = `mutation($s: String!, $id: String!) { processSchedulesUpdate(processSchedules: $s, processSchedulesId: $id) { atomId processId envId atomIdprocessIdschedule { minutes } retry { schedule { hours } maxRetry } } }`
	want := `{"processSchedulesUpdate":{"atomId":"8fa55714-8e5e-45f1-b7e1-f57f2000f464","processId":"6e79aead-40d4-422b-9037-4370a86cc2f1","envId":null,"atomIdprocessIdschedule":[{"minutes":"0-59/15"}],"retry":{"schedule":[{"hours":"8-18"}],"maxRetry":3}}}`
	retry := "  retry: {waitMin: 1ms, waitMax: 5ms, retryAfterMax: 1ms}\n"
	for _, tc := range []struct {
		name    string
		wrap    func(http.Handler) http.Handler
		updates int
	}{
		{"clean", nil, 1},
		{"503 with Retry-After", failFirst(1, 503, "1"), 1}, // answered before the simulator
		// An UPDATE may be repeated: a lost answer is retried.
		{"lost answer", loseFirst("POST", "/update"), 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOptions{wrap: tc.wrap, platformYAML: retry})
			r := e.post(t, m, map[string]any{"s": payload, "id": scheduleID})
			if string(r.Data) != want || len(r.Errors) != 0 {
				t.Errorf("update = %s\nwant %s", r.Raw, want)
			}
			ups := e.restCalls("POST", "/ProcessSchedules/"+scheduleID+"/update")
			if len(ups) != tc.updates || string(ups[0].Body) != payload {
				t.Errorf("UPDATEs the simulator saw = %d, want %d with the payload", len(ups), tc.updates)
			}
			// envId was selected: one query for the Atom's environment.
			if n := len(e.restCalls("POST", "/EnvironmentAtomAttachment/query")); n != 1 {
				t.Errorf("EnvironmentAtomAttachment queries = %d, want 1", n)
			}
		})
	}

	e := newEnv(t, envOptions{})
	for _, tc := range []struct{ s, id, code string }{
		{`not json`, scheduleID, "BAD_USER_INPUT"},
		{`["a list"]`, scheduleID, "BAD_USER_INPUT"},
		{payload, " ", "BAD_USER_INPUT"},
		{payload, "Q1BTbm9uZQ", "BAD_USER_INPUT"}, // REST 400: does not exist
		{`{"Retry":{"Schedule":[],"maxRetry":9}}`, scheduleID, "BAD_USER_INPUT"},
	} {
		if r := e.post(t, m, map[string]any{"s": tc.s, "id": tc.id}); r.code() != tc.code {
			t.Errorf("update(%.20s, %s) = %s, want %s", tc.s, tc.id, r.Raw, tc.code)
		}
	}
}

// 150 processes, each scheduled: the processes page past 100 rows, their
// schedules are read by 100 processes a query (the filter names each; see
// TestOrFiltersAreSplit), their one Atom's environment in one query: five
// REST calls, not one per process.
func TestInstanceProcessesPaging(t *testing.T) {
	sim := simulator.NewDemo(simulator.Options{RecordRequests: true, RateLimit: -1})
	inst := sim.AddInstance(simulator.DemoAccountID, 5000, simulator.DemoSpacesPackID, "Many")
	ipack := []simulator.ProcessIntegrationPack{{IntegrationPackID: simulator.DemoSpacesPackID, IntegrationPackInstanceID: inst}}
	for i := range 150 {
		p := fmt.Sprintf("00000000-0000-4000-9000-%012d", i)
		sim.AddProcess(simulator.DemoAccountID, simulator.Process{ID: p, Name: "p", IntegrationPack: ipack})
		sim.AddProcessSchedules(simulator.DemoAccountID, simulator.DemoMappersAtom, p, nil, &simulator.ScheduleRetry{MaxRetry: 1})
	}
	e := newEnv(t, envOptions{sim: sim})
	sim.ResetRequests()
	r := e.post(t, processesQuery, map[string]any{"id": inst})
	var got struct {
		IntegrationPackInstanceProcesses []struct {
			ProcessSchedules *struct{ EnvID string }
		}
	}
	if err := json.Unmarshal(r.Data, &got); err != nil || len(r.Errors) != 0 || len(got.IntegrationPackInstanceProcesses) != 150 {
		t.Fatalf("150 processes: %d, %s", len(got.IntegrationPackInstanceProcesses), r.Errors)
	}
	for i, p := range got.IntegrationPackInstanceProcesses {
		if p.ProcessSchedules == nil || p.ProcessSchedules.EnvID != simulator.DemoMappersEnvironment {
			t.Fatalf("process %d: schedules %+v", i, p.ProcessSchedules)
		}
	}
	want := "POST /Process/query, POST /Process/queryMore, POST /ProcessSchedules/query, POST /ProcessSchedules/query, POST /EnvironmentAtomAttachment/query"
	if got := strings.Join(e.restPaths(), ", "); got != want {
		t.Errorf("REST calls = %s\nwant %s", got, want)
	}
}
