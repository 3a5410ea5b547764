package platformapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptrace"
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
	// Burst is how many calls may go at once after a quiet spell. Default 1.
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
type BreakerSettings struct {
	Disabled       bool
	FailureRatio   float64       // default 0.5
	MinRequests    uint32        // default 20
	Window         time.Duration // default 30s
	OpenFor        time.Duration // default 30s
	HalfOpenProbes uint32        // default 3
}

func (s BreakerSettings) withDefaults() BreakerSettings {
	if s.FailureRatio <= 0 || s.FailureRatio > 1 {
		s.FailureRatio = 0.5
	}
	if s.MinRequests == 0 {
		s.MinRequests = 20
	}
	if s.Window <= 0 {
		s.Window = 30 * time.Second
	}
	if s.OpenFor <= 0 {
		s.OpenFor = 30 * time.Second
	}
	if s.HalfOpenProbes == 0 {
		s.HalfOpenProbes = 3
	}
	return s
}

// Observer receives the client's events, for metrics. Implementations must
// be quick and safe for concurrent use.
type Observer interface {
	// BudgetWait reports how long one attempt waited for the rate budget.
	BudgetWait(accountID string, d time.Duration)
	// CircuitChange reports an account's breaker moving to state:
	// "closed", "half-open" or "open".
	CircuitChange(accountID string, state string)
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
	var e *Error
	if err == nil {
		return true
	}
	if errors.As(err, &e) && e.StatusCode >= 400 && e.StatusCode < 500 && e.StatusCode != http.StatusTooManyRequests {
		return true
	}
	return false
}

// notUpstreamsFault keeps out of the breaker's counts the calls that say
// nothing about the upstream: the caller gave up, or the call never left.
func notUpstreamsFault(err error) bool {
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

// attemptTransport runs one attempt: it waits for the account's rate
// budget, then bounds the attempt (headers and body) by the attempt
// timeout. Waiting for budget is outside that bound on purpose: a long
// queue is not a slow upstream.
type attemptTransport struct {
	next     http.RoundTripper
	timeout  time.Duration
	observer Observer
}

func (t attemptTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	st := stateFrom(req.Context())
	if err := req.Context().Err(); err != nil {
		// Too late to send: say so before taking a token.
		if st != nil {
			st.unsent = true
		}
		if errors.Is(err, context.DeadlineExceeded) {
			err = ErrBudgetDeadline
		}
		return nil, err
	}
	if st != nil {
		st.unsent = false
	}
	if st != nil && st.account != nil && st.account.budget != nil {
		start := time.Now()
		if err := st.account.budget.wait(req.Context(), flowFrom(req.Context())); err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				err = ErrBudgetDeadline
			}
			st.unsent = true
			return nil, err
		}
		if t.observer != nil {
			t.observer.BudgetWait(st.account.id, time.Since(start))
		}
	}
	ctx, cancel := context.WithTimeout(req.Context(), t.timeout)
	var conn connTrace
	ctx = httptrace.WithClientTrace(ctx, conn.trace())
	resp, err := t.next.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		if st != nil {
			// Nothing was written without a connection; anything else
			// may have reached the vendor.
			if conn.beforeConn() || !sentErr(err) {
				st.unsent = true
			} else {
				st.sent = true
			}
		}
		return nil, err
	}
	if st != nil {
		st.sent = true
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// cancelOnClose ends an attempt's context when its body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}
