package gateway

import (
	"reflect"
	"testing"
)

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
		op, ok := d.operation("")
		if !ok {
			if op, ok = d.operation("q"); !ok {
				t.Fatalf("%q: no operation (%s %s)", tt.query, d.parseErr, d.invalid)
			}
		}
		if op.name != tt.wantName || !reflect.DeepEqual(op.fields, tt.wantFields) {
			t.Errorf("%q: name %q, fields %v; want %q, %v", tt.query, op.name, op.fields, tt.wantName, tt.wantFields)
		}
	}
}
