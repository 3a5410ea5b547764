package platformapi

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// budget paces one account's REST attempts to the vendor's rate limit, so
// that calls wait for a token instead of provoking 503s. Waiting calls are
// served round-robin across flows (one flow per GraphQL request), so a large
// attach that keeps many calls queued cannot starve a small one that
// arrives later: each waiting request gets every n-th token.
type budget struct {
	lim *rate.Limiter

	mu      sync.Mutex
	flows   map[*flow]*flowQueue
	ring    []*flow // flows with waiters, in service order
	pos     int     // next flow in ring to serve
	running bool    // a dispatcher goroutine is handing out tokens
}

type flowQueue struct{ waiters []*grant }

// grant is one waiting call.
type grant struct {
	ch    chan struct{}
	state grantState
}

type grantState int

const (
	waiting grantState = iota
	granted
	abandoned
)

// newBudget returns a budget of perSecond with burst, or nil (no limit)
// when perSecond is not positive.
func newBudget(perSecond float64, burst int) *budget {
	if perSecond <= 0 {
		return nil
	}
	return &budget{lim: rate.NewLimiter(rate.Limit(perSecond), max(burst, 1)), flows: map[*flow]*flowQueue{}}
}

// wait blocks until flow may make one call, or ctx ends.
func (b *budget) wait(ctx context.Context, f *flow) error {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	if len(b.ring) == 0 && b.lim.Allow() {
		b.mu.Unlock() // nobody queued and a token at hand: the common case
		return nil
	}
	if err := ctx.Err(); err != nil {
		b.mu.Unlock()
		return err
	}
	g := &grant{ch: make(chan struct{})}
	q := b.flows[f]
	if q == nil {
		q = &flowQueue{}
		b.flows[f] = q
	}
	if len(q.waiters) == 0 {
		b.ring = append(b.ring, f)
	}
	q.waiters = append(q.waiters, g)
	if !b.running {
		b.running = true
		go b.dispatch()
	}
	b.mu.Unlock()

	select {
	case <-g.ch:
		return nil
	case <-ctx.Done():
		b.mu.Lock()
		defer b.mu.Unlock()
		if g.state == granted {
			return nil // granted as we gave up: use it
		}
		g.state = abandoned
		return ctx.Err()
	}
}

// dispatch hands out tokens as the limiter makes them, until no call waits.
func (b *budget) dispatch() {
	for {
		r := b.lim.Reserve()
		if d := r.Delay(); d > 0 {
			time.Sleep(d)
		}
		b.mu.Lock()
		g := b.next()
		if g == nil {
			b.running = false
			b.mu.Unlock()
			r.Cancel() // give the token back if it is still ours to return
			return
		}
		g.state = granted
		close(g.ch)
		b.mu.Unlock()
	}
}

// next pops the next live waiter, round-robin over flows. Callers hold mu.
func (b *budget) next() *grant {
	for len(b.ring) > 0 {
		if b.pos >= len(b.ring) {
			b.pos = 0
		}
		f := b.ring[b.pos]
		q := b.flows[f]
		g := q.waiters[0]
		q.waiters[0] = nil
		q.waiters = q.waiters[1:]
		if len(q.waiters) == 0 {
			delete(b.flows, f)
			b.ring = append(b.ring[:b.pos], b.ring[b.pos+1:]...)
		} else {
			b.pos++
		}
		if g.state == waiting {
			return g
		}
	}
	return nil
}

// flow groups the calls of one GraphQL request for fair queuing; its
// identity is its address. Calls outside any flow share the nil flow.
type flow struct{ _ byte }

type flowKey struct{}

// WithFlow returns a context whose REST calls form one new flow: the rate
// budget serves flows in turn. The HTTP layer starts one per request.
func WithFlow(ctx context.Context) context.Context {
	return context.WithValue(ctx, flowKey{}, &flow{})
}

func flowFrom(ctx context.Context) *flow {
	f, _ := ctx.Value(flowKey{}).(*flow)
	return f
}
