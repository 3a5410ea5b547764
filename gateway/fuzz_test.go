package gateway_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Per-request cost bounds of FuzzGraphQLHandler. The worst documents the
// limits accept allocate under 6 MB and take under 30 ms of CPU in the
// handler (BenchmarkWorstAcceptedQuery); issue 13's validation bomb
// allocated 1 GB in 9 s. The allocation ceiling is the real check (it does
// not depend on the machine's load); the time bound is 150 times the worst
// accepted cost, so that only a hang or a return of the bomb's class trips
// it, even on a loaded machine.
const (
	fuzzMaxBytes    = 32 << 20
	fuzzMaxDuration = 5 * time.Second
)

// FuzzGraphQLHandler sends arbitrary bodies to /graphql and checks that
// every answer is a well-formed GraphQL response: JSON, no 500, and an
// extensions.code on every error; and that no request costs more than
// fuzzMaxBytes of allocation (all of the process's: client, gateway and
// simulator) or fuzzMaxDuration.
func FuzzGraphQLHandler(f *testing.F) {
	for _, s := range []string{
		`{"query":"mutation { integrationPackInstanceEnvironmentAttachmentAttach(input: {integrationPackInstanceId: \"SW50ZWdyYXRpb25QYWNrSW5zdGFuY2UzNDQ4Ng\", environmentIds: [\"86b413a8-1ebf-4c95-bc5b-139573b77910\"]}) { id } }"}`,
		`{"query":"mutation { integrationPackInstanceEnvironmentAttachmentUnattach(id: \"x\") }"}`,
		`{"query":"query($i: String!) { integrationPackEnvironmentAttachments(ipackInstanceId: $i) { id } }","variables":{"i":5}}`,
		`{"query":"{ __schema { types { name } } }"}`,
		`{"query":"{ ...F } fragment F on Query { ...F }"}`,
		`{"query":"mutation($e: [ID!]!) { integrationPackInstanceEnvironmentAttachmentAttach(input: {integrationPackInstanceId: \"SW50ZWdyYXRpb25QYWNrSW5zdGFuY2UzNDQ4Ng\", environmentIds: $e}) { __typename } }","variables":{"e":["", "x"]}}`,
		`{"query":"{ a`, `[]`, `null`, `{"query":null}`, `{"query":"{ __typename }","operationName":"nope"}`,
		`{"query":"{ µ: __typename a0: __typename a1: environments { id } }"}`,
		`{"query":"{ s(x: \"\"\"\\\"\"\" ) }"}`,
		`{"query":"{ __typename }","operationName":"` + strings.Repeat("N", 300) + `"}`,
		`{"query":"{ __typename }","variables":{"a":[[[[[{}]]]]]},"extensions":{"x":[1,2,{}]}}`,
	} {
		f.Add([]byte(s))
	}
	// Issue 13's validation bomb (here 3,000 fields, within the query
	// length) and a fragment fan-out.
	f.Add([]byte(`{"query":"{ integrationPackInstances { ` + strings.Repeat("id ", 3000) + `} }"}`))
	fan := "query { ...F0 }"
	for i := range 16 {
		fan += fmt.Sprintf(" fragment F%d on Query { ...F%d ...F%d }", i, i+1, i+1)
	}
	f.Add([]byte(`{"query":"` + fan + ` fragment F16 on Query { __typename }"}`))
	e := newEnv(f, envOptions{})
	f.Fuzz(func(t *testing.T, body []byte) {
		req, _ := http.NewRequest(http.MethodPost, e.url+"/graphql", bytes.NewReader(body))
		req.Header["SPACE_GUID"] = []string{testSpace}
		req.Header.Set("Authorization", "Bearer "+testToken)
		req.Header.Set("Content-Type", "application/json")
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("POST: %v", err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		took := time.Since(start)
		runtime.ReadMemStats(&after)
		if n := after.TotalAlloc - before.TotalAlloc; n > fuzzMaxBytes || took > fuzzMaxDuration {
			t.Fatalf("body %.200q: %d bytes allocated in %v; want at most %d in %v", body, n, took, fuzzMaxBytes, fuzzMaxDuration)
		}
		if res.StatusCode >= 500 {
			t.Fatalf("body %q: status %d %s", body, res.StatusCode, raw)
		}
		var r struct {
			Data   json.RawMessage `json:"data"`
			Errors []struct {
				Message    string         `json:"message"`
				Extensions map[string]any `json:"extensions"`
			} `json:"errors"`
		}
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatalf("body %q: answer is not JSON: %s", body, raw)
		}
		if r.Data == nil && len(r.Errors) == 0 {
			t.Fatalf("body %q: neither data nor errors: %s", body, raw)
		}
		for _, e := range r.Errors {
			if c, _ := e.Extensions["code"].(string); c == "" || e.Message == "" {
				t.Fatalf("body %q: error without code or message: %s", body, raw)
			}
		}
	})
}
