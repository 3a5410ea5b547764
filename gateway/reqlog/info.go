// Package reqlog is the gateway's request log: a request id for every
// request (RequestID, IDFrom) and the record of what became of it (Info,
// InfoFrom), which the handlers fill and the access log, the metrics and
// the spans read; one access line per request (Log.Access), refused
// requests' lines rate-limited (Log.Rejected); panics logged as bugs
// (Recoverer); and the process's logger (Logger): the request id on every
// line logged with a request's context, warnings throttled.
package reqlog

import (
	"context"
	"sync/atomic"
	"time"
)

// Outcomes of a GraphQL request: the values of Info.Outcome, of the access
// line's "outcome" and of the metrics' "outcome" label.
const (
	OutcomeOK       = "ok"       // data, no errors
	OutcomePartial  = "partial"  // data and errors
	OutcomeError    = "error"    // errors only
	OutcomeRejected = "rejected" // answered before execution: auth, bad request
	OutcomeReplayed = "replayed" // answered from an Idempotency-Key's record
)

// Info is what the handlers learn about a request, for its access line,
// its metrics and its span. RequestID starts it; the handlers set its
// fields as they learn them, on the request's goroutine. The REST counters
// are atomic: an attach's calls run concurrently.
type Info struct {
	// Space is the guid of the space the request was authenticated for.
	Space string
	// Operation names the GraphQL operation in logs and spans: its name,
	// else its root fields; clipped (Clip), as it comes from the client.
	Operation string
	// OperationType is query, mutation or subscription; "" when unknown.
	OperationType string
	// OperationLabel is the operation's value of the metrics' "operation"
	// label, from a fixed set; "" is "unknown".
	OperationLabel string
	// Outcome is what became of a GraphQL request (OutcomeOK, ...); ""
	// for other requests.
	Outcome string
	// Queued is how long the request waited for its turn to execute.
	Queued time.Duration

	id                     string // the request id (RequestID)
	restCalls, restRetries atomic.Int64
	// logDecided and logAllowed hold whether a refused request's lines
	// are logged (Log.Rejected).
	logDecided, logAllowed bool
}

type infoKey struct{}

// InfoFrom returns the Info of the request of ctx. Without one (a context
// RequestID did not start), it returns a new Info that nothing reads, so
// that a handler may always write to what it gets.
//
// Kept out of line: inlined, its fallback does not escape in most
// callers, so the compiler reserves an Info in their frames, which stay
// for the whole request; serveGraphQL's, the metrics' and markGraphQL's
// grow by 128 bytes each, and TestAttachStack's attach(1) then passes
// its 16 KiB bound 2 times in 10 instead of 9.
//
//go:noinline
func InfoFrom(ctx context.Context) *Info {
	if i, ok := ctx.Value(infoKey{}).(*Info); ok {
		return i
	}
	return &Info{}
}

// CountREST counts a REST attempt of the request, and whether it was a
// retry, for the access line's rest_calls and rest_retries.
func (i *Info) CountREST(retry bool) {
	i.restCalls.Add(1)
	if retry {
		i.restRetries.Add(1)
	}
}

// RESTCalls returns how many REST attempts the request made so far.
func (i *Info) RESTCalls() int64 { return i.restCalls.Load() }

// MetricOperation is the request's "operation" label.
func (i *Info) MetricOperation() string {
	if i.OperationLabel == "" {
		return "unknown"
	}
	return i.OperationLabel
}

// MetricOutcome is the request's "outcome" label: a request answered before
// execution (authentication, a malformed request) was rejected.
func (i *Info) MetricOutcome() string {
	if i.Outcome == "" {
		return OutcomeRejected
	}
	return i.Outcome
}
