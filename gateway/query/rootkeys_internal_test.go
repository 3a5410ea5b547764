package query

import (
	"reflect"
	"testing"
)

// TestResponseKeys: the response keys of a mutation's root fields, in the
// order they execute, through inline fragments and fragment spreads
// (nested, repeated, cyclic), each key once, without what @skip and
// @include leave out under the request's variables (or their defaults).
func TestResponseKeys(t *testing.T) {
	tests := []struct {
		query string
		vars  map[string]any
		want  map[string][]string
	}{
		{`mutation { a b }`, nil, map[string][]string{"a": {"a"}, "b": {"b"}}},
		{`mutation q { x: a y: a a }`, nil, map[string][]string{"a": {"x", "y", "a"}}},
		{`mutation { ...F b ...F } fragment F on Mutation { a x: a ... on Mutation { c } }`, nil,
			map[string][]string{"a": {"a", "x"}, "c": {"c"}, "b": {"b"}}},
		{`mutation { ...F } fragment F on Mutation { ...G a } fragment G on Mutation { g ...F }`, nil,
			map[string][]string{"g": {"g"}, "a": {"a"}}},
		{`mutation { x: a x: b }`, nil, map[string][]string{"a": {"x"}}},
		{`mutation($s: Boolean!) { x: a @skip(if: $s) y: a }`, map[string]any{"s": true}, map[string][]string{"a": {"y"}}},
		{`mutation($s: Boolean!) { x: a @skip(if: $s) y: a }`, map[string]any{"s": false}, map[string][]string{"a": {"x", "y"}}},
		{`mutation($i: Boolean = false) { x: a @include(if: $i) y: a }`, nil, map[string][]string{"a": {"y"}}},
		{`mutation($i: Boolean = false) { x: a @include(if: $i) y: a }`, map[string]any{"i": true}, map[string][]string{"a": {"x", "y"}}},
		// Both directives: left out if either says so.
		{`mutation { x: a @skip(if: false) @include(if: false) y: a }`, nil, map[string][]string{"a": {"y"}}},
		// A value that is not a boolean leaves the field in, as graphql-go does.
		{`mutation($s: Boolean) { x: a @skip(if: $s) y: a }`, map[string]any{"s": "yes"}, map[string][]string{"a": {"x", "y"}}},
		{`mutation { ... @skip(if: true) { x: a } ...F @include(if: false) y: a ...F } fragment F on Mutation { z: a x: a }`, nil,
			map[string][]string{"a": {"y", "z", "x"}}},
		// A key selected twice runs at its first selection left in.
		{`mutation($s: Boolean!) { x: a @skip(if: $s) y: a x: a }`, map[string]any{"s": true}, map[string][]string{"a": {"y", "x"}}},
		{`mutation { ...F } fragment F on Mutation { ...F a }`, nil, map[string][]string{"a": {"a"}}},
	}
	for _, tt := range tests {
		d := measureDocument(tt.query)
		if len(d.operations) != 1 {
			t.Fatalf("%q: %d operations (%s)", tt.query, len(d.operations), d.parseErr)
		}
		op := d.operations[0]
		if got := responseKeys(op.root, tt.vars, op.vars); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("responseKeys(%q, %v) = %v, want %v", tt.query, tt.vars, got, tt.want)
		}
	}
	// Queries keep no plan: their fields report no item errors.
	if d := measureDocument(`{ a }`); d.operations[0].root != nil {
		t.Errorf("a query kept root selections %v", d.operations[0].root)
	}
}
