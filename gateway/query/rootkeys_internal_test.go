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

// TestItemKeys: the response keys under which a root field's items select
// a field: through inline fragments and fragment spreads (nested,
// repeated), each key once, in the order first selected, the selections
// of every selection of the root key left in merged, without what @skip
// and @include leave out (on the root field, a fragment or the item's
// field), and only those of the root key asked for.
func TestItemKeys(t *testing.T) {
	tests := []struct {
		query     string
		vars      map[string]any
		key, name string
		want      []string
	}{
		{`mutation { a { id x } }`, nil, "a", "id", []string{"id"}},
		{`mutation { a { x } }`, nil, "a", "id", nil},
		{`mutation { a { b: id x c: id id } }`, nil, "a", "id", []string{"b", "c", "id"}},
		{`mutation { k: a { id } a { i: id } }`, nil, "k", "id", []string{"id"}},
		{`mutation { k: a { id } a { i: id } }`, nil, "a", "id", []string{"i"}},
		{`mutation { k: a { x } k: a { id } }`, nil, "k", "id", []string{"id"}},
		{`mutation { a { ...F k: id ...F } } fragment F on T { id ... on T { j: id } }`, nil, "a", "id", []string{"id", "j", "k"}},
		{`mutation { a { ...G } } fragment G on T { ... { ...F } } fragment F on T { x id }`, nil, "a", "id", []string{"id"}},
		{`mutation { ...M } fragment M on Mutation { a { ...F } } fragment F on T { id }`, nil, "a", "id", []string{"id"}},
		{`mutation($s: Boolean!) { a { id @skip(if: $s) x } }`, map[string]any{"s": true}, "a", "id", nil},
		{`mutation($s: Boolean!) { a { id @skip(if: $s) x } }`, map[string]any{"s": false}, "a", "id", []string{"id"}},
		{`mutation { a { id @skip(if: true) i: id id } }`, nil, "a", "id", []string{"i", "id"}},
		{`mutation($i: Boolean = false) { a { x ...F @include(if: $i) } } fragment F on T { id }`, nil, "a", "id", nil},
		{`mutation($i: Boolean = false) { a { x ...F @include(if: $i) } } fragment F on T { id }`, map[string]any{"i": true}, "a", "id", []string{"id"}},
		{`mutation { a { ... @skip(if: true) { id } x ... @skip(if: false) { e: id } } }`, nil, "a", "id", []string{"e"}},
		// The skipped selection of a root key brings nothing.
		{`mutation($s: Boolean!) { k: a @skip(if: $s) { i: id } k: a { id } }`, map[string]any{"s": true}, "k", "id", []string{"id"}},
		{`mutation($s: Boolean!) { k: a @skip(if: $s) { i: id } k: a { id } }`, map[string]any{"s": false}, "k", "id", []string{"i", "id"}},
		// Deeper fields are not items' fields.
		{`mutation { a { o { id } } }`, nil, "a", "id", nil},
		{`mutation { a { id } }`, nil, "b", "id", nil},
	}
	for _, tt := range tests {
		d := measureDocument(tt.query)
		if len(d.operations) != 1 {
			t.Fatalf("%q: %d operations (%s)", tt.query, len(d.operations), d.parseErr)
		}
		if got := d.operations[0].ResponseKeys(tt.vars).Item(tt.key, tt.name); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Item(%q, %q) of %q under %v = %v, want %v", tt.key, tt.name, tt.query, tt.vars, got, tt.want)
		}
	}
	// Root maps a field's executions to their keys.
	keys := measureDocument(`mutation { x: a b y: a }`).operations[0].ResponseKeys(nil)
	for _, tt := range []struct {
		name string
		call int
		want string
		ok   bool
	}{{"a", 0, "x", true}, {"a", 1, "y", true}, {"a", 2, "", false}, {"b", 0, "b", true}, {"c", 0, "", false}} {
		if got, ok := keys.Root(tt.name, tt.call); got != tt.want || ok != tt.ok {
			t.Errorf("Root(%q, %d) = %q, %v; want %q, %v", tt.name, tt.call, got, ok, tt.want, tt.ok)
		}
	}
}
