// Package roundrobin holds the list that the gateway's fair queues serve
// in turn: the REST budget's (platformapi) and the admission of GraphQL
// requests (gateway). Each level of such a queue (spaces, a space's
// clients, a client's requests) is a Ring.
package roundrobin

import "slices"

// Ring is a round-robin list: items in service order, and whose turn it
// is. The zero Ring is empty and ready to use. A Ring is not safe for
// concurrent use; its owner's lock guards it.
type Ring[T comparable] struct {
	items []T
	pos   int
}

// Len is the number of items.
func (r *Ring[T]) Len() int { return len(r.items) }

// Push adds x last, so that it is served after every item already in:
// just behind the current item, at the end of the cycle that starts with
// it. (Appended to the slice instead, x would come before the items the
// turn has passed this cycle; items that keep arriving, each served once
// and gone, would then keep the turn from ever wrapping around to those,
// and starve them.)
func (r *Ring[T]) Push(x T) {
	if r.pos >= len(r.items) {
		r.pos = 0
	}
	r.items = slices.Insert(r.items, r.pos, x)
	r.pos++
}

// Current is the item whose turn it is; r must not be empty.
func (r *Ring[T]) Current() T {
	if r.pos >= len(r.items) {
		r.pos = 0
	}
	return r.items[r.pos]
}

// Served moves past the current item, dropping it when it is done (has
// nothing more to be served).
func (r *Ring[T]) Served(done bool) {
	if done {
		r.removeAt(r.pos)
	} else {
		r.pos++
	}
}

// Remove drops x, if it is in r, keeping the others' turns.
func (r *Ring[T]) Remove(x T) {
	if i := slices.Index(r.items, x); i >= 0 {
		r.removeAt(i)
	}
}

func (r *Ring[T]) removeAt(i int) {
	r.items = slices.Delete(r.items, i, i+1)
	if i < r.pos {
		r.pos--
	}
}
