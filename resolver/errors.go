package resolver

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/ipack-gateway/ipack-gateway/errcode"
	"github.com/ipack-gateway/ipack-gateway/platformapi"
)

// downstream is the prefix the vendor puts on errors of the REST calls
// behind a GraphQL field ("Downstream Execution Error: Unauthorized").
const downstream = "Downstream Execution Error: "

// vendorText is the message, after the prefix, of the REST statuses the
// vendor's documentation shows an error of: its Get All Accounts page
// answers "Downstream Execution Error: Unauthorized" (401) and
// "Downstream Execution Error: Server Error" (500), with nothing of
// REST's own message. Ours read the same; REST's message, when it says
// more, is in extensions.platformMessage. Other statuses, which the vendor
// shows no error of, read "<reason phrase>: <REST's message>".
var vendorText = map[int]string{
	http.StatusUnauthorized:        "Unauthorized",
	http.StatusInternalServerError: "Server Error",
}

// fromPlatform turns a REST failure into the error a client sees: the code
// from errcode's table, the vendor's message style, the REST status in
// extensions, and extensions.outcome where the call's effect is not plain
// from the code (see markOutcome). The cause stays attached for logs.
func fromPlatform(err error) *errcode.Error {
	var ce *errcode.Error
	if errors.As(err, &ce) {
		return ce // already a client error
	}
	var pe *platformapi.Error
	if !errors.As(err, &pe) {
		return &errcode.Error{Code: errcode.GenericSystemError, Message: "Internal error", Err: err}
	}
	e := &errcode.Error{Err: err}
	defer markOutcome(e, err, pe)
	switch {
	case errors.Is(err, platformapi.ErrQueryTokenRefused):
		// A 400, but about the vendor's own paging token: not the client's
		// doing.
		e.Code = errcode.PlatformCallError
		e.Message = downstream + "the Platform API kept refusing the paging token it had issued (queryMore), also after the query was started over"
		e.Fields = map[string]any{"status": pe.StatusCode}
		return e
	case errors.Is(err, platformapi.ErrCircuitOpen):
		e.Code = errcode.PlatformCallError
		e.Message = downstream + "the Platform API keeps failing for this account; calls are paused"
		e.Fields = map[string]any{"retryAfter": int(math.Ceil(pe.RetryAfter.Seconds()))}
		return e
	case errors.Is(err, platformapi.ErrQueueFull):
		e.Code = errcode.RateLimited
		e.Message = downstream + "too many requests from this client are waiting for the account's request budget"
		var qf *platformapi.QueueFullError
		if errors.As(err, &qf) {
			e.Fields = map[string]any{"retryAfter": max(1, int(math.Ceil(qf.RetryAfter.Seconds())))}
		}
		return e
	case errors.Is(err, platformapi.ErrBudgetDeadline):
		e.Code = errcode.RateLimited
		e.Message = downstream + "the account's request budget (the vendor's rate limit) did not allow the call before the deadline"
		return e
	case pe.StatusCode != 0:
		e.Code = errcode.FromStatus(pe.StatusCode)
		e.Fields = map[string]any{"status": pe.StatusCode}
		if pe.RetryAfter > 0 {
			// The server's pacing, passed on, so that a client does not
			// come straight back.
			e.Fields["retryAfter"] = int(math.Ceil(pe.RetryAfter.Seconds()))
		}
		if text, ok := vendorText[pe.StatusCode]; ok {
			// The vendor's own words, to the letter; REST's are kept.
			e.Message = downstream + text
			if pe.Message != "" && !strings.EqualFold(pe.Message, text) {
				e.Fields["platformMessage"] = pe.Message
			}
		} else {
			reason := http.StatusText(pe.StatusCode)
			if reason == "" {
				reason = "HTTP " + strconv.Itoa(pe.StatusCode)
			}
			e.Message = downstream + reason
			if pe.Message != "" && !strings.EqualFold(pe.Message, reason) {
				e.Message += ": " + pe.Message
			}
		}
		if pe.CredentialsRefused() {
			// The REST API refused the credentials the gateway holds for
			// the space, not the client's token (which the gateway
			// accepted; a passthrough call forwards it as a Bearer token
			// instead): UNAUTHORIZED would send the client for a new
			// token in vain.
			e.Code = errcode.UpstreamCredentialsRefused
			e.Message += " (the Platform API refused the credentials the gateway is configured with for this space: its operators must fix them; a new client token will not help)"
		}
	case pe.Timeout():
		e.Code = errcode.UpstreamTimeout
		e.Message = downstream + "the Platform API did not answer in time"
	case errors.Is(err, context.Canceled):
		e.Code = errcode.PlatformCallError
		e.Message = downstream + "the request was canceled"
	case errors.Is(err, platformapi.ErrUnreadableAnswer):
		e.Code = errcode.PlatformCallError
		e.Message = downstream + "the Platform API's answer could not be read"
	case errors.Is(err, platformapi.ErrTooManyPages):
		e.Code = errcode.PlatformCallError
		e.Message = downstream + "the result has more pages than the gateway may read"
	default:
		e.Code = errcode.PlatformCallError
		e.Message = downstream + "the Platform API could not be reached"
	}
	if pe.Attempts > 1 {
		if e.Fields == nil {
			e.Fields = map[string]any{}
		}
		e.Fields["attempts"] = pe.Attempts
	}
	return e
}

// markOutcome says what the failed call did upstream, in
// extensions.outcome, by platformapi's one rule: "not_sent" for a call that
// never left the gateway, so that a client knows nothing changed and may
// simply try again; "unknown" for one that may have been carried out (a
// 500, a reset, a lost answer), unless settling learned what it did
// (settled). Callers need not mark either themselves.
func markOutcome(e *errcode.Error, err error, pe *platformapi.Error) {
	var s *settledError
	switch pe.Outcome() {
	case platformapi.OutcomeNotSent:
		if pe.StatusCode == http.StatusUnauthorized {
			// A call refused unsent because the REST API refused the
			// request's token already (a passthrough space's): reported as
			// that refusal, word for word, so that the answer does not
			// depend on which call learned it. A 401 changes nothing,
			// sent or not.
			return
		}
		if e.Fields == nil {
			e.Fields = map[string]any{}
		}
		e.Fields["outcome"] = platformapi.OutcomeNotSent.String()
		e.Message += "; the call was not sent, nothing was changed"
	case platformapi.OutcomeUnknown:
		if errors.As(err, &s) {
			return
		}
		if e.Fields == nil {
			e.Fields = map[string]any{}
		}
		e.Fields["outcome"] = platformapi.OutcomeUnknown.String()
	}
}

// settledError is the failure of a call of unknown outcome whose effect
// settling then learned (settle.go): the attachment does not exist after a
// CREATE, or still exists after a DELETE. The failure is known, so
// fromPlatform does not call its outcome unknown.
type settledError struct{ err error }

func (e *settledError) Error() string { return e.err.Error() }
func (e *settledError) Unwrap() error { return e.err }

// upstreamFault is fromPlatform for calls that carry nothing the client
// supplied: listing everything, or ids that REST itself answered. A 400 or
// 404 there is not the client's doing, so it is PLATFORM_CALL_ERROR, not
// BAD_USER_INPUT or NOT_FOUND (the REST status stays in extensions).
func upstreamFault(err error) *errcode.Error {
	e := fromPlatform(err)
	if e.Code != errcode.BadUserInput && e.Code != errcode.NotFound {
		return e
	}
	c := *e // fromPlatform may hand back an error it did not make
	c.Code = errcode.PlatformCallError
	return &c
}
