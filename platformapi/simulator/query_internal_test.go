package simulator

import (
	"maps"
	"slices"
	"testing"
)

// The filter check (queryable) and the matcher (properties) must agree, or
// a valid filter would match nothing.
func TestQueryableMatchesProperties(t *testing.T) {
	s := NewDemo(Options{})
	a := s.accts[DemoAccountID]
	a.attachments = append(a.attachments, Attachment{ID: "x", IntegrationPackInstanceID: "i", EnvironmentID: "e"})
	for object, want := range queryable {
		objs := a.objects(object)
		if len(objs) == 0 {
			t.Fatalf("no demo %s to check", object)
		}
		got := slices.Sorted(maps.Keys(a.properties(object, objs[0])))
		if !slices.Equal(got, slices.Sorted(slices.Values(want))) {
			t.Errorf("properties(%s) = %v, queryable = %v", object, got, want)
		}
	}
}
