package gateway_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// repeat joins n copies of f(i).
func repeat(n int, f func(i int) string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = f(i)
	}
	return strings.Join(parts, " ")
}

// fanOut is a document whose operation op spreads fragment F0 (on type
// on), which spreads F1 twice, which spreads F2 twice, and so on: written
// in a few hundred bytes, it expands to 2^levels copies of leaf.
func fanOut(op, on string, levels int, leaf string) string {
	var b strings.Builder
	b.WriteString(op)
	for i := range levels {
		fmt.Fprintf(&b, " fragment F%d on %s { ...F%d ...F%d }", i, on, i+1, i+1)
	}
	fmt.Fprintf(&b, " fragment F%d on %s { %s }", levels, on, leaf)
	return b.String()
}

// TestQueryCostRefused: documents that cost far more to validate or
// execute than they take to send are refused before execution, with no
// REST call (issue 13, items 1 and 4).
func TestQueryCostRefused(t *testing.T) {
	e := newEnv(t, envOptions{})
	tests := []struct {
		name, query, code string
	}{
		// Item 1: one root field, no alias, the same field 2,000 times:
		// graphql-go's overlap validation compares every pair (2 million).
		{"validation bomb", `{ integrationPackInstances { ` + repeat(2000, func(int) string { return "id" }) + ` } }`, "GRAPHQL_VALIDATION_FAILED"},
		// Item 4: a name gqlparser refuses and graphql-go accepts hid the
		// document from every limit: 41 root fields ran.
		{"non-ASCII alias hides root fields", `{ µ: __typename ` + repeat(40, func(i int) string { return fmt.Sprintf("a%d: __typename", i) }) + ` }`, "GRAPHQL_PARSE_FAILED"},
		{"non-ASCII alias hides listing aliases", `{ µ: __typename ` + repeat(12, func(i int) string { return fmt.Sprintf("a%d: environments { id }", i) }) + ` }`, "GRAPHQL_PARSE_FAILED"},
		{"non-ASCII fragment name", `{ ...é } fragment é on Query { environments { id } }`, "GRAPHQL_PARSE_FAILED"},
		// A fragment spread 2^12 times, each copy aliased: one alias
		// written, 4,096 executed.
		{"fragment fan-out of aliases", fanOut("query { ...F0 }", "Query", 12, "a: environments { id }"), "GRAPHQL_VALIDATION_FAILED"},
		// The same fan-out of a plain field: graphql-go merges the copies,
		// but validates and expands each.
		{"fragment fan-out", fanOut("query { environments { ...F0 } }", "Environment", 12, "id"), "GRAPHQL_VALIDATION_FAILED"},
		// Two operations: the selection bound is on the document, which
		// graphql-go validates whole.
		{"many operations", repeat(300, func(i int) string {
			return fmt.Sprintf("query Q%d { ...F }", i)
		}) + ` fragment F on Query { environments { id name classification } }`, "GRAPHQL_VALIDATION_FAILED"},
		{"fragment cycle", `{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }`, "GRAPHQL_VALIDATION_FAILED"},
		{"escaped block-string quote", `{ integrationPackEnvironmentAttachments(ipackInstanceId: """\""" ) { id } }`, "GRAPHQL_PARSE_FAILED"},
		{"nested input 100 deep", `{ integrationPackEnvironmentAttachments(ipackInstanceId: "x", environmentIds: ` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `) { id } }`, "GRAPHQL_PARSE_FAILED"},
		{"depth through fragments", `{ __schema { types { ...T } } } fragment T on __Type { fields { type { ...U } } } fragment U on __Type { fields { type { fields { type { fields { type { fields { type { fields { type { fields { type { name } } } } } } } } } } } } }`, "GRAPHQL_VALIDATION_FAILED"},
	}
	for _, tt := range tests {
		before := len(e.sim.Requests())
		r := e.post(t, tt.query, nil)
		if r.code() != tt.code || r.Data != nil {
			t.Errorf("%s: %d %.300s, want code %s before execution", tt.name, r.Status, r.Raw, tt.code)
		}
		if n := len(e.sim.Requests()) - before; n != 0 {
			t.Errorf("%s: %d REST calls, want none", tt.name, n)
		}
	}
}

// TestGETMutationHiddenByName: a GET must never carry a mutation, even one
// written so that the measuring parser fails on it (issue 13, item 4).
func TestGETMutationHiddenByName(t *testing.T) {
	e := newEnv(t, envOptions{})
	for _, q := range []string{
		`mutation { µ: __typename ` + strings.TrimPrefix(attachQuery(seedInst, seedEnvB), "mutation { "),
		`mutation é { ` + strings.TrimPrefix(attachQuery(seedInst, seedEnvB), "mutation { "),
	} {
		req, _ := http.NewRequest(http.MethodGet, e.url+"/graphql?"+url.Values{"query": {q}}.Encode(), nil)
		req.Header["SPACE_GUID"] = []string{testSpace}
		req.Header.Set("Authorization", "Bearer "+testToken)
		req.Header.Set("Accept", "application/json")
		r := send(t, req)
		if r.Data != nil || r.code() != "GRAPHQL_PARSE_FAILED" {
			t.Errorf("GET %.60q: %d %s, want GRAPHQL_PARSE_FAILED", q, r.Status, r.Raw)
		}
		if n := len(e.restCalls("POST", "/IntegrationPackEnvironmentAttachment")); n != 0 {
			t.Fatalf("GET %.60q: %d attachments created, want none", q, n)
		}
	}
}

// TestQueryCostAccepted: what clients send stays within the limits:
// GraphiQL's introspection query (the largest a client sends), the
// vendor's samples, and documents just inside each bound.
func TestQueryCostAccepted(t *testing.T) {
	e := newEnv(t, envOptions{})
	introspection, err := readTestdata("introspection.graphql")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, query string }{
		{"GraphiQL's introspection query", introspection},
		{"attach sample", attachQuery(seedInst, seedEnvB)},
		{"instances sample", `query ipackInstance { integrationPackInstances { id integrationPackOverrideName integrationPack { id name description installationType } } }`},
		{"environments sample", `query env { environments { id name classification integrationPackEnvironmentAttachment { id environmentId integrationPackInstanceId } } }`},
		{"ten root fields through fragments", `{ ...A ...B } fragment A on Query { ` + repeat(5, func(i int) string { return fmt.Sprintf("a%d: __typename", i) }) + ` } fragment B on Query { ` + repeat(5, func(i int) string { return fmt.Sprintf("b%d: __typename", i) }) + ` }`},
		{"fan-out within the bound", fanOut("{ environments { ...F0 } }", "Environment", 8, "id")}, // 1 + 2^9 - 1 spreads + 256 fields = 768
		{"non-ASCII in strings and comments", "# ünïcödé comment\n{ integrationPackEnvironmentAttachments(ipackInstanceId: \"" + seedInst + "\", environmentIds: [\"é\"]) { id } }"},
	}
	for _, tt := range tests {
		r := e.post(t, tt.query, nil)
		for _, er := range r.Errors {
			if c := er.Extensions["code"]; c == "GRAPHQL_VALIDATION_FAILED" || c == "GRAPHQL_PARSE_FAILED" {
				t.Errorf("%s: %.400s", tt.name, r.Raw)
				break
			}
		}
	}
}

// TestOperationNameBounded: an absurd operationName is refused, and no
// client-chosen name reaches a log line or an answer whole (issue 13,
// item 7).
func TestOperationNameBounded(t *testing.T) {
	e := newEnv(t, envOptions{})
	long := strings.Repeat("N", 200<<10)
	body, _ := json.Marshal(map[string]any{"query": "{ __typename }", "operationName": long})
	req, _ := http.NewRequest(http.MethodPost, e.url+"/graphql", bytes.NewReader(body))
	req.Header["SPACE_GUID"] = []string{testSpace}
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", "application/json")
	r := send(t, req)
	if r.Status != http.StatusBadRequest || r.code() != "BAD_REQUEST" || len(r.Raw) > 1024 {
		t.Errorf("200 KiB operationName: %d %.300s (%d bytes), want 400 BAD_REQUEST in under 1 KiB", r.Status, r.Raw, len(r.Raw))
	}

	// Names the document itself holds: the operation's, or its root
	// fields' when it is anonymous.
	name := strings.Repeat("Q", 20000)
	for _, q := range []string{
		"query " + name + " { __typename }",
		"{ " + name + " }",
		"{ " + repeat(2000, func(i int) string { return fmt.Sprintf("x%d", i) }) + " }",
	} {
		r := e.post(t, q, nil)
		if len(r.Raw) > 16<<10 {
			t.Errorf("%.40s…: answer of %d bytes, want under 16 KiB: %.300s", q, len(r.Raw), r.Raw)
		}
	}
	for _, line := range strings.Split(e.logs.String(), "\n") {
		if len(line) > 2048 {
			t.Errorf("log line of %d bytes: %.300s", len(line), line)
		}
	}
}

// TestVariablesBounded: variables are bounded in size before they are
// decoded (decoding JSON into maps costs ~50 times its length).
func TestVariablesBounded(t *testing.T) {
	e := newEnv(t, envOptions{})
	vars := map[string]any{"a": make([]map[string]any, 40000)} // 40,000 "{}": 200 KB
	r := e.post(t, `{ __typename }`, vars)
	if r.Status != http.StatusRequestEntityTooLarge || r.code() != "PAYLOAD_TOO_LARGE" {
		t.Errorf("200 KB of variables: %d %.300s, want 413", r.Status, r.Raw)
	}
}

func readTestdata(name string) (string, error) {
	b, err := os.ReadFile(filepath.Join("testdata", name))
	return string(b), err
}

// TestRefusedRequestsLogBounded: 300 refused requests (bad tokens, then
// the address's failure budget) write at most the throttle's burst of
// request lines, plus its refill over the test's own duration.
func TestRefusedRequestsLogBounded(t *testing.T) {
	e := newEnv(t, envOptions{})
	start := time.Now()
	for range 300 {
		e.do(t, http.MethodPost, "{ __typename }", nil, map[string]string{
			"SPACE_GUID": testSpace, "Authorization": "Bearer wrong", "Content-Type": "application/json",
		})
	}
	// burst 100, then 10 a second; one "request" line per request.
	limit := 100 + int(10*time.Since(start).Seconds()) + 1
	if n := strings.Count(e.logs.String(), `"msg":"request",`); n > limit {
		t.Errorf("%d request lines for 300 refused requests; want at most %d", n, limit)
	}
}
