package admission

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ipack-gateway/ipack-gateway/errcode"
	"github.com/ipack-gateway/ipack-gateway/internal/testutil"
)

func clientKey(s string) [32]byte {
	var k [32]byte
	copy(k[:], s)
	return k
}

// waitQueued waits until a holds n waiting requests.
func waitQueued(t *testing.T, a *Queue, n int) {
	t.Helper()
	testutil.Eventually(t, "requests queue", func() bool {
		a.mu.Lock()
		defer a.mu.Unlock()
		return a.waiting == n
	})
}

// TestAdmissionTurns: with the one turn taken, waiting requests get it in
// round-robin over spaces, then over a space's clients, then in arrival
// order, whatever order they came in.
func TestAdmissionTurns(t *testing.T) {
	type arrival struct{ space, client, label string }
	tests := []struct {
		name     string
		arrivals []arrival
		want     []string
	}{
		{"one client: first come first served",
			[]arrival{{"s1", "c1", "a"}, {"s1", "c1", "b"}, {"s1", "c1", "c"}},
			[]string{"a", "b", "c"}},
		{"a space's clients take turns",
			[]arrival{{"s1", "c1", "a1"}, {"s1", "c1", "a2"}, {"s1", "c1", "a3"}, {"s1", "c2", "b1"}, {"s1", "c2", "b2"}},
			[]string{"a1", "b1", "a2", "b2", "a3"}},
		{"spaces take turns, whatever their clients",
			[]arrival{{"s1", "c1", "a1"}, {"s1", "c1", "a2"}, {"s1", "c2", "b1"}, {"s1", "c2", "b2"}, {"s2", "c1", "x1"}, {"s2", "c1", "x2"}},
			[]string{"a1", "x1", "b1", "x2", "a2", "b2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := New(1, 0, time.Minute, nil)
			holder := a.Enter(context.Background(), "s0", clientKey("c0"))
			if !holder.admitted {
				t.Fatal("the first request waits")
			}
			admitted := make(chan *Ticket, len(tt.arrivals))
			label := map[*Ticket]string{}
			var mu sync.Mutex
			for i, ar := range tt.arrivals {
				go func() {
					tk := a.Enter(context.Background(), ar.space, clientKey(ar.client))
					mu.Lock()
					label[tk] = ar.label
					mu.Unlock()
					admitted <- tk
				}()
				waitQueued(t, a, i+1)
			}
			var got []string
			a.Leave(holder)
			for range tt.arrivals {
				tk := <-admitted
				mu.Lock()
				got = append(got, label[tk])
				mu.Unlock()
				a.Leave(tk)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("turns %v, want %v", got, tt.want)
			}
			if a.active != 0 || a.waiting != 0 || len(a.bySpace) != 0 || a.spaces.Len() != 0 {
				t.Errorf("idle admission keeps %d active, %d waiting, %d spaces", a.active, a.waiting, len(a.bySpace))
			}
		})
	}
}

// TestAdmissionParks: a request whose REST calls wait for the budget does
// not hold its turn meanwhile; once its calls stop waiting it executes
// again at once, above the bound if need be, and the bound holds again
// for the requests after it.
func TestAdmissionParks(t *testing.T) {
	a := New(1, 0, time.Minute, nil)
	ctx := context.Background()
	first := a.Enter(ctx, "s1", clientKey("c1"))
	first.WaitStart()
	first.WaitStart() // two of its calls wait; the first only counts
	second := a.Enter(ctx, "s2", clientKey("c2"))
	if !second.admitted {
		t.Fatal("a request waits for one whose calls all wait for the budget")
	}
	first.WaitDone()
	first.WaitDone() // granted: it executes again, beside the second
	if a.active != 2 {
		t.Fatalf("%d requests count as executing, want 2 (the bound is exceeded, not waited for)", a.active)
	}
	third := make(chan *Ticket, 1)
	go func() { third <- a.Enter(ctx, "s3", clientKey("c3")) }()
	waitQueued(t, a, 1)
	a.Leave(first) // admits synchronously, if at all
	a.mu.Lock()
	stillWaits := a.waiting == 1
	a.mu.Unlock()
	if !stillWaits {
		t.Fatal("a request was admitted with the bound still reached")
	}
	a.Leave(second)
	a.Leave(<-third)
	if a.active != 0 {
		t.Errorf("%d active after every request left", a.active)
	}

	// A request that ends with a call still waiting (its deadline ended
	// the request first) does not count twice.
	last := a.Enter(ctx, "s1", clientKey("c1"))
	last.WaitStart()
	a.Leave(last)
	last.WaitDone()
	if a.active != 0 {
		t.Errorf("%d active after a request left while parked", a.active)
	}
}

// TestAdmissionGivesUp: a request that waited maxWait, or whose client
// went away, is refused with SERVICE_UNAVAILABLE and leaves no trace in
// the queue; the requests behind it keep their turns.
func TestAdmissionGivesUp(t *testing.T) {
	var queued []int
	a := New(1, 0, 50*time.Millisecond, func(n int) { queued = append(queued, n) })
	ctx := context.Background()
	holder := a.Enter(ctx, "s1", clientKey("c1"))

	late := a.Enter(ctx, "s2", clientKey("c2"))
	if late.refusal == nil || late.refusal.Code != errcode.Unavailable || late.admitted {
		t.Fatalf("a request that waited maxWait: refusal %v, admitted %v", late.refusal, late.admitted)
	}
	if late.waited < 50*time.Millisecond {
		t.Errorf("it waited %v, want at least maxWait", late.waited)
	}

	gone, cancel := context.WithCancel(ctx)
	cancel()
	if tk := a.Enter(gone, "s2", clientKey("c2")); tk.refusal == nil {
		t.Fatal("a request whose client went away was not refused")
	}
	if a.waiting != 0 || len(a.bySpace) != 0 || a.spaces.Len() != 0 {
		t.Errorf("the queue keeps %d waiting, %d spaces", a.waiting, len(a.bySpace))
	}
	if !slices.Equal(queued, []int{1, 0, 1, 0}) {
		t.Errorf("queue lengths reported %v, want [1 0 1 0]", queued)
	}
	a.Leave(holder)
	if tk := a.Enter(ctx, "s2", clientKey("c2")); !tk.admitted {
		t.Error("a request waits with no request executing")
	}
}

// TestAdmissionPerClient: a client executes at most perClient requests at
// once, even with turns free; its others wait, and another client's
// request is admitted at once past them. A request of the client that
// stops executing (it ends, or its calls wait for the budget) lets the
// client's next in; the round-robin then serves it in its turn.
func TestAdmissionPerClient(t *testing.T) {
	a := New(10, 2, time.Minute, nil)
	ctx := context.Background()
	flood, victim := clientKey("flood"), clientKey("victim")
	first, second := a.Enter(ctx, "s1", flood), a.Enter(ctx, "s1", flood)
	if !first.admitted || !second.admitted {
		t.Fatal("a client's first two requests wait with turns free")
	}
	waiting := make(chan *Ticket, 3)
	for i := range 3 {
		go func() { waiting <- a.Enter(ctx, "s1", flood) }()
		waitQueued(t, a, i+1)
	}
	// Another client, of the same space and of another, is admitted at
	// once, on its own goroutine (nothing in turn waits).
	for _, sp := range []string{"s1", "s2"} {
		v := a.Enter(ctx, sp, victim)
		if !v.admitted || v.ch != nil {
			t.Fatalf("space %s: another client's request waited behind a client at its bound", sp)
		}
		a.Leave(v)
	}
	if a.active != 2 {
		t.Fatalf("%d active, want the flooding client's 2", a.active)
	}

	first.WaitStart() // parked on the budget: its client's next executes
	third := <-waiting
	select {
	case tk := <-waiting:
		t.Fatalf("two requests admitted for one parked (%v)", tk)
	case <-time.After(20 * time.Millisecond):
	}
	first.WaitDone() // granted: it executes again, above the bound
	if a.running[admKey{"s1", flood}] != 3 {
		t.Fatalf("running %d, want 3", a.running[admKey{"s1", flood}])
	}
	a.Leave(first)
	a.Leave(second) // back below the bound: the next is admitted
	fourth := <-waiting

	// One still waits; it gives up: no trace remains.
	a.Leave(third)
	fifth := <-waiting
	a.Leave(fourth)
	a.Leave(fifth)
	if a.active != 0 || a.waiting != 0 || len(a.bySpace) != 0 || a.spaces.Len() != 0 || len(a.running) != 0 {
		t.Errorf("idle admission keeps %d active, %d waiting, %d spaces, %d running", a.active, a.waiting, len(a.bySpace), len(a.running))
	}
}

// TestAdmissionPerClientGivesUp: a waiting request of a client at its
// bound that gives up leaves no trace, and its client's turns go on.
func TestAdmissionPerClientGivesUp(t *testing.T) {
	a := New(10, 1, 30*time.Millisecond, nil)
	ctx := context.Background()
	holder := a.Enter(ctx, "s1", clientKey("c1"))
	late := a.Enter(ctx, "s1", clientKey("c1"))
	if late.refusal == nil || late.admitted {
		t.Fatalf("a request of a client at its bound: refusal %v, admitted %v", late.refusal, late.admitted)
	}
	a.Leave(holder)
	next := a.Enter(ctx, "s1", clientKey("c1"))
	if !next.admitted || next.ch != nil {
		t.Fatal("the client's next request waited with its bound free")
	}
	a.Leave(next)
	if a.active != 0 || a.waiting != 0 || len(a.bySpace) != 0 || a.spaces.Len() != 0 || len(a.running) != 0 {
		t.Errorf("idle admission keeps %d active, %d waiting, %d spaces, %d running", a.active, a.waiting, len(a.bySpace), len(a.running))
	}
}

// TestAdmissionCrowdDoesNotStarve: one client with requests waiting gets
// its turn once per cycle among a crowd of clients that each wait with one
// request, are admitted, and come back at once with the next (a flood of
// many clients from one connection each). Before, a returning client was
// put after the turn instead of behind it, and the crowd kept the turn
// from ever coming back to the first client: gatewaybench's hostileCost
// with 128 attackers and graphql.maxExecuting 8 had the victim's requests
// wait the whole 10 s flood.
func TestAdmissionCrowdDoesNotStarve(t *testing.T) {
	a := New(1, 0, time.Minute, nil)
	current := a.Enter(context.Background(), "s", clientKey("holder"))
	type admission struct {
		tk     *Ticket
		client string
	}
	admitted := make(chan admission, 16)
	enter := func(client string) {
		go func() { admitted <- admission{a.Enter(context.Background(), "s", clientKey(client)), client} }()
	}
	waiting := 0
	for _, c := range []string{"victim", "victim", "victim", "c1", "c2", "c3", "c4"} {
		enter(c)
		waiting++
		waitQueued(t, a, waiting)
	}
	victim := 0
	for turn := 1; turn <= 15 && victim < 3; turn++ {
		a.Leave(current)
		ad := <-admitted
		current = ad.tk
		if ad.client == "victim" {
			victim++
			waiting--
		} else {
			enter(ad.client) // back at once with its next request
		}
		waitQueued(t, a, waiting)
	}
	if victim != 3 {
		t.Errorf("the victim had %d of its 3 requests admitted in 15 turns among 5 clients, want all", victim)
	}
	a.Leave(current)
	for range waiting {
		a.Leave((<-admitted).tk)
	}
}
