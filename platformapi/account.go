package platformapi

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/sony/gobreaker/v2"
)

// Limits are the per-account protections: the rate budget shared by every
// call to one account, and the circuit breaker that fails fast when the
// account's calls keep failing.
type Limits struct {
	// RequestsPerSecond is the account's REST budget; 0 disables pacing.
	// The vendor allows 10.
	RequestsPerSecond float64
	// Burst is how many calls may go at once after a quiet spell; below
	// 1, 1.
	Burst int
	// MaxQueuedPerClient bounds the requests (flows, see WithFlow) of one
	// client, FlowKey.Client within its space, that may wait for the
	// account's budget at once. A request counts from its first call that
	// has to wait until it ends; past the bound, calls of further requests
	// fail at once with a QueueFullError, unsent. 0: no bound.
	MaxQueuedPerClient int
	// TokenSource, when set, makes each account's source of tokens (one
	// shared by several replicas, say); nil means an in-process bucket,
	// NewLimiterSource(RequestsPerSecond, Burst). Either way, calls are
	// queued and served as described in WithFlow, and RequestsPerSecond
	// (which must be positive for any pacing) is the rate assumed for
	// Retry-After estimates.
	TokenSource func(accountID string) TokenSource
	// Breaker configures the circuit breaker.
	Breaker BreakerSettings
}

// BreakerSettings configure the per-account circuit breaker. It opens when,
// within Window, at least MinRequests calls ended and FailureRatio of them
// failed (a failure is a 5xx, 429 or no answer, after retries); it stays
// open for OpenFor, then lets HalfOpenProbes calls through to test the water.
// Zero fields take DefaultLimits.Breaker's values.
type BreakerSettings struct {
	Disabled       bool
	FailureRatio   float64
	MinRequests    uint32
	Window         time.Duration
	OpenFor        time.Duration
	HalfOpenProbes uint32
}

// DefaultLimits are the limits the gateway starts from (the config's
// platform.rateLimit, platform.circuitBreaker and clients.maxQueued
// defaults are these values): the vendor's documented 10 calls a second
// per account, one at a time, 16 waiting requests per client (1.6 s of
// that budget), and a breaker that opens when half of at least 20 calls
// in 30 s failed. A zero Limits paces nothing and bounds no queue: zero
// means "off" for those fields, so start from DefaultLimits for the
// defaults.
var DefaultLimits = Limits{
	RequestsPerSecond:  10,
	Burst:              1,
	MaxQueuedPerClient: 16,
	Breaker: BreakerSettings{
		FailureRatio:   0.5,
		MinRequests:    20,
		Window:         30 * time.Second,
		OpenFor:        30 * time.Second,
		HalfOpenProbes: 3,
	},
}

func (s BreakerSettings) withDefaults() BreakerSettings {
	d := DefaultLimits.Breaker
	if s.FailureRatio <= 0 || s.FailureRatio > 1 {
		s.FailureRatio = d.FailureRatio
	}
	if s.MinRequests == 0 {
		s.MinRequests = d.MinRequests
	}
	if s.Window <= 0 {
		s.Window = d.Window
	}
	if s.OpenFor <= 0 {
		s.OpenFor = d.OpenFor
	}
	if s.HalfOpenProbes == 0 {
		s.HalfOpenProbes = d.HalfOpenProbes
	}
	return s
}

// ErrCircuitOpen is wrapped by errors of calls refused because the
// account's circuit breaker is open: recent calls kept failing.
var ErrCircuitOpen = errors.New("circuit open: the Platform API keeps failing for this account")

// ErrBudgetDeadline is wrapped by errors of calls that were never sent
// because the caller's deadline passed while waiting for the rate budget.
var ErrBudgetDeadline = errors.New("the deadline passed before the account's rate budget let the call go")

// accountState is the per-account machinery.
type accountState struct {
	id      string
	budget  *budget
	breaker *gobreaker.CircuitBreaker[struct{}]
	openFor time.Duration

	mu       sync.Mutex
	openedAt time.Time
}

func (c *Client) account(id string) *accountState {
	if st, ok := c.accounts.Load(id); ok {
		return st.(*accountState)
	}
	st := &accountState{id: id, budget: c.newBudget(id)}
	if bs := c.limits.Breaker; !bs.Disabled {
		bs = bs.withDefaults()
		st.openFor = bs.OpenFor
		st.breaker = gobreaker.NewCircuitBreaker[struct{}](gobreaker.Settings{
			Name:         id,
			MaxRequests:  bs.HalfOpenProbes,
			Interval:     bs.Window,
			BucketPeriod: bs.Window / 10,
			Timeout:      bs.OpenFor,
			ReadyToTrip: func(n gobreaker.Counts) bool {
				return n.Requests >= bs.MinRequests && float64(n.TotalFailures) >= bs.FailureRatio*float64(n.Requests)
			},
			IsSuccessful: upstreamHealthy,
			IsExcluded:   notUpstreamsFault,
			OnStateChange: func(_ string, _, to gobreaker.State) {
				if to == gobreaker.StateOpen {
					st.mu.Lock()
					st.openedAt = time.Now()
					st.mu.Unlock()
				}
				if c.observer != nil {
					c.observer.CircuitChange(id, to.String())
				}
			},
		})
	}
	actual, _ := c.accounts.LoadOrStore(id, st)
	return actual.(*accountState)
}

// newBudget returns the rate budget of account id, or nil (no pacing).
func (c *Client) newBudget(id string) *budget {
	l := c.limits
	if l.RequestsPerSecond <= 0 {
		return nil
	}
	var src TokenSource
	if l.TokenSource != nil {
		src = l.TokenSource(id)
	} else {
		src = NewLimiterSource(l.RequestsPerSecond, l.Burst)
	}
	return newBudget(src, l.RequestsPerSecond, l.MaxQueuedPerClient)
}

// QueueFull reports whether key's client already has
// Limits.MaxQueuedPerClient requests waiting for accountID's rate budget,
// so that a new request of it would be refused (see WithFlow), and if so,
// an estimate of when to try again. It sends nothing and takes no token:
// the gateway asks it before running a request.
func (c *Client) QueueFull(accountID string, key FlowKey) (bool, time.Duration) {
	return c.account(accountID).budget.full(key)
}

// retryAfter is how long until the open breaker lets a probe through.
func (st *accountState) retryAfter() time.Duration {
	st.mu.Lock()
	defer st.mu.Unlock()
	return max(time.Until(st.openedAt.Add(st.openFor)), 0)
}

// upstreamHealthy tells the breaker which outcomes count as the upstream
// working: successes, and answers that blame the request (4xx but 429).
func upstreamHealthy(err error) bool {
	if err == nil {
		return true // before e is declared: a success costs no allocation
	}
	var e *Error
	if errors.As(err, &e) && e.StatusCode >= 400 && e.StatusCode < 500 && e.StatusCode != http.StatusTooManyRequests {
		return true
	}
	return false
}

// notUpstreamsFault keeps out of the breaker's counts the calls that say
// nothing about the upstream: the caller gave up, or the call never left.
func notUpstreamsFault(err error) bool {
	if err == nil {
		return false
	}
	if e := (*Error)(nil); errors.As(err, &e) && e.refused {
		return true // the Observer refused it: nothing was sent
	}
	return errors.Is(err, context.Canceled) || errors.Is(err, ErrBudgetDeadline) || errors.Is(err, ErrQueueFull)
}

// Critical returns a context whose calls skip the circuit breaker. The
// gateway uses it to settle calls of unknown outcome, which it must learn.
func Critical(ctx context.Context) context.Context {
	return context.WithValue(ctx, criticalKey{}, true)
}

type criticalKey struct{}

func isCritical(ctx context.Context) bool {
	v, _ := ctx.Value(criticalKey{}).(bool)
	return v
}
