package platformapi

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ipack-gateway/ipack-gateway/internal/testutil"
)

// queued is one queued call of a test: its flow and its label.
type queued struct {
	f     *flow
	label string
}

// drain enqueues calls in order, then pops every grant and returns the
// labels in the order the budget serves them.
func drain(t *testing.T, b *budget, calls []queued) []string {
	t.Helper()
	owner := map[*grant]string{}
	for _, c := range calls {
		g := &grant{ch: make(chan struct{})}
		if err := b.enqueue(c.f, g); err != nil {
			t.Fatalf("enqueue %s: %v", c.label, err)
		}
		owner[g] = c.label
	}
	var got []string
	for g := b.next(); g != nil; g = b.next() {
		got = append(got, owner[g])
	}
	return got
}

func times(n int, f *flow, label string) []queued {
	return slices.Repeat([]queued{{f, label}}, n)
}

// TestBudgetOrder: tokens go round-robin over spaces, then over a space's
// clients, then over a client's requests; a request's own calls are first
// come first served.
func TestBudgetOrder(t *testing.T) {
	big, small := &flow{key: FlowKey{"s1", "c1"}}, &flow{key: FlowKey{"s1", "c1"}}
	c2 := &flow{key: FlowKey{"s1", "c2"}}
	s2 := &flow{key: FlowKey{"s2", "c1"}} // the same client key in another space is another client
	tests := []struct {
		name  string
		calls []queued
		want  []string
	}{
		{"one client's requests take turns",
			slices.Concat(times(6, big, "big"), times(2, small, "small")),
			[]string{"big", "small", "big", "small", "big", "big", "big", "big"}},
		{"a space's clients take turns, whatever their requests",
			slices.Concat(times(3, big, "big"), times(3, small, "small"), times(2, c2, "c2")),
			[]string{"big", "c2", "small", "c2", "big", "small", "big", "small"}},
		{"spaces take turns, whatever their clients",
			slices.Concat(times(2, big, "big"), times(2, c2, "c2"), times(3, s2, "s2")),
			[]string{"big", "s2", "c2", "s2", "big", "s2", "c2"}},
	}
	for _, tt := range tests {
		b := newBudget(NewLimiterSource(1, 1), 1, 0)
		if got := drain(t, b, tt.calls); !slices.Equal(got, tt.want) {
			t.Errorf("%s: order %v, want %v", tt.name, got, tt.want)
		}
		if len(b.flows) != 0 || len(b.byName) != 0 || b.queued.Load() != 0 {
			t.Errorf("%s: drained budget keeps %d flows, %d spaces, %d calls", tt.name, len(b.flows), len(b.byName), b.queued.Load())
		}
	}
}

// TestBudgetFloodBound (issue 13, item 5): one client queues 900 requests
// of 8 calls each (900 concurrent attach(100)s at attach.concurrency 8).
// Another space's one call is then served within 2 grants: one per space
// with waiting calls. Another client of the flooding space is served
// within 2 × 2 grants: the spaces ahead of its space's turn, times the
// clients ahead of it in its space. Round-robin over requests would serve
// them after up to 900 grants.
func TestBudgetFloodBound(t *testing.T) {
	b := newBudget(NewLimiterSource(1, 1), 1, 0)
	owner := map[*grant]string{}
	add := func(f *flow, label string) {
		g := &grant{ch: make(chan struct{})}
		if err := b.enqueue(f, g); err != nil {
			t.Fatal(err)
		}
		owner[g] = label
	}
	for range 900 {
		f := &flow{key: FlowKey{"space-a", "flooder"}}
		for range 8 {
			add(f, "flood")
		}
	}
	// Serve some first, so that the round-robin is mid-way through.
	for range 317 {
		b.next()
	}
	add(&flow{key: FlowKey{"space-b", "other"}}, "other space")
	add(&flow{key: FlowKey{"space-a", "neighbour"}}, "same space")
	bounds := map[string]int{"other space": 2, "same space": 4}
	for n := 1; n <= 4; n++ {
		if label := owner[b.next()]; label != "flood" {
			if n > bounds[label] {
				t.Errorf("%s served at grant %d, want within %d", label, n, bounds[label])
			}
			delete(bounds, label)
		}
	}
	if len(bounds) != 0 {
		t.Errorf("not served within 4 grants: %v", bounds)
	}
}

// TestBudgetQueueCap: a client has at most maxQueued requests counted as
// waiting; a request counts from its first queued call until it ends, so
// its later calls are never refused; other clients, and calls without a
// client, are not bound by it.
func TestBudgetQueueCap(t *testing.T) {
	b := newBudget(NewLimiterSource(10, 1), 10, 2)
	key := FlowKey{"s", "x"}
	f1, f2, f3 := &flow{key: key}, &flow{key: key}, &flow{key: key}
	enqueue := func(f *flow) error { return b.enqueue(f, &grant{ch: make(chan struct{})}) }
	for i, f := range []*flow{f1, f2, f1} {
		if err := enqueue(f); err != nil {
			t.Fatalf("call %d within the bound: %v", i, err)
		}
	}
	err := enqueue(f3)
	var qf *QueueFullError
	if !errors.Is(err, ErrQueueFull) || !errors.As(err, &qf) || qf.RetryAfter < time.Second {
		t.Fatalf("a third request of a client bound to 2: %v, want a QueueFullError with RetryAfter ≥ 1s", err)
	}
	// 3 calls of the one client at its fair share, 10/s: 0.3 s, so 1 s.
	if qf.RetryAfter != time.Second {
		t.Errorf("RetryAfter = %v, want the 1s floor", qf.RetryAfter)
	}
	if full, _ := b.full(key); !full {
		t.Error("full(key) = false with 2 requests counted, want true")
	}
	if full, _ := b.full(FlowKey{"s", "y"}); full {
		t.Error("full of another client = true, want false")
	}
	y := &flow{key: FlowKey{"s", "y"}}
	if err := enqueue(y); err != nil {
		t.Errorf("another client's call: %v", err)
	}
	if err := enqueue(&flow{key: FlowKey{Space: "s"}}); err != nil {
		t.Errorf("a call without a client: %v", err)
	}
	// Serving every call does not free a place: f1 and f2 still run and
	// may queue again, without being refused.
	for b.next() != nil {
	}
	if err := enqueue(f3); !errors.Is(err, ErrQueueFull) {
		t.Errorf("after the calls were served, before their requests ended: %v, want ErrQueueFull", err)
	}
	if err := enqueue(f2); err != nil {
		t.Errorf("a counted request's next call: %v", err)
	}
	f1.end()
	f1.end() // idempotent
	if err := enqueue(f3); err != nil {
		t.Errorf("after a request ended: %v", err)
	}
	for b.next() != nil {
	}
	f2.end()
	f3.end()
	y.end()
	if len(b.flows) != 0 || len(b.byName) != 0 {
		t.Errorf("after every request ended, the budget keeps %d flows and %d spaces", len(b.flows), len(b.byName))
	}
	// A call of a flow that has ended is not counted (nothing would
	// release it) but still served.
	if err := enqueue(f1); err != nil || b.next() == nil || len(b.flows) != 0 {
		t.Errorf("call of an ended flow: %v, %d flows kept", err, len(b.flows))
	}
}

// fakeSource hands out the tokens a test gives it.
type fakeSource struct {
	mu     sync.Mutex
	tokens int
	err    error
}

func (s *fakeSource) Take(context.Context) (time.Duration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return 0, s.err
	}
	if s.tokens > 0 {
		s.tokens--
		return 0, nil
	}
	return time.Millisecond, nil
}

func (s *fakeSource) give(n int) {
	s.mu.Lock()
	s.tokens += n
	s.mu.Unlock()
}

// eventually is testutil.Eventually: cond polled for at most 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testutil.Eventually(t, what, cond)
}

// TestBudgetDispatch: through wait and its dispatcher, tokens reach
// waiters in the fair order, one per token; a waiter that gives up leaves
// the queue; the dispatcher ends when no call waits.
func TestBudgetDispatch(t *testing.T) {
	src := &fakeSource{}
	b := newBudget(src, 10, 0)
	served := make(chan string, 10)
	var wg sync.WaitGroup
	start := func(ctx context.Context, f *flow, label string) {
		n := b.queued.Load()
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := b.wait(ctx, f)
			if err == nil {
				served <- label
			} else {
				served <- label + ": " + err.Error()
			}
		}()
		eventually(t, label+" is queued", func() bool { return b.queued.Load() == n+1 })
	}
	a1, a2 := &flow{key: FlowKey{"a", "1"}}, &flow{key: FlowKey{"a", "2"}}
	bFlow := &flow{key: FlowKey{"b", "1"}}
	gone, cancel := context.WithCancel(context.Background())
	start(context.Background(), a1, "a1")
	start(context.Background(), a1, "a1")
	start(gone, a2, "a2 (gives up)")
	start(context.Background(), a1, "a1")
	start(context.Background(), bFlow, "b")
	cancel()
	if got := <-served; got != "a2 (gives up): context canceled" {
		t.Fatalf("the waiter that gave up: %q", got)
	}
	var got []string
	for range 4 {
		src.give(1)
		got = append(got, <-served)
	}
	if want := []string{"a1", "b", "a1", "a1"}; !slices.Equal(got, want) {
		t.Errorf("grants %v, want %v", got, want)
	}
	wg.Wait()
	eventually(t, "the dispatcher ends", func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		return !b.running
	})
	if len(b.flows) != 0 || len(b.byName) != 0 {
		t.Errorf("idle budget keeps %d flows and %d spaces", len(b.flows), len(b.byName))
	}

	// A source that fails fails the waiting call, unsent.
	src.mu.Lock()
	src.err = errors.New("token store unreachable")
	src.mu.Unlock()
	if err := b.wait(context.Background(), a1); err == nil || err.Error() != "token store unreachable" {
		t.Errorf("wait with a failing source = %v", err)
	}
}

// TestBudgetFastPathAllocs: with nobody waiting and a token at hand, a
// call allocates nothing and starts no dispatcher.
func TestBudgetFastPathAllocs(t *testing.T) {
	b := newBudget(NewLimiterSource(1e9, 1e6), 1e9, 16)
	f := &flow{key: FlowKey{"s", "c"}}
	ctx := context.Background()
	if n := testing.AllocsPerRun(1000, func() {
		if err := b.wait(ctx, f); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("wait allocates %v times, want 0", n)
	}
	if b.running {
		t.Error("a dispatcher was started")
	}
}

// TestBudgetPaces: 12 calls at 50/s with a burst of 2 take at least
// (12-2)/50 s = 200 ms, and all are served.
func TestBudgetPaces(t *testing.T) {
	b := newBudget(NewLimiterSource(50, 2), 50, 0)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f := &flow{key: FlowKey{"s", fmt.Sprint(i % 3)}}
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
	b := newBudget(NewLimiterSource(0.5, 1), 0.5, 0) // one token now, the next in 2 s
	if err := b.wait(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := b.wait(ctx, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("wait past the deadline = %v, want DeadlineExceeded", err)
	}
	c, err := New(Options{BaseURL: "http://127.0.0.1:1", Limits: Limits{RequestsPerSecond: 0}})
	if err != nil {
		t.Fatal(err)
	}
	if c.account("a").budget != nil {
		t.Error("RequestsPerSecond 0 makes a budget; want none, no pacing")
	}
}

// countingObserver counts what a flow's WaitObserver is told.
type countingObserver struct {
	mu            sync.Mutex
	starts, dones int
}

func (o *countingObserver) WaitStart() { o.mu.Lock(); o.starts++; o.mu.Unlock() }
func (o *countingObserver) WaitDone()  { o.mu.Lock(); o.dones++; o.mu.Unlock() }

func (o *countingObserver) counts() (int, int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.starts, o.dones
}

// TestBudgetWaitObserver: a flow's observer hears of each call that queues
// (WaitStart before its wait, WaitDone after, granted or given up), and of
// no call that found a token at hand.
func TestBudgetWaitObserver(t *testing.T) {
	src := &fakeSource{tokens: 1}
	b := newBudget(src, 10, 0)
	obs := &countingObserver{}
	ctx, end := WithFlowObserver(context.Background(), FlowKey{"s", "c"}, obs)
	defer end()
	f := flowFrom(ctx)

	if err := b.wait(ctx, f); err != nil {
		t.Fatal(err)
	}
	if s, d := obs.counts(); s != 0 || d != 0 {
		t.Fatalf("a call with a token at hand was reported: %d starts, %d dones", s, d)
	}

	done := make(chan error, 1)
	go func() { done <- b.wait(ctx, f) }()
	eventually(t, "the call is queued and reported", func() bool { s, _ := obs.counts(); return s == 1 })
	if _, d := obs.counts(); d != 0 {
		t.Fatal("WaitDone before the call was granted")
	}
	src.give(1)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if s, d := obs.counts(); s != 1 || d != 1 {
		t.Fatalf("after the grant: %d starts, %d dones, want 1 and 1", s, d)
	}

	gone, cancel := context.WithCancel(ctx)
	go func() { done <- b.wait(gone, f) }()
	eventually(t, "the second call is queued and reported", func() bool { s, _ := obs.counts(); return s == 2 })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("the call that gave up: %v", err)
	}
	if s, d := obs.counts(); s != 2 || d != 2 {
		t.Fatalf("after giving up: %d starts, %d dones, want 2 and 2", s, d)
	}
}
