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

// TestRingArrivalsDoNotStarve: items that arrive while the turn is past
// others join behind those, at the end of the cycle. The case is the fair
// queues': one client with many requests waiting (a), and a crowd that
// each wait with one request, are served, leave, and come back at once.
// Before, a newcomer was appended after the turn, so the crowd kept the
// turn from wrapping around to a for as long as it kept coming.
func TestRingArrivalsDoNotStarve(t *testing.T) {
	var r Ring[string]
	left := map[string]int{"a": 1000}
	r.Push("a")
	crowd := []string{"b", "c", "d", "e"}
	for _, x := range crowd {
		r.Push(x)
		left[x] = 1
	}
	served := map[string]int{}
	for range 100 {
		x := r.Current()
		served[x]++
		left[x]--
		r.Served(left[x] == 0)
		if x != "a" {
			// Served, gone, and back with its next request.
			r.Push(x)
			left[x] = 1
		}
	}
	// Five in the ring, one turn each per cycle: a has a fifth.
	if served["a"] != 20 {
		t.Errorf("a was served %d times in 100 turns among 5, want 20 (%v)", served["a"], served)
	}
}

// TestRingPush: a pushed item is served after every item already in, from
// the current one around.
func TestRingPush(t *testing.T) {
	var r Ring[string]
	left := map[string]int{"a": 2, "b": 2, "c": 2, "x": 1}
	for _, x := range []string{"a", "b", "c"} {
		r.Push(x)
	}
	got := serve(&r, left, 2) // a, b: the turn is at c
	r.Push("x")
	got = append(got, serve(&r, left, 100)...)
	if want := []string{"a", "b", "c", "a", "b", "x", "c"}; !slices.Equal(got, want) {
		t.Errorf("served %v, want %v", got, want)
	}
}
