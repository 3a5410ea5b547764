package platformapi

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// TestBudgetRoundRobin: queued calls are served one flow at a time, so a
// flow that queued 6 calls first does not delay a later flow's 2 calls by
// more than one of its own each.
func TestBudgetRoundRobin(t *testing.T) {
	b := newBudget(1, 1)
	big, small := &flow{}, &flow{}
	owner := map[*grant]string{}
	enqueue := func(f *flow, name string) {
		g := &grant{ch: make(chan struct{})}
		q := b.flows[f]
		if q == nil {
			q = &flowQueue{}
			b.flows[f] = q
			b.ring = append(b.ring, f)
		}
		q.waiters = append(q.waiters, g)
		owner[g] = name
	}
	for range 6 {
		enqueue(big, "big")
	}
	enqueue(small, "small")
	enqueue(small, "small")
	var got []string
	for g := b.next(); g != nil; g = b.next() {
		got = append(got, owner[g])
	}
	want := []string{"big", "small", "big", "small", "big", "big", "big", "big"}
	if len(got) != len(want) {
		t.Fatalf("order = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("order = %v, want %v", got, want)
		}
	}
}

// TestBudgetSkipsAbandoned: a waiter that gave up is not served.
func TestBudgetSkipsAbandoned(t *testing.T) {
	b := newBudget(1, 1)
	f := &flow{}
	g1 := &grant{ch: make(chan struct{}), state: abandoned}
	g2 := &grant{ch: make(chan struct{})}
	b.flows[f] = &flowQueue{waiters: []*grant{g1, g2}}
	b.ring = []*flow{f}
	if got := b.next(); got != g2 {
		t.Errorf("next() = %p, want the live waiter %p", got, g2)
	}
	if got := b.next(); got != nil {
		t.Errorf("next() on an empty budget = %p, want nil", got)
	}
}

// TestBudgetPaces: 12 calls at 50/s with a burst of 2 take at least
// (12-2)/50 s = 200 ms, and all are served.
func TestBudgetPaces(t *testing.T) {
	b := newBudget(50, 2)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f := &flow{}
			if i%2 == 0 {
				f = nil
			}
			if err := b.wait(context.Background(), f); err != nil {
				t.Errorf("wait: %v", err)
			}
		}()
	}
	wg.Wait()
	if d := time.Since(start); d < 195*time.Millisecond {
		t.Errorf("12 calls at 50/s, burst 2, took %v; the budget allows no less than 200ms", d)
	}
}

func TestBudgetDeadline(t *testing.T) {
	b := newBudget(0.5, 1) // one token now, the next in 2 s
	if err := b.wait(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := b.wait(ctx, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("wait past the deadline = %v, want DeadlineExceeded", err)
	}
	if b2 := newBudget(0, 1); b2 != nil {
		t.Error("newBudget(0) is a limit; want nil, no pacing")
	}
}
