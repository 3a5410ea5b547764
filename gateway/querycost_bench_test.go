package gateway_test

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/ipack-gateway/ipack-gateway/config"
	"github.com/ipack-gateway/ipack-gateway/gateway"
)

// costShapes are documents built to cost graphql-go the most work per byte
// within the default limits, one per way we know of: the largest the
// limits accept of each. BenchmarkWorstAcceptedQuery measures them;
// TestWorstAcceptedQueryCost holds them to a ceiling.
func costShapes() map[string]string {
	rep := func(n int, f func(i int) string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = f(i)
		}
		return strings.Join(parts, " ")
	}
	const sel = config.DefaultMaxSelections
	id := func(int) string { return "id" }
	return map[string]string{
		// Issue 13's validation bomb at the largest accepted size: one
		// field, the same name 999 times (~500,000 pairs to compare).
		"repeated field": "{ integrationPackInstances { " + rep(sel-1, id) + " } }",
		// The same name at the root, each with a subselection: each pair
		// compares the subselections too.
		"repeated root with subselections": "{ " + rep(10, func(int) string {
			return "environments { " + rep(sel/10-1, id) + " }"
		}) + " }",
		// Fragment spreads compared with each other and with fields.
		"repeated spreads":          "{ environments { " + rep(sel/2-2, func(int) string { return "...F" }) + " } } fragment F on Environment { id }",
		"repeated inline fragments": "{ environments { " + rep(sel/2-2, func(int) string { return "... on Environment { id }" }) + " } }",
		// As many operations as the selection bound allows, sharing one
		// fragment (validation tracks the operations using each fragment).
		"many operations": rep(sel/3, func(i int) string { return fmt.Sprintf("query Q%d { ...F }", i) }) + " fragment F on Query { __typename }",
		// Within the query length, what selections do not count:
		// directives, variables, arguments and list items.
		"many directives":       "{ __typename " + rep(3000, func(int) string { return "@include(if: true)" }) + " }",
		"many variables":        "query(" + rep(3000, func(i int) string { return fmt.Sprintf("$v%d: Int", i) }) + ") { __typename }",
		"many list items":       `mutation { integrationPackInstanceEnvironmentAttachmentAttach(input: {integrationPackInstanceId: "SW50ZWdyYXRpb25QYWNrSW5zdGFuY2UzNDQ4Ng", environmentIds: [` + rep(12000, func(int) string { return `"e"` }) + `]}) { id } }`,
		"repeated input fields": `mutation { integrationPackInstanceEnvironmentAttachmentAttach(input: {` + rep(2000, func(int) string { return `integrationPackInstanceId: "x"` }) + `, environmentIds: []}) { id } }`,
		"deep input lists":      `{ integrationPackEnvironmentAttachments(ipackInstanceId: "x", environmentIds: ` + strings.Repeat("[", gateway.MaxNesting-3) + strings.Repeat("]", gateway.MaxNesting-3) + `) { id } }`,
		// 1 + 1 + 2 × 498 + 1 = 999 selections.
		"fragment chain": "{ environments { ...F0 } } " + rep(sel/2-2, func(i int) string { return fmt.Sprintf("fragment F%d on Environment { id ...F%d }", i, i+1) }) + fmt.Sprintf(" fragment F%d on Environment { id }", sel/2-2),
	}
}

// costBody is the JSON request body of query.
func costBody(query string) string {
	b, _ := json.Marshal(map[string]string{"query": query})
	return string(b)
}

// BenchmarkWorstAcceptedQuery is one request of each costShapes document
// through the whole handler (decoding, the gateway's measuring, graphql-go's
// parse, validation and, when it validates, execution against the
// simulator on loopback).
func BenchmarkWorstAcceptedQuery(b *testing.B) {
	s := benchServer(b)
	for name, q := range costShapes() {
		body := costBody(q)
		b.Run(strings.ReplaceAll(name, " ", "_"), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				s.ServeHTTP(w, gateway.BenchRequest(body))
			}
		})
	}
}

// TestWorstAcceptedQueryCost: each costShapes document is accepted by the
// gateway's own limits (so it reaches graphql-go), and one request of it
// allocates less than a ceiling, counted (not timed, so the test does not
// depend on the machine's load). Issue 13's validation bomb, 5,000 "id"s,
// allocated 1 GB; these measure under 6 MB and 90,000 allocations
// (BenchmarkWorstAcceptedQuery); the ceilings leave room for library
// changes and catch a return of anything quadratic.
func TestWorstAcceptedQueryCost(t *testing.T) {
	const maxBytes, maxAllocs = 16 << 20, 250_000
	s := benchServer(t)
	for name, q := range costShapes() {
		if err := gateway.AdmitQuery(s, q); err != nil || len(q) > config.DefaultMaxQueryLength {
			t.Errorf("%s: refused by the gateway's limits (%v, %d bytes); want the largest accepted", name, err, len(q))
			continue
		}
		body := costBody(q)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		allocs := testing.AllocsPerRun(3, func() {
			s.ServeHTTP(httptest.NewRecorder(), gateway.BenchRequest(body))
		})
		runtime.ReadMemStats(&after)
		bytes := (after.TotalAlloc - before.TotalAlloc) / 4 // AllocsPerRun runs it once more, to warm up
		if allocs > maxAllocs || bytes > maxBytes {
			t.Errorf("%s: %.0f allocations, %d bytes per request; want at most %d, %d", name, allocs, bytes, maxAllocs, maxBytes)
		}
	}
}
