// Package admission gives GraphQL requests fair turns to execute: a queue
// of at most graphql.maxExecuting requests executing at once and
// clients.maxExecuting of one client, round-robin over the spaces and
// their clients (Queue); the goroutines a request that waited executes on
// (Workers); and the read-ahead of a request's body before it takes its
// turn (Prefetch). A request waits as the client its authentication named
// (auth.Principal's space and client); the gateway's handler takes its
// turn, and the request's Ticket is in its context (TicketFrom).
package admission

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/ipack-gateway/ipack-gateway/errcode"
	"github.com/ipack-gateway/ipack-gateway/internal/roundrobin"
)

// Queue bounds the GraphQL requests that execute at once
// (graphql.maxExecuting). A request beyond the bound waits for a turn with
// nothing built for it but who it is from (its authentication, done
// before the wait) and its body's bytes (read before the wait, so that a
// slow sender holds no turn; see Prefetch): no routing, parsing, execution
// state or deep goroutine stack. It then holds what net/http holds for any request (its
// connection's buffers and a shallow stack), as the pass-through proxy's
// requests do while they wait for an upstream connection, instead of the
// ~30 KiB of an executing request's stack and heap (docs/performance.md).
// Requests that authentication will refuse take no turn.
//
// Turns are fair, as the REST budget's grants are: round-robin over the
// spaces with waiting requests, within a space over its clients, and a
// client's own requests first come first served. So a client that floods
// the gateway delays another space's request by at most one turn per
// other space waiting, not by its whole backlog.
//
// A client executes at most perClient requests at once
// (clients.maxExecuting; 0: no bound), counted as the bound on all is:
// its others wait, out of the round-robin while it is at its bound, even
// when turns are free. Executing is where a request costs CPU and memory
// (analysis, graphql-go's validation); while turns are free there is no
// queue to be fair in, so without this a client flooding from 64
// connections had 64 requests competing for the cores with another
// client's one (docs/cost-bounds.md).
//
// A request with REST calls waiting for the account's rate budget does
// not count as executing while they wait (it is told by its flow's
// platformapi.WaitObserver), even if others of its calls are in flight:
// otherwise the requests of a paced account could hold every turn while
// they wait for tokens, and a request of another space would wait for
// whole requests to end instead of for its own grant, breaking the
// budget's "at most one grant per other space". A request whose calls are
// granted counts again at once, above the bound if need be: it holds a
// grant that must not go stale. Under pacing it is therefore the budget,
// and clients.maxQueued per client, that bound what executes.
//
// A request that waited for its turn executes on a worker goroutine, not
// on its connection's: its stack grows to what execution needs (16 KiB;
// see TestAttachStack) while the connection's stays as net/http left it,
// so the goroutines of waiting requests stay small. One admitted at once
// executes on its connection's goroutine: nothing waits then.
type Queue struct {
	limit     int
	perClient int // a client's executing requests at most; 0: no bound
	maxWait   time.Duration
	queue     func(n int) // told the number of waiting requests; may be nil

	mu      sync.Mutex
	active  int // requests executing, not counting those parked on the budget
	waiting int // requests waiting for a turn
	// spaces holds the spaces with clients in turn: clients with waiting
	// requests that are below perClient.
	spaces  roundrobin.Ring[*admSpace]
	bySpace map[string]*admSpace
	// running counts each client's executing requests, as active counts
	// them; only with perClient.
	running map[admKey]int
}

// admKey is a client of a space.
type admKey struct {
	space  string
	client [32]byte
}

// admSpace is a space's part of the queue.
type admSpace struct {
	name     string
	clients  roundrobin.Ring[*admClient]
	byClient map[[32]byte]*admClient
}

// admClient is a client's waiting requests, first come first served.
type admClient struct {
	space *admSpace
	key   [32]byte
	queue []*Ticket
	// blocked: the client is at perClient, and so out of its space's
	// round-robin until one of its requests stops executing.
	blocked bool
}

// A Ticket is a GraphQL request's place in the Queue: waiting, then
// executing. It is the request's flow observer (platformapi.WaitObserver).
type Ticket struct {
	a       *Queue
	key     admKey
	ch      chan struct{} // closed on admission; only for requests that waited
	client  *admClient    // while waiting
	waited  time.Duration // how long the request waited for its turn
	refusal *errcode.Error

	// Under a.mu:
	admitted bool
	finished bool
	calls    int // REST calls waiting for the budget
}

// New returns a Queue of at most limit requests executing at once, at
// most perClient of one client (0: no such bound), each waiting at most
// maxWait for its turn. queue, when not nil, is told the
// number of requests waiting each time it changes.
func New(limit, perClient int, maxWait time.Duration, queue func(int)) *Queue {
	return &Queue{limit: limit, perClient: perClient, maxWait: maxWait, queue: queue,
		bySpace: map[string]*admSpace{}, running: map[admKey]int{}}
}

// Enter returns the ticket of a request of client in space once it may
// execute, or one with its refusal once it has waited maxWait or ctx has
// ended. A ticket that is not refused must be given back with Leave once
// its request is served.
func (a *Queue) Enter(ctx context.Context, space string, client [32]byte) *Ticket {
	t := &Ticket{a: a, key: admKey{space, client}}
	a.mu.Lock()
	// No client in turn waits (clients at their bound may), and there is
	// room for this one.
	if a.spaces.Len() == 0 && a.active < a.limit && a.below(t.key) {
		t.admitted = true
		a.start(t)
		a.mu.Unlock()
		return t
	}
	t.ch = make(chan struct{})
	a.enqueue(t)
	a.dispatch() // its turn may be now: the queue held only clients at their bound
	a.mu.Unlock()

	start := time.Now()
	timer := time.NewTimer(a.maxWait)
	defer timer.Stop()
	var cause string
	select {
	case <-t.ch:
		t.waited = time.Since(start)
		return t
	case <-timer.C:
		cause = fmt.Sprintf("waited %s for a turn among the %d requests that execute at once", a.maxWait, a.limit)
	case <-ctx.Done():
		cause = "was cancelled while it waited for its turn (the client went away, or the gateway is shutting down)"
	}
	t.waited = time.Since(start)
	a.mu.Lock()
	defer a.mu.Unlock()
	if t.admitted {
		return t // admitted as it gave up: use the turn
	}
	a.abandon(t)
	t.refusal = errcode.New(errcode.Unavailable, "The gateway is at capacity: the request "+cause+"; retry later").With("retryAfter", 1)
	return t
}

// Waited reports whether the request waited for its turn (rather than
// being admitted at once), and for how long.
func (t *Ticket) Waited() (time.Duration, bool) { return t.waited, t.ch != nil }

// Refusal is why the request had no turn (it waited maxWait, or it was
// cancelled while it waited), or nil when it has one.
func (t *Ticket) Refusal() *errcode.Error { return t.refusal }

type ticketKey struct{}

// WithTicket returns ctx with the request's ticket, for TicketFrom.
func WithTicket(ctx context.Context, t *Ticket) context.Context {
	return context.WithValue(ctx, ticketKey{}, t)
}

// TicketFrom returns the ticket of the request of ctx, or nil when it took
// no turn.
func TicketFrom(ctx context.Context) *Ticket {
	t, _ := ctx.Value(ticketKey{}).(*Ticket)
	return t
}

// Leave ends t's turn and hands it to the next waiting request.
func (a *Queue) Leave(t *Ticket) {
	a.mu.Lock()
	defer a.mu.Unlock()
	t.finished = true
	if t.calls == 0 {
		a.stop(t)
	}
	a.dispatch()
}

// WaitStart implements platformapi.WaitObserver. It is told that one of t's REST calls waits for the account's
// rate budget: from the first, t stops counting as executing.
func (t *Ticket) WaitStart() {
	a := t.a
	a.mu.Lock()
	defer a.mu.Unlock()
	t.calls++
	if t.calls == 1 && !t.finished {
		a.stop(t)
		a.dispatch()
	}
}

// WaitDone implements platformapi.WaitObserver. It is told that a call of t stopped waiting for the budget: once
// none waits, t counts as executing again, whatever the bound.
func (t *Ticket) WaitDone() {
	a := t.a
	a.mu.Lock()
	defer a.mu.Unlock()
	t.calls--
	if t.calls == 0 && !t.finished {
		a.start(t)
	}
}

// dispatch admits waiting requests, in their turns, while fewer than limit
// execute. Callers hold mu.
func (a *Queue) dispatch() {
	for a.spaces.Len() > 0 && a.active < a.limit {
		t := a.next()
		t.admitted = true
		a.start(t)
		close(t.ch)
	}
}

// below reports whether k's client executes fewer than perClient requests.
// Callers hold mu.
func (a *Queue) below(k admKey) bool {
	return a.perClient == 0 || a.running[k] < a.perClient
}

// start counts t as executing; at its client's bound, the client's
// waiting requests leave the round-robin. Callers hold mu.
func (a *Queue) start(t *Ticket) {
	a.active++
	if a.perClient == 0 {
		return
	}
	a.running[t.key]++
	if c := a.client(t.key); c != nil && !c.blocked && !a.below(t.key) {
		a.block(c)
	}
}

// stop counts t as executing no more; below its client's bound again, the
// client's waiting requests are back in the round-robin. Callers hold mu.
func (a *Queue) stop(t *Ticket) {
	a.active--
	if a.perClient == 0 {
		return
	}
	if a.running[t.key]--; a.running[t.key] <= 0 {
		delete(a.running, t.key)
	}
	if c := a.client(t.key); c != nil && c.blocked && a.below(t.key) {
		a.unblock(c)
	}
}

// client returns k's waiting requests, or nil when none waits. Callers
// hold mu.
func (a *Queue) client(k admKey) *admClient {
	if sp := a.bySpace[k.space]; sp != nil {
		return sp.byClient[k.client]
	}
	return nil
}

// block takes c, whose requests wait, out of the round-robin. Callers
// hold mu.
func (a *Queue) block(c *admClient) {
	c.blocked = true
	a.drop(c)
}

// drop takes c out of its space's round-robin, and the space out of the
// spaces' once none of its clients is in turn. Callers hold mu.
func (a *Queue) drop(c *admClient) {
	sp := c.space
	sp.clients.Remove(c)
	if sp.clients.Len() == 0 {
		a.spaces.Remove(sp)
	}
}

// unblock puts c, whose requests wait, back in the round-robin, last.
// Callers hold mu.
func (a *Queue) unblock(c *admClient) {
	c.blocked = false
	a.push(c)
}

// push puts c last in its space's round-robin, and the space in the
// spaces' if it was not. Callers hold mu.
func (a *Queue) push(c *admClient) {
	sp := c.space
	if sp.clients.Len() == 0 {
		a.spaces.Push(sp)
	}
	sp.clients.Push(c)
}

// enqueue puts t last in its client's queue. Callers hold mu.
func (a *Queue) enqueue(t *Ticket) {
	sp := a.bySpace[t.key.space]
	if sp == nil {
		sp = &admSpace{name: t.key.space, byClient: map[[32]byte]*admClient{}}
		a.bySpace[t.key.space] = sp
	}
	c := sp.byClient[t.key.client]
	if c == nil {
		c = &admClient{space: sp, key: t.key.client}
		sp.byClient[t.key.client] = c
	}
	if len(c.queue) == 0 {
		if a.below(t.key) {
			a.push(c)
		} else {
			c.blocked = true
		}
	}
	c.queue = append(c.queue, t)
	t.client = c
	a.waiting++
	a.reportQueue()
}

// next pops the request whose turn it is; some must wait. Callers hold mu.
func (a *Queue) next() *Ticket {
	sp := a.spaces.Current()
	c := sp.clients.Current()
	t := c.queue[0]
	c.queue[0] = nil
	c.queue = c.queue[1:]
	sp.clients.Served(len(c.queue) == 0)
	a.spaces.Served(sp.clients.Len() == 0)
	a.forget(c)
	a.waiting--
	a.reportQueue()
	return t
}

// abandon takes t, whose request gave up, out of its client's queue.
// Callers hold mu.
func (a *Queue) abandon(t *Ticket) {
	c := t.client
	if i := slices.Index(c.queue, t); i >= 0 {
		c.queue = slices.Delete(c.queue, i, i+1) // clears the freed slot
	}
	if len(c.queue) == 0 {
		if !c.blocked { // else out of the round-robin already
			a.drop(c)
		}
		c.blocked = false
	}
	a.forget(c)
	a.waiting--
	a.reportQueue()
}

// forget drops c, and its space, once nothing of theirs waits. Callers
// hold mu.
func (a *Queue) forget(c *admClient) {
	if len(c.queue) > 0 {
		return
	}
	sp := c.space
	delete(sp.byClient, c.key)
	if len(sp.byClient) == 0 {
		delete(a.bySpace, sp.name)
	}
}

// reportQueue tells the queue's length to whoever counts it. Callers hold
// mu.
func (a *Queue) reportQueue() {
	if a.queue != nil {
		a.queue(a.waiting)
	}
}
