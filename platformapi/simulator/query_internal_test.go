package simulator

import (
	"maps"
	"slices"
	"testing"
)

// The filter check (props) and the matcher (propsOf) of every queryable
// object must agree, or a valid filter would match nothing.
func TestQueryableMatchesProperties(t *testing.T) {
	s := NewDemo(Options{})
	a := s.accts[DemoAccountID]
	a.attachments = append(a.attachments, Attachment{ID: "x", IntegrationPackInstanceID: "i", EnvironmentID: "e"})
	for object, q := range queryObjects {
		objs := q.rows(a)
		if len(objs) == 0 {
			t.Fatalf("no demo %s to check", object)
		}
		got := slices.Sorted(maps.Keys(q.propsOf(a, objs[0])))
		if !slices.Equal(got, slices.Sorted(slices.Values(q.props))) {
			t.Errorf("propsOf(%s) = %v, props = %v", object, got, q.props)
		}
	}
}
