package platformapi

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipack-gateway/ipack-gateway/internal/roundrobin"
)

// budget paces one account's REST attempts to the vendor's rate limit, so
// that calls wait for a token instead of provoking 503s.
//
// Waiting calls are served by hierarchical round-robin: the tokens go in
// turn to the spaces with waiting calls; within a space, in turn to its
// clients; within a client, in turn to its requests (flows); within a
// request, first come first served. So while one client floods the
// account, a call of another space waits for at most one grant per other
// space with waiting calls, and a call of another client of the same space
// for at most one grant per space and client ahead of it; a client's small
// query is not stuck behind its own large attach either.
//
// A client may have at most maxQueued requests counted as waiting: a
// request counts from its first call that has to wait until the request
// ends (its flow's end function), so a request admitted to the queue keeps
// its place between its calls. A call of a further request is refused at
// once (QueueFullError) instead of queueing.
//
// The common case, no call waiting and a token at hand, takes no lock of
// the queue's, allocates nothing and starts no goroutine. Otherwise one
// dispatcher goroutine hands out tokens as the TokenSource makes them,
// and ends as soon as no call waits.
type budget struct {
	src       TokenSource
	perSecond float64 // the rate, for Retry-After estimates only
	maxQueued int     // requests per client counted as waiting; 0: no bound

	queued atomic.Int64 // calls waiting; written under mu

	mu      sync.Mutex
	spaces  roundrobin.Ring[*spaceQueue] // spaces with waiting calls, in service order
	byName  map[string]*spaceQueue       // spaces with waiting calls or counted requests
	flows   map[*flow]*flowQueue         // flows with waiting calls or counted
	anon    flow                         // the flow of calls made outside any
	running bool                         // a dispatcher goroutine is handing out tokens
}

// spaceQueue is a space's part of the queue.
type spaceQueue struct {
	name    string
	clients roundrobin.Ring[*clientQueue] // clients with waiting calls
	byKey   map[string]*clientQueue       // clients with waiting calls or counted requests
}

// clientQueue is a client's part of its space's queue.
type clientQueue struct {
	space   *spaceQueue
	key     string
	flows   roundrobin.Ring[*flowQueue] // the client's requests with waiting calls
	waiting int                         // calls waiting
	held    int                         // requests counted against maxQueued
}

// flowQueue is a request's waiting calls, first come first served.
type flowQueue struct {
	f       *flow
	client  *clientQueue
	waiters []*grant
	counted bool // counts against the client's maxQueued until f ends
}

// grant is one waiting call.
type grant struct {
	ch      chan struct{}
	granted bool  // under mu
	err     error // the token source's, when it failed
}

// newBudget returns a budget that takes its tokens from src. perSecond is
// src's rate, for estimates; maxQueued bounds each client's waiting
// requests (0: no bound).
func newBudget(src TokenSource, perSecond float64, maxQueued int) *budget {
	return &budget{src: src, perSecond: perSecond, maxQueued: maxQueued,
		byName: map[string]*spaceQueue{}, flows: map[*flow]*flowQueue{}}
}

// QueueFullError is the error of a call refused at once, without waiting,
// because its client already has Limits.MaxQueuedPerClient requests
// waiting for the account's rate budget. It matches ErrQueueFull.
type QueueFullError struct {
	// RetryAfter estimates when the client's waiting calls will have been
	// served at its fair share of the budget: a hint, at most a minute.
	RetryAfter time.Duration
}

// ErrQueueFull is matched by QueueFullError: the call was never sent.
var ErrQueueFull = errors.New("the client has too many requests waiting for the account's rate budget")

func (e *QueueFullError) Error() string { return ErrQueueFull.Error() }

// Is makes errors.Is(err, ErrQueueFull) true.
func (e *QueueFullError) Is(target error) bool { return target == ErrQueueFull }

// wait blocks until flow f may make one call, or ctx ends, or f's client
// has too many requests waiting (*QueueFullError). A nil f is the shared
// flow of calls made outside any.
func (b *budget) wait(ctx context.Context, f *flow) error {
	if b == nil {
		return nil
	}
	if f == nil {
		f = &b.anon
	}
	if b.queued.Load() == 0 {
		// Nobody waits: take a token if there is one. A call that queues
		// meanwhile is overtaken by this one at most.
		d, err := b.src.Take(ctx)
		if err != nil {
			return err
		}
		if d == 0 {
			return nil
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	g := &grant{ch: make(chan struct{})}
	b.mu.Lock()
	if err := b.enqueue(f, g); err != nil {
		b.mu.Unlock()
		return err
	}
	if !b.running {
		b.running = true
		go b.dispatch()
	}
	b.mu.Unlock()
	if f.obs != nil {
		f.obs.WaitStart()
		defer f.obs.WaitDone()
	}

	select {
	case <-g.ch:
		return g.err
	case <-ctx.Done():
		b.mu.Lock()
		defer b.mu.Unlock()
		if g.granted {
			return g.err // granted as we gave up: use it
		}
		b.abandon(f, g)
		return ctx.Err()
	}
}

// dispatch hands out tokens as the source makes them, until no call waits.
func (b *budget) dispatch() {
	for {
		b.mu.Lock()
		if b.queued.Load() == 0 {
			b.running = false
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
		// Tokens are for whoever waits, not for one caller: no caller's
		// context bounds the question. Sources bound their own I/O.
		d, err := b.src.Take(context.Background())
		if err == nil && d > 0 {
			time.Sleep(d)
			continue
		}
		b.mu.Lock()
		// Every waiter may have given up since: then the token is lost,
		// which costs pace, never correctness.
		if g := b.next(); g != nil {
			g.err = err
			g.granted = true
			close(g.ch)
		}
		b.mu.Unlock()
	}
}

// enqueue queues g for f, or refuses it when f is not counted yet and its
// client already has maxQueued requests counted. Callers hold mu.
func (b *budget) enqueue(f *flow, g *grant) error {
	fq := b.flows[f]
	if fq == nil {
		sp := b.byName[f.key.Space]
		if sp == nil {
			sp = &spaceQueue{name: f.key.Space, byKey: map[string]*clientQueue{}}
			b.byName[sp.name] = sp
		}
		cq := sp.byKey[f.key.Client]
		if cq == nil {
			cq = &clientQueue{space: sp, key: f.key.Client}
			sp.byKey[cq.key] = cq
		}
		fq = &flowQueue{f: f, client: cq}
		b.flows[f] = fq
	}
	cq := fq.client
	if !fq.counted && b.maxQueued > 0 && f.key.Client != "" {
		if cq.held >= b.maxQueued {
			b.tidy(fq)
			return &QueueFullError{RetryAfter: b.estimate(cq)}
		}
		if f.hold(b) {
			fq.counted = true
			cq.held++
		}
	}
	if len(fq.waiters) == 0 {
		if cq.flows.Len() == 0 {
			sp := cq.space
			if sp.clients.Len() == 0 {
				b.spaces.Push(sp)
			}
			sp.clients.Push(cq)
		}
		cq.flows.Push(fq)
	}
	fq.waiters = append(fq.waiters, g)
	cq.waiting++
	b.queued.Add(1)
	return nil
}

// next pops the waiter whose turn it is, or returns nil when none waits,
// and moves every level of the round-robin past it. Callers hold mu.
func (b *budget) next() *grant {
	if b.spaces.Len() == 0 {
		return nil
	}
	sp := b.spaces.Current()
	cq := sp.clients.Current()
	fq := cq.flows.Current()
	g := fq.waiters[0]
	fq.waiters[0] = nil
	fq.waiters = fq.waiters[1:]
	cq.waiting--
	b.queued.Add(-1)
	cq.flows.Served(len(fq.waiters) == 0)
	sp.clients.Served(cq.flows.Len() == 0)
	b.spaces.Served(sp.clients.Len() == 0)
	b.tidy(fq)
	return g
}

// abandon takes g, whose caller gave up, out of f's queue. Callers hold mu.
func (b *budget) abandon(f *flow, g *grant) {
	fq := b.flows[f]
	i := slices.Index(fq.waiters, g)
	fq.waiters = slices.Delete(fq.waiters, i, i+1)
	cq := fq.client
	cq.waiting--
	b.queued.Add(-1)
	if len(fq.waiters) == 0 {
		cq.flows.Remove(fq)
		if cq.flows.Len() == 0 {
			sp := cq.space
			sp.clients.Remove(cq)
			if sp.clients.Len() == 0 {
				b.spaces.Remove(sp)
			}
		}
	}
	b.tidy(fq)
}

// release stops counting f against its client's maxQueued: f has ended.
func (b *budget) release(f *flow) {
	b.mu.Lock()
	defer b.mu.Unlock()
	fq := b.flows[f]
	if fq == nil || !fq.counted {
		return
	}
	fq.counted = false
	fq.client.held--
	b.tidy(fq)
}

// tidy forgets fq, its client and its space when they no longer hold
// waiting calls or counted requests. Callers hold mu.
func (b *budget) tidy(fq *flowQueue) {
	if len(fq.waiters) > 0 || fq.counted {
		return
	}
	delete(b.flows, fq.f)
	cq := fq.client
	if cq.flows.Len() > 0 || cq.held > 0 {
		return
	}
	sp := cq.space
	delete(sp.byKey, cq.key)
	if len(sp.byKey) == 0 {
		delete(b.byName, sp.name)
	}
}

// full reports whether a new request of key would be refused, and if so,
// the estimated wait; see Client.QueueFull.
func (b *budget) full(key FlowKey) (bool, time.Duration) {
	if b == nil || b.maxQueued <= 0 || key.Client == "" {
		return false, 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	sp := b.byName[key.Space]
	if sp == nil {
		return false, 0
	}
	cq := sp.byKey[key.Client]
	if cq == nil || cq.held < b.maxQueued {
		return false, 0
	}
	return true, b.estimate(cq)
}

// estimate is how long cq's waiting calls take at the client's fair share
// of the budget as it is shared now, at least a second and at most a
// minute: a hint for Retry-After. Callers hold mu.
func (b *budget) estimate(cq *clientQueue) time.Duration {
	if b.perSecond <= 0 {
		return time.Second
	}
	share := b.perSecond / float64(max(b.spaces.Len(), 1)*max(cq.space.clients.Len(), 1))
	d := time.Duration(float64(max(cq.waiting, 1)) / share * float64(time.Second))
	return min(max(d, time.Second), time.Minute)
}

// FlowKey says whom a flow's calls are for. An account's budget is shared
// fairly first between spaces, then between the clients of a space. Keys
// are opaque and compared only: the gateway passes a hash of a client's
// token or address, never the token.
type FlowKey struct {
	// Space is the space the calls act for.
	Space string
	// Client is the client within the space. Flows without one are not
	// bounded by Limits.MaxQueuedPerClient.
	Client string
}

// flow groups the calls of one request for fair queueing; its identity is
// its address.
type flow struct {
	key FlowKey
	obs WaitObserver // nil: none

	mu      sync.Mutex
	ended   bool
	budgets []*budget // that count the flow against its client until it ends
}

// hold records that b counts f against its client until f ends; it
// reports false, and b must not count f, when f has ended already.
func (f *flow) hold(b *budget) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ended {
		return false
	}
	f.budgets = append(f.budgets, b)
	return true
}

// end stops counting f against its client's bound; idempotent.
func (f *flow) end() {
	f.mu.Lock()
	f.ended = true
	held := f.budgets
	f.budgets = nil
	f.mu.Unlock()
	for _, b := range held {
		b.release(f)
	}
}

type flowKey struct{}

// WithFlow returns a context whose REST calls form one new flow, one
// request of key's client, and the function that ends it. The HTTP layer
// starts one flow per GraphQL request.
//
// An account's calls that wait for its rate budget are served by
// hierarchical round-robin: each token goes to the next space with calls
// waiting, within it to the next client, within that to the next flow, and
// within a flow to its oldest call. Once one of its calls has waited, a
// flow counts against its client's Limits.MaxQueuedPerClient until end is
// called, which the caller must do when the request is over; end may be
// called more than once. Calls made outside any flow share one flow
// without a client.
func WithFlow(ctx context.Context, key FlowKey) (_ context.Context, end func()) {
	f := &flow{key: key}
	return context.WithValue(ctx, flowKey{}, f), f.end
}

// A WaitObserver is told when a flow's calls wait for the account's rate
// budget: WaitStart once a call has queued, WaitDone once it stops waiting
// (granted, or given up). Calls that find a token at hand, and calls
// refused at once, are not reported. Calls of one flow may run on several
// goroutines, so the two may be called concurrently.
//
// The gateway uses it to tell a request that is executing from one that
// only waits for the budget (see gateway's admission).
type WaitObserver interface {
	WaitStart()
	WaitDone()
}

// WithFlowObserver is WithFlow, with the flow's waiting calls reported to
// obs.
func WithFlowObserver(ctx context.Context, key FlowKey, obs WaitObserver) (_ context.Context, end func()) {
	f := &flow{key: key, obs: obs}
	return context.WithValue(ctx, flowKey{}, f), f.end
}

func flowFrom(ctx context.Context) *flow {
	f, _ := ctx.Value(flowKey{}).(*flow)
	return f
}
