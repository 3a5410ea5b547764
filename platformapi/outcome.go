package platformapi

import (
	"errors"
	"net/http"
	"net/http/httptrace"
	"sync/atomic"
)

// Outcome is what a failed call is known to have done upstream. Every
// failure of a Client call falls in exactly one class, by one rule:
//
//   - OutcomeNotSent: no attempt left the gateway. The call waited for the
//     rate budget until its deadline or cancellation, the circuit breaker
//     refused it, its context ended before it was sent, or every attempt
//     failed to get a connection (dial, TLS handshake, a pool wait that was
//     cut short). Nothing changed upstream; the call may be made again.
//   - OutcomeUnknown: some attempt may have been carried out without the
//     gateway learning its result: a transport failure once a connection was
//     in hand (a write error, a reset, a timeout waiting for headers, a
//     cancellation after sending), a 2xx answer whose body could not be read
//     or decoded, or a status that does not prove the server did nothing:
//     500, a proxy's 502/504, other 5xx but 501 and, for a call that may
//     change state, 503 and 429 too (see mayHaveActed). A call marked once
//     is never tried again after this.
//   - OutcomeAnswered: every attempt that left was answered, and the last
//     answer's status (Error.StatusCode) says what happened: a 4xx, or, for
//     a read, 503 and 429.
type Outcome uint8

const (
	// OutcomeAnswered: the vendor answered; its status tells.
	OutcomeAnswered Outcome = iota
	// OutcomeNotSent: the call provably never left the gateway.
	OutcomeNotSent
	// OutcomeUnknown: the call may have been carried out.
	OutcomeUnknown
)

// String returns "answered", "not_sent" or "unknown", the values the
// gateway shows clients in extensions.outcome.
func (o Outcome) String() string {
	switch o {
	case OutcomeNotSent:
		return "not_sent"
	case OutcomeUnknown:
		return "unknown"
	}
	return "answered"
}

// ErrUnreadableAnswer is wrapped by errors of calls whose 2xx answer could
// not be read to the end or decoded: the vendor said it did something, and
// the gateway cannot tell what. Such errors are OutcomeUnknown.
var ErrUnreadableAnswer = errors.New("the answer could not be read")

// mayHaveActed reports whether a status leaves open that the server carried
// the request out although it answered with a failure: 500 (a failure part
// way through), a proxy's 502 and 504 (it forwarded the request and lost
// the answer), any other 5xx but 501 (not implemented) and, when the call
// may change state (changes), 503 and 429 as well.
//
// The vendor documents its rate-limit refusal as a bare HTTP 503, "the
// server is temporarily unable to fulfill the request", with no body that
// a refusal could be told apart by (docs/idempotency.md); and a 503 or 429
// may come from a proxy or load balancer in front of the vendor after it
// forwarded the request. Neither status proves that nothing was done. A
// read is still answered by them (nothing to have done); a call that may
// change state is not: an idempotent one is sent again (the repeat does no
// harm), one marked once is not, and its outcome is settled or reported
// unknown.
func mayHaveActed(status int, changes bool) bool {
	switch status {
	case http.StatusTooManyRequests:
		return changes
	case http.StatusServiceUnavailable:
		return changes
	case http.StatusNotImplemented:
		return false
	}
	return status >= 500
}

// connTrace learns, through net/http's client trace, whether an attempt got
// as far as a connection. An attempt that asked for a connection and failed
// before it had one wrote nothing: it was not sent. A transport that is not
// net/http's reports neither event, and its failures count as sent.
type connTrace struct {
	asked, got atomic.Bool
}

func (c *connTrace) trace() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		GetConn: func(string) { c.asked.Store(true) },
		GotConn: func(httptrace.GotConnInfo) { c.got.Store(true) },
	}
}

// beforeConn reports whether the attempt ended while waiting for a
// connection: asked for one and never got it.
func (c *connTrace) beforeConn() bool { return c.asked.Load() && !c.got.Load() }
