package query

import (
	"reflect"
	"testing"
)

// measureDocument is an analysis without the cost bounds or the
// adaptation, and without a cache: the canonical text, parsed and
// measured.
func measureDocument(query string) *Document {
	d, _ := parseAndMeasure(query, lexLimits{})
	return d
}

// TestRootFieldsOneWalk: the measurer's single walk finds each operation's
// root fields through inline fragments and fragment spreads (nested,
// repeated, cyclic), as logs and metrics need them.
func TestRootFieldsOneWalk(t *testing.T) {
	tests := []struct {
		query      string
		wantName   string
		wantFields []string
	}{
		{`{ a b }`, "a,b", []string{"a", "b"}},
		{`query q { x: a y: a a }`, "q", []string{"a"}},
		{`{ ...F b ...F } fragment F on Query { a x: a ... on Query { c } }`, "a,c,b",
			[]string{"a", "c", "b"}},
		{`{ ...F } fragment F on Query { ...G a } fragment G on Query { g ...F }`, "g,a",
			[]string{"g", "a"}},
		{`{ a { b c } d: a { e } }`, "a", []string{"a"}},
		{`{ x: a x: b }`, "a,b", []string{"a", "b"}},
	}
	for _, tt := range tests {
		d := measureDocument(tt.query)
		op, ok := d.Operation("")
		if !ok {
			if op, ok = d.Operation("q"); !ok {
				t.Fatalf("%q: no operation (%s %s)", tt.query, d.parseErr, d.invalid)
			}
		}
		if op.name != tt.wantName || !reflect.DeepEqual(op.fields, tt.wantFields) {
			t.Errorf("%q: name %q, fields %v; want %q, %v", tt.query, op.name, op.fields, tt.wantName, tt.wantFields)
		}
	}
}

// BenchmarkAnalyze is the gateway's own parse of a query (gqlparser, for
// the operation type and the root-field and alias limits), the vendor's
// attach sample (package gateway's BenchAttach): once per query text, then
// from its cache. Without the cost bounds' validation or the adaptation
// (BenchmarkAdapt measures those).
func BenchmarkAnalyze(b *testing.B) {
	query := `mutation attachIpackInstance { integrationPackInstanceEnvironmentAttachmentAttach(input: {integrationPackInstanceId: "SW50ZWdyYXRpb25QYWNrSW5zdGFuY2UzNDQ4Ng", environmentIds: ["86b413a8-1ebf-4c95-bc5b-139573b77910"]}) { id environmentId integrationPackInstanceId environmentExtensions } }`
	b.Run("cached", func(b *testing.B) {
		a := newAnalyzer()
		a.Analyze(query)
		b.ReportAllocs()
		for b.Loop() {
			if d := a.Analyze(query); !d.parsed {
				b.Fatal("not parsed")
			}
		}
	})
	b.Run("uncached", func(b *testing.B) { // a fresh cache each time
		b.ReportAllocs()
		for b.Loop() {
			if d := newAnalyzer().Analyze(query); !d.parsed {
				b.Fatal("not parsed")
			}
		}
	})
}
