package gateway_test

import (
	"fmt"
	"slices"
	"testing"
)

// TestItemErrorKeys: an item error of extensionsUpdate lands under the
// response key of the alias that failed, whatever the aliases before it
// did: failed before counting (input null), or were left out by @skip or
// @include, on the field, on an inline fragment or on a fragment spread,
// with a variable, its default or a literal. Each case has the item of
// alias b fail (not a JSON object; no REST call), and wants its error at
// ["b", 0], naming b's id.
func TestItemErrorKeys(t *testing.T) {
	const (
		a = `a: extensionsUpdate(input: [{extensions: "[1]", envExtensionId: "id-a"}])`
		b = `b: extensionsUpdate(input: [{extensions: "[2]", envExtensionId: "id-b"}])`
	)
	tests := []struct {
		name  string
		query string
		vars  map[string]any
		want  []string // the keys of the item errors, sorted
	}{
		{"earlier alias fails whole", `mutation { a: extensionsUpdate(input: null) ` + b + ` }`, nil, []string{"b"}},
		{"skip on the field", `mutation($s: Boolean!) { ` + a + ` @skip(if: $s) ` + b + ` }`, map[string]any{"s": true}, []string{"b"}},
		{"skip false", `mutation($s: Boolean!) { ` + a + ` @skip(if: $s) ` + b + ` }`, map[string]any{"s": false}, []string{"a", "b"}},
		{"include by default", `mutation($i: Boolean = false) { ... @include(if: $i) { ` + a + ` } ` + b + ` }`, nil, []string{"b"}},
		{"skipped spread", `mutation { ...F @skip(if: true) ` + b + ` } fragment F on Mutation { ` + a + ` }`, nil, []string{"b"}},
		{"spread kept later", `mutation { ...F @include(if: false) ` + b + ` ...F } fragment F on Mutation { ` + a + ` }`, nil, []string{"a", "b"}},
		{"same key skipped once", `mutation($s: Boolean!) { ` + b + ` @skip(if: $s) ` + a + ` ` + b + ` }`, map[string]any{"s": true}, []string{"a", "b"}},
	}
	e := newEnv(t, envOptions{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.post(t, tt.query, tt.vars)
			var got []string
			for _, er := range r.Errors {
				if len(er.Path) == 2 {
					got = append(got, fmt.Sprint(er.Path[0]))
					if id := er.Extensions["envExtensionId"]; id != "id-"+fmt.Sprint(er.Path[0]) {
						t.Errorf("error at %v names %v", er.Path, id)
					}
				}
			}
			slices.Sort(got)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("item errors at keys %v, want %v\n%s", got, tt.want, r.Raw)
			}
		})
	}
}
