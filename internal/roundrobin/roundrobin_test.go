package roundrobin

import (
	"slices"
	"testing"
)

// serve takes turns until r is empty or n turns were taken, each item
// done once it has been served left[item] times.
func serve(r *Ring[string], left map[string]int, n int) []string {
	var order []string
	for r.Len() > 0 && len(order) < n {
		x := r.Current()
		order = append(order, x)
		left[x]--
		r.Served(left[x] == 0)
	}
	return order
}

func TestRing(t *testing.T) {
	tests := []struct {
		name   string
		push   []string
		left   map[string]int
		remove string // removed after the first turn, when set
		want   []string
	}{
		{"one item", []string{"a"}, map[string]int{"a": 3}, "", []string{"a", "a", "a"}},
		{"turns alternate", []string{"a", "b"}, map[string]int{"a": 3, "b": 1}, "", []string{"a", "b", "a", "a"}},
		{"three, uneven", []string{"a", "b", "c"}, map[string]int{"a": 2, "b": 1, "c": 2}, "", []string{"a", "b", "c", "a", "c"}},
		{"removing one ahead keeps the turn", []string{"a", "b", "c"}, map[string]int{"a": 2, "b": 2, "c": 2}, "c", []string{"a", "b", "a", "b"}},
		{"removing one behind keeps the turn", []string{"a", "b", "c"}, map[string]int{"a": 2, "b": 2, "c": 2}, "a", []string{"a", "b", "c", "b", "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Ring[string]
			for _, x := range tt.push {
				r.Push(x)
			}
			got := serve(&r, tt.left, 1)
			if tt.remove != "" {
				r.Remove(tt.remove)
				r.Remove("absent") // a no-op
			}
			got = append(got, serve(&r, tt.left, 100)...)
			if !slices.Equal(got, tt.want) {
				t.Errorf("served %v, want %v", got, tt.want)
			}
		})
	}
}
