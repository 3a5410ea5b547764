package gateway

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
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
func waitQueued(t *testing.T, a *admission, n int) {
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
			a := newAdmission(1, 0, time.Minute, nil)
			holder := a.enter(context.Background(), "s0", clientKey("c0"))
			if !holder.admitted {
				t.Fatal("the first request waits")
			}
			admitted := make(chan *ticket, len(tt.arrivals))
			label := map[*ticket]string{}
			var mu sync.Mutex
			for i, ar := range tt.arrivals {
				go func() {
					tk := a.enter(context.Background(), ar.space, clientKey(ar.client))
					mu.Lock()
					label[tk] = ar.label
					mu.Unlock()
					admitted <- tk
				}()
				waitQueued(t, a, i+1)
			}
			var got []string
			a.leave(holder)
			for range tt.arrivals {
				tk := <-admitted
				mu.Lock()
				got = append(got, label[tk])
				mu.Unlock()
				a.leave(tk)
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
	a := newAdmission(1, 0, time.Minute, nil)
	ctx := context.Background()
	first := a.enter(ctx, "s1", clientKey("c1"))
	first.WaitStart()
	first.WaitStart() // two of its calls wait; the first only counts
	second := a.enter(ctx, "s2", clientKey("c2"))
	if !second.admitted {
		t.Fatal("a request waits for one whose calls all wait for the budget")
	}
	first.WaitDone()
	first.WaitDone() // granted: it executes again, beside the second
	if a.active != 2 {
		t.Fatalf("%d requests count as executing, want 2 (the bound is exceeded, not waited for)", a.active)
	}
	third := make(chan *ticket, 1)
	go func() { third <- a.enter(ctx, "s3", clientKey("c3")) }()
	waitQueued(t, a, 1)
	a.leave(first) // admits synchronously, if at all
	a.mu.Lock()
	stillWaits := a.waiting == 1
	a.mu.Unlock()
	if !stillWaits {
		t.Fatal("a request was admitted with the bound still reached")
	}
	a.leave(second)
	a.leave(<-third)
	if a.active != 0 {
		t.Errorf("%d active after every request left", a.active)
	}

	// A request that ends with a call still waiting (its deadline ended
	// the request first) does not count twice.
	last := a.enter(ctx, "s1", clientKey("c1"))
	last.WaitStart()
	a.leave(last)
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
	a := newAdmission(1, 0, 50*time.Millisecond, func(n int) { queued = append(queued, n) })
	ctx := context.Background()
	holder := a.enter(ctx, "s1", clientKey("c1"))

	late := a.enter(ctx, "s2", clientKey("c2"))
	if late.refusal == nil || late.refusal.Code != errcode.Unavailable || late.admitted {
		t.Fatalf("a request that waited maxWait: refusal %v, admitted %v", late.refusal, late.admitted)
	}
	if late.waited < 50*time.Millisecond {
		t.Errorf("it waited %v, want at least maxWait", late.waited)
	}

	gone, cancel := context.WithCancel(ctx)
	cancel()
	if tk := a.enter(gone, "s2", clientKey("c2")); tk.refusal == nil {
		t.Fatal("a request whose client went away was not refused")
	}
	if a.waiting != 0 || len(a.bySpace) != 0 || a.spaces.Len() != 0 {
		t.Errorf("the queue keeps %d waiting, %d spaces", a.waiting, len(a.bySpace))
	}
	if !slices.Equal(queued, []int{1, 0, 1, 0}) {
		t.Errorf("queue lengths reported %v, want [1 0 1 0]", queued)
	}
	a.leave(holder)
	if tk := a.enter(ctx, "s2", clientKey("c2")); !tk.admitted {
		t.Error("a request waits with no request executing")
	}
}

// TestWorkers: a request served on a worker panics on its connection's
// goroutine, where net/http expects it; the worker survives for the next.
func TestWorkers(t *testing.T) {
	ws := newWorkers()
	serve := func(h http.Handler) (p any) {
		defer func() { p = recover() }()
		ws.serve(nil, nil, h)
		return nil
	}
	if p := serve(panickingHandler{}); p != errSentinelPanic {
		t.Errorf("recovered %v, want the handler's panic", p)
	}
	ran := false
	if p := serve(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { ran = true })); p != nil || !ran {
		t.Errorf("after a panic: recovered %v, ran %v", p, ran)
	}
}

var errSentinelPanic = errors.New("handler panic")

type panickingHandler struct{}

func (panickingHandler) ServeHTTP(http.ResponseWriter, *http.Request) { panic(errSentinelPanic) }

// failingBody yields data, then fails with err.
type failingBody struct {
	data []byte
	err  error
}

func (b *failingBody) Read(p []byte) (int, error) {
	if len(b.data) == 0 {
		return 0, b.err
	}
	n := copy(p, b.data)
	b.data = b.data[n:]
	return n, nil
}

func (b *failingBody) Close() error { return nil }

// TestPrefetch: a body read ahead reads as the body itself would: the same
// bytes, the same end, the same error after the same bytes, and past the
// limit the rest still comes from the body.
func TestPrefetch(t *testing.T) {
	broken := errors.New("connection reset")
	tests := []struct {
		name    string
		body    func() io.ReadCloser
		limit   int64
		want    string
		wantErr error
	}{
		{"short body", func() io.ReadCloser { return io.NopCloser(strings.NewReader("hello")) }, 10, "hello", nil},
		{"body at the limit", func() io.ReadCloser { return io.NopCloser(strings.NewReader("0123456789")) }, 10, "0123456789", nil},
		{"body past the limit", func() io.ReadCloser { return io.NopCloser(strings.NewReader("0123456789abcdef")) }, 10, "0123456789abcdef", nil},
		{"error while read ahead", func() io.ReadCloser { return &failingBody{[]byte("par"), broken} }, 10, "par", broken},
		{"error after the limit", func() io.ReadCloser { return &failingBody{[]byte("0123456789abc"), broken} }, 4, "0123456789abc", broken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Unknown length (chunked), the length the body has, and a
			// declared length longer or shorter than the body.
			for _, length := range []int64{-1, int64(len(tt.want)), int64(len(tt.want)) + 3, 2} {
				body, over := prefetch(tt.body(), length, tt.limit)
				got, err := io.ReadAll(body)
				wantErr := tt.wantErr
				if wantErr == nil && length > int64(len(tt.want)) && length <= tt.limit {
					// Read whole: shorter than declared, as net/http says.
					wantErr = io.ErrUnexpectedEOF
				}
				if string(got) != tt.want || !errors.Is(err, wantErr) {
					t.Errorf("length %d: read %q, %v; want %q, %v", length, got, err, tt.want, wantErr)
				}
				if wantOver := int64(len(tt.want)) > tt.limit && (length < 0 || length > tt.limit); over != wantOver {
					t.Errorf("length %d: over the limit %v, want %v", length, over, wantOver)
				}
			}
		})
	}
	if body, _ := prefetch(http.NoBody, 0, 10); body != http.NoBody {
		t.Error("an empty body is not left as it is")
	}
}

// TestAdmissionPerClient: a client executes at most perClient requests at
// once, even with turns free; its others wait, and another client's
// request is admitted at once past them. A request of the client that
// stops executing (it ends, or its calls wait for the budget) lets the
// client's next in; the round-robin then serves it in its turn.
func TestAdmissionPerClient(t *testing.T) {
	a := newAdmission(10, 2, time.Minute, nil)
	ctx := context.Background()
	flood, victim := clientKey("flood"), clientKey("victim")
	first, second := a.enter(ctx, "s1", flood), a.enter(ctx, "s1", flood)
	if !first.admitted || !second.admitted {
		t.Fatal("a client's first two requests wait with turns free")
	}
	waiting := make(chan *ticket, 3)
	for i := range 3 {
		go func() { waiting <- a.enter(ctx, "s1", flood) }()
		waitQueued(t, a, i+1)
	}
	// Another client, of the same space and of another, is admitted at
	// once, on its own goroutine (nothing in turn waits).
	for _, sp := range []string{"s1", "s2"} {
		v := a.enter(ctx, sp, victim)
		if !v.admitted || v.ch != nil {
			t.Fatalf("space %s: another client's request waited behind a client at its bound", sp)
		}
		a.leave(v)
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
	a.leave(first)
	a.leave(second) // back below the bound: the next is admitted
	fourth := <-waiting

	// One still waits; it gives up: no trace remains.
	a.leave(third)
	fifth := <-waiting
	a.leave(fourth)
	a.leave(fifth)
	if a.active != 0 || a.waiting != 0 || len(a.bySpace) != 0 || a.spaces.Len() != 0 || len(a.running) != 0 {
		t.Errorf("idle admission keeps %d active, %d waiting, %d spaces, %d running", a.active, a.waiting, len(a.bySpace), len(a.running))
	}
}

// TestAdmissionPerClientGivesUp: a waiting request of a client at its
// bound that gives up leaves no trace, and its client's turns go on.
func TestAdmissionPerClientGivesUp(t *testing.T) {
	a := newAdmission(10, 1, 30*time.Millisecond, nil)
	ctx := context.Background()
	holder := a.enter(ctx, "s1", clientKey("c1"))
	late := a.enter(ctx, "s1", clientKey("c1"))
	if late.refusal == nil || late.admitted {
		t.Fatalf("a request of a client at its bound: refusal %v, admitted %v", late.refusal, late.admitted)
	}
	a.leave(holder)
	next := a.enter(ctx, "s1", clientKey("c1"))
	if !next.admitted || next.ch != nil {
		t.Fatal("the client's next request waited with its bound free")
	}
	a.leave(next)
	if a.active != 0 || a.waiting != 0 || len(a.bySpace) != 0 || a.spaces.Len() != 0 || len(a.running) != 0 {
		t.Errorf("idle admission keeps %d active, %d waiting, %d spaces, %d running", a.active, a.waiting, len(a.bySpace), len(a.running))
	}
}
