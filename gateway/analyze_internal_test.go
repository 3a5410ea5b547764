package gateway

import (
	"reflect"
	"testing"
)

// TestRootFieldsOneWalk: the measurer's single walk finds each operation's
// root fields and their response keys through inline fragments and
// fragment spreads (nested, repeated, cyclic), as logs, metrics and
// itemErrors need them.
func TestRootFieldsOneWalk(t *testing.T) {
	tests := []struct {
		query      string
		wantName   string
		wantFields []string
		wantKeys   map[string][]string
	}{
		{`{ a b }`, "a,b", []string{"a", "b"}, map[string][]string{"a": {"a"}, "b": {"b"}}},
		{`query q { x: a y: a a }`, "q", []string{"a"}, map[string][]string{"a": {"x", "y", "a"}}},
		{`{ ...F b ...F } fragment F on Query { a x: a ... on Query { c } }`, "a,c,b",
			[]string{"a", "c", "b"}, map[string][]string{"a": {"a", "x"}, "c": {"c"}, "b": {"b"}}},
		{`{ ...F } fragment F on Query { ...G a } fragment G on Query { g ...F }`, "g,a",
			[]string{"g", "a"}, map[string][]string{"g": {"g"}, "a": {"a"}}},
		{`{ a { b c } d: a { e } }`, "a", []string{"a"}, map[string][]string{"a": {"a", "d"}}},
		{`{ x: a x: b }`, "a,b", []string{"a", "b"}, map[string][]string{"a": {"x"}}},
	}
	for _, tt := range tests {
		d := measureDocument(tt.query)
		op, ok := d.operation("")
		if !ok {
			if op, ok = d.operation("q"); !ok {
				t.Fatalf("%q: no operation (%s %s)", tt.query, d.parseErr, d.invalid)
			}
		}
		if op.name != tt.wantName || !reflect.DeepEqual(op.fields, tt.wantFields) || !reflect.DeepEqual(op.rootKeys, tt.wantKeys) {
			t.Errorf("%q: name %q, fields %v, keys %v; want %q, %v, %v", tt.query, op.name, op.fields, op.rootKeys, tt.wantName, tt.wantFields, tt.wantKeys)
		}
	}
}
