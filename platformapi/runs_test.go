package platformapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipack-gateway/ipack-gateway/platformapi"
	"github.com/ipack-gateway/ipack-gateway/platformapi/simulator"
)

func TestProcessSchedulesCalls(t *testing.T) {
	c, sim, acct := newDemoClient(t, platformapi.Options{})
	ctx := context.Background()

	f := platformapi.Or(platformapi.Equals("processId", simulator.DemoProcessTest1), platformapi.Equals("processId", simulator.DemoProcessTest2))
	got, err := c.QueryProcessSchedules(ctx, acct, &f)
	if err != nil || len(got) != 2 {
		t.Fatalf("QueryProcessSchedules = %+v, %v; want 2", got, err)
	}
	want := platformapi.ProcessSchedules{
		// The documented id of the sample: CPS<atomId>:<processId>.
		ID:        "Q1BTNGJjYjgzMTItMmY0NS00ZjI5LWFiMmQtZmEyMDU5OGMwYTc2OjcwZDM2MTUxLTQwNzAtNGE5Mi04ZDAwLWQ3YzgzMmU0Y2FmNQ",
		ProcessID: simulator.DemoProcessTest1, AtomID: simulator.DemoScheduleAtomID,
	}
	if g := got[0]; g.ID != want.ID || g.ProcessID != want.ProcessID || g.AtomID != want.AtomID || len(g.Schedule) != 0 || g.Retry == nil || g.Retry.MaxRetry != 5 {
		t.Errorf("QueryProcessSchedules[0] = %+v, want %+v with retry 5", g, want)
	}
	r := sim.Requests()[0]
	if r.Method != "POST" || r.Path != "/demo-account/ProcessSchedules/query" ||
		string(r.Body) != `{"QueryFilter":{"expression":{"operator":"or","nestedExpression":[{"operator":"EQUALS","property":"processId","argument":["`+simulator.DemoProcessTest1+`"]},{"operator":"EQUALS","property":"processId","argument":["`+simulator.DemoProcessTest2+`"]}]}}}` {
		t.Errorf("query request = %s %s %s", r.Method, r.Path, r.Body)
	}

	sim.ResetRequests()
	id := simulator.ScheduleID(simulator.DemoUpdateAtomID, simulator.DemoUpdateProcessID)
	body := `{"Schedule":[{"minutes":"0-59/15","hours":"8-18","daysOfWeek":"2,3,4,5,6","daysOfMonth":"","months":"","years":""}],"Retry":{"Schedule":[],"maxRetry":3},"processId":"` +
		simulator.DemoUpdateProcessID + `","atomId":"` + simulator.DemoUpdateAtomID + `","id":"` + id + `"}`
	upd, err := c.UpdateProcessSchedules(ctx, acct, id, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(upd.Schedule) != 1 || upd.Schedule[0].Minutes != "0-59/15" || upd.Retry.MaxRetry != 3 || upd.ID != id {
		t.Errorf("UpdateProcessSchedules = %+v", upd)
	}
	r = sim.Requests()[0]
	if r.Method != "POST" || r.Path != "/demo-account/ProcessSchedules/"+id+"/update" || string(r.Body) != body || r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("update request = %s %s %q %s", r.Method, r.Path, r.Header.Get("Content-Type"), r.Body)
	}
	if stored, _ := sim.ProcessSchedulesOf(simulator.DemoAccountID, id); len(stored.Schedule) != 1 {
		t.Errorf("simulator after update = %+v", stored)
	}

	_, err = c.UpdateProcessSchedules(ctx, acct, "Q1BTbm9uZQ", []byte(`{}`))
	var pe *platformapi.Error
	if !errors.As(err, &pe) || pe.StatusCode != 400 || pe.Object != "ProcessSchedules" {
		t.Errorf("UpdateProcessSchedules(unknown) = %v, want a 400 of ProcessSchedules", err)
	}
}

// The history sample's process has 121 runs: two pages, the second by
// queryMore. Durations and sizes arrive as the vendor's ["Long", n].
func TestExecutionRecordPaging(t *testing.T) {
	c, sim, acct := newDemoClient(t, platformapi.Options{})
	f := platformapi.And(platformapi.Equals("processId", simulator.DemoHistoryProcessID), platformapi.AtLeast("executionTime", "2016-01-31T15:32:00Z"))
	got, err := c.QueryExecutionRecords(context.Background(), acct, &f)
	if err != nil || len(got) != 121 {
		t.Fatalf("QueryExecutionRecords = %d, %v; want 121", len(got), err)
	}
	reqs := sim.Requests()
	if len(reqs) != 2 || reqs[0].Path != "/demo-account/ExecutionRecord/query" || reqs[1].Path != "/demo-account/ExecutionRecord/queryMore" ||
		!strings.Contains(string(reqs[0].Body), `{"operator":"GREATER_THAN_OR_EQUAL","property":"executionTime","argument":["2016-01-31T15:32:00Z"]}`) {
		t.Errorf("requests = %d, first %s %s", len(reqs), reqs[0].Path, reqs[0].Body)
	}
	r := got[0]
	if r.ExecutionID != simulator.DemoExecutionRecordID || r.Status != "ERROR" || r.ExecutionDuration != (platformapi.Long{Value: 5816, Valid: true}) ||
		r.InboundDocumentSize != (platformapi.Long{Value: 0, Valid: true}) || r.InboundDocumentCount == nil || *r.InboundDocumentCount != 1 {
		t.Errorf("first record = %+v", r)
	}
}

func TestLongForms(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    platformapi.Long
		wantErr bool
	}{
		{`["Long", 5816]`, platformapi.Long{Value: 5816, Valid: true}, false},
		{`["Long","5816"]`, platformapi.Long{Value: 5816, Valid: true}, false},
		{`5816`, platformapi.Long{Value: 5816, Valid: true}, false},
		{`null`, platformapi.Long{}, false},
		{`["Long"]`, platformapi.Long{}, true},
		{`"soon"`, platformapi.Long{}, true},
	} {
		var got platformapi.Long
		err := json.Unmarshal([]byte(tc.in), &got)
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("Unmarshal(%s) = %+v, %v; want %+v, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestExecuteProcess(t *testing.T) {
	c, sim, acct := newDemoClient(t, platformapi.Options{})
	got, err := c.ExecuteProcess(context.Background(), acct, "8fa55714-8e5e-45f1-xxxx-f57f2000f464", "6e79aead-40d4-xxxx-9037-4370a86cc2f1")
	if err != nil {
		t.Fatal(err)
	}
	r := sim.Requests()[0]
	if r.Method != "POST" || r.Path != "/demo-account/ExecutionRequest" ||
		string(r.Body) != `{"atomId":"8fa55714-8e5e-45f1-xxxx-f57f2000f464","processId":"6e79aead-40d4-xxxx-9037-4370a86cc2f1"}` {
		t.Errorf("request = %s %s %s", r.Method, r.Path, r.Body)
	}
	wantRaw := `{"@type":"ExecutionRequest","processId":"6e79aead-40d4-xxxx-9037-4370a86cc2f1","atomId":"8fa55714-8e5e-45f1-xxxx-f57f2000f464",` +
		`"requestId":"executionrecord-2802cb0d-8237-4176-85cd-41abe669cdfc","recordUrl":"https://platform.boomi.com/api/rest/v1/demo-account/ExecutionRecord/async/executionrecord-2802cb0d-8237-4176-85cd-41abe669cdfc"}`
	if string(got.Raw) != wantRaw || got.RequestID != simulator.DemoExecutionRequest {
		t.Errorf("ExecuteProcess = %+v\nraw %s\nwant %s", got, got.Raw, wantRaw)
	}
	if n := len(sim.Executions(simulator.DemoAccountID)); n != 1 {
		t.Errorf("runs requested = %d, want 1", n)
	}
}

// faulty serves the demo simulator behind a first answer that fails:
// "503" answers 503 with Retry-After: 1 without acting; "lost" carries the
// request out and drops the connection before answering.
func faulty(t *testing.T, fault string) (*platformapi.Client, *simulator.Server, *atomic.Int32) {
	t.Helper()
	sim := simulator.NewDemo(simulator.Options{RateLimit: -1})
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) > 1 {
			sim.ServeHTTP(w, r)
			return
		}
		switch fault {
		case "503":
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
		case "lost":
			sim.ServeHTTP(httptest.NewRecorder(), r)
			panic(http.ErrAbortHandler) // net/http drops the connection
		}
	}))
	t.Cleanup(srv.Close)
	// Retry-After is capped at 1ms, so the retry comes at once.
	c, err := platformapi.New(platformapi.Options{BaseURL: srv.URL, Retry: platformapi.RetryPolicy{WaitMin: time.Millisecond, WaitMax: 2 * time.Millisecond, RetryAfterMax: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	return c, sim, &n
}

// Every new object's calls go through the shared retry policy: a 503 with
// Retry-After and a lost answer are retried for queries and the
// (idempotent) schedule UPDATE, and never for a run's CREATE, which would
// run the process twice: neither proves the run was not requested.
func TestRunObjectsFaults(t *testing.T) {
	acct := platformapi.Account{ID: simulator.DemoAccountID, Credentials: platformapi.Basic(simulator.DemoUsername, simulator.DemoPassword)}
	updateID := simulator.ScheduleID(simulator.DemoUpdateAtomID, simulator.DemoUpdateProcessID)
	calls := []struct {
		name string
		call func(*platformapi.Client) error
		once bool
	}{
		{"ProcessSchedules QUERY", func(c *platformapi.Client) error {
			_, err := c.QueryProcessSchedules(context.Background(), acct, nil)
			return err
		}, false},
		{"ProcessSchedules UPDATE", func(c *platformapi.Client) error {
			_, err := c.UpdateProcessSchedules(context.Background(), acct, updateID, []byte(`{"Schedule":[],"Retry":{"Schedule":[],"maxRetry":2}}`))
			return err
		}, false},
		{"ExecutionRecord QUERY", func(c *platformapi.Client) error {
			_, err := c.QueryExecutionRecords(context.Background(), acct, nil)
			return err
		}, false},
		{"ExecutionRequest CREATE", func(c *platformapi.Client) error {
			_, err := c.ExecuteProcess(context.Background(), acct, simulator.DemoUpdateAtomID, simulator.DemoUpdateProcessID)
			return err
		}, true},
	}
	for _, call := range calls {
		for _, fault := range []string{"503", "lost"} {
			t.Run(call.name+"/"+fault, func(t *testing.T) {
				c, sim, n := faulty(t, fault)
				err := call.call(c)
				runs := len(sim.Executions(simulator.DemoAccountID))
				if call.once {
					// Sent once, reported as unknown: carried out once when
					// the answer was lost, not at all when a 503 came
					// first (which the gateway cannot know).
					wantRuns := map[string]int{"lost": 1, "503": 0}[fault]
					var pe *platformapi.Error
					if !errors.As(err, &pe) || !pe.Ambiguous || n.Load() != 1 || runs != wantRuns {
						t.Errorf("err %v, %d requests, %d runs; want an ambiguous error after 1 request and %d runs", err, n.Load(), runs, wantRuns)
					}
					return
				}
				if err != nil || n.Load() < 2 {
					t.Errorf("err %v after %d requests; want success after a retry", err, n.Load())
				}
			})
		}
	}
}

// ProcessSchedules pages past 100 rows too.
func TestScheduleQueriesPaging(t *testing.T) {
	c, sim, acct := newDemoClient(t, platformapi.Options{})
	for i := range 150 {
		sim.AddProcessSchedules(simulator.DemoAccountID, "atom-many", fmt.Sprintf("process-%03d", i), nil, nil)
	}
	f := platformapi.Equals("atomId", "atom-many")
	sim.ResetRequests()
	if got, err := c.QueryProcessSchedules(context.Background(), acct, &f); err != nil || len(got) != 150 || got[149].ProcessID != "process-149" {
		t.Errorf("QueryProcessSchedules = %d, %v; want 150", len(got), err)
	}
	var paths []string
	for _, r := range sim.Requests() {
		paths = append(paths, strings.TrimPrefix(r.Path, "/demo-account/"))
	}
	if got := strings.Join(paths, " "); got != "ProcessSchedules/query ProcessSchedules/queryMore" {
		t.Errorf("requests = %s", got)
	}
}
