package platformapi

import (
	"context"
	"time"
)

// Observer is told of every REST attempt the client makes, retries
// included, and of every circuit breaker change: the one interface through
// which the gateway learns what REST did (metrics, the access log's
// counters, readiness, tracing spans) and applies its rule for refused
// passthrough tokens. Implementations must be quick and safe for
// concurrent use.
type Observer interface {
	// AttemptStart is called as an attempt begins, before it waits for
	// the account's rate budget, with the caller's context. The context
	// it returns is the attempt's: an observer that traces starts the
	// attempt's span there (the transport below sees it). A non-nil
	// error refuses the attempt before anything is sent: it is neither
	// made nor retried, and the call fails with the *Error err is or
	// wraps (its Method, Object and Attempts filled in, and marked
	// NotSent), else with a NotSent *Error wrapping err; unknown all the
	// same if an earlier attempt of the call may have been carried out.
	AttemptStart(ctx context.Context, a Attempt) (context.Context, error)
	// AttemptDone is called when the attempt is over, with the context
	// AttemptStart returned and a complete.
	AttemptDone(ctx context.Context, a Attempt)
	// CircuitChange reports an account's breaker moving to state:
	// "closed", "half-open" or "open".
	CircuitChange(accountID string, state string)
}

// Attempt is one try of a Client call, as an Observer is told of it.
type Attempt struct {
	// AccountID is the account the call acts on.
	AccountID string
	// Object is the REST object called, e.g.
	// "IntegrationPackEnvironmentAttachment": a name from this package's
	// code, never a path or an id, so it can serve as a metric label.
	Object string
	// Method is the HTTP method.
	Method string
	// Number is which try of its call this is: 1 for the first.
	Number int

	// The fields below are set for AttemptDone.

	// Dispatched reports whether the attempt got past the rate budget to
	// the transport. When it did not (the budget's deadline, a full
	// queue, a context that had ended, a refusal of AttemptStart), Err
	// says why, and nothing was sent.
	Dispatched bool
	// BudgetWait is how long the attempt waited for the rate budget.
	BudgetWait time.Duration
	// Duration is from dispatch to the response headers, or the failure.
	Duration time.Duration
	// StatusCode is the answer's status; 0 when none arrived.
	StatusCode int
	// Err is why no answer arrived; nil when StatusCode is set.
	Err error
	// Outcome is what this attempt did upstream: OutcomeAnswered (the
	// status tells), OutcomeNotSent, or OutcomeUnknown (it may have been
	// carried out: a transport failure once sent, or a status such as 500
	// or a proxy's 502/504).
	Outcome Outcome
}
