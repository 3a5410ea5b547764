package resolver

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ipack-gateway/ipack-gateway/errcode"
	"github.com/ipack-gateway/ipack-gateway/platformapi"
)

// A CREATE or DELETE whose answer never arrived (a timeout or reset after
// the request left) may or may not have been carried out. Before telling a
// client anything, the resolvers settle such a call: they ask REST whether
// the attachment exists, so that success is reported only if it does and
// failure only if it does not.

// settleRounds bounds the queries made to settle one call; each query has
// its own retries.
const settleRounds = 4

// settleContext is the context settling runs under: detached from the
// request's deadline, which may well have passed, but not from a client
// that went away (no one would read the answer), bounded by SettleTimeout,
// and exempt from the circuit breaker, because the truth must be learned.
func (r *Resolver) settleContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if errors.Is(ctx.Err(), context.Canceled) {
		return ctx, func() {}
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.opts.SettleTimeout)
	return platformapi.Critical(sctx), cancel
}

// attached asks REST whether instanceID is attached to env.
func (r *Resolver) attached(ctx context.Context, acct platformapi.Account, instanceID, env string) (bool, error) {
	f := platformapi.And(platformapi.Equals("integrationPackInstanceId", instanceID), platformapi.Equals("environmentId", env))
	var found bool
	err := r.ask(ctx, func(ctx context.Context) error {
		atts, err := r.platform.QueryAttachments(ctx, acct, &f)
		found = slices.ContainsFunc(atts, func(a platformapi.Attachment) bool {
			return a.IntegrationPackInstanceID == instanceID && strings.EqualFold(a.EnvironmentID, env)
		})
		return err
	})
	return found && err == nil, err
}

// ask runs query, a settling query, until it succeeds: after SettleDelay
// (an attempt the gateway gave up on may still be on its way through the
// vendor: give it a moment to land before asking), at most settleRounds
// times, pausing between rounds (see pause). It returns query's last error.
func (r *Resolver) ask(ctx context.Context, query func(context.Context) error) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(r.opts.SettleDelay):
	}
	var err error
	for round := 0; round < settleRounds; round++ {
		if err = query(ctx); err == nil {
			return nil
		}
		if !pause(ctx, time.Duration(round+1)*100*time.Millisecond, err) {
			break
		}
	}
	return err
}

// pause waits before asking again after err: at least d, and as long as
// the server asked (Retry-After, which platformapi caps). It returns false,
// at once, when ctx would end first: asking early would only provoke the
// server further, so settling gives up instead.
func pause(ctx context.Context, d time.Duration, err error) bool {
	var pe *platformapi.Error
	if errors.As(err, &pe) && pe.RetryAfter > d {
		d = pe.RetryAfter
	}
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) <= d {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// ambiguous reports whether err leaves the call's effect unknown.
func ambiguous(err error) bool {
	var pe *platformapi.Error
	return errors.As(err, &pe) && pe.Outcome() == platformapi.OutcomeUnknown
}

// onceFailure is the error of a call that is never repeated once it may
// have been carried out (an install; any REST CREATE that is not
// idempotent) and that cannot be settled by asking, because its result
// cannot be told from another one's. A failure of unknown outcome says so
// (extensions.outcome "unknown") with hint, what the client should check
// before trying again; one that was not sent says that (see fromPlatform).
func onceFailure(err error, hint string) *errcode.Error {
	e := fromPlatform(err)
	if e.Fields["outcome"] == platformapi.OutcomeUnknown.String() {
		c := *e // fromPlatform may hand back an error it did not make
		c.Message += "; " + hint
		e = &c
	}
	return e
}

// conclusive reports whether a failed call says for sure that the state
// did not change: the gateway never sent it (platformapi.OutcomeNotSent:
// breaker open, budget deadline, cancelled before sending, no connection),
// or the vendor refused the request itself (4xx but 429). Any other failure
// (5xx, 429 after retries, no answer) is settled by asking.
func conclusive(err error) bool {
	var pe *platformapi.Error
	if !errors.As(err, &pe) {
		return false
	}
	switch pe.Outcome() {
	case platformapi.OutcomeNotSent:
		return true
	case platformapi.OutcomeUnknown:
		return false
	}
	return pe.StatusCode >= 400 && pe.StatusCode < 500 && pe.StatusCode != http.StatusTooManyRequests
}

// notFound reports whether err is the vendor saying the object does not
// exist: 404 or 410, or its 400 "… does not exist." (inferred shape).
func notFound(err error) bool {
	var pe *platformapi.Error
	if !errors.As(err, &pe) {
		return false
	}
	switch pe.StatusCode {
	case http.StatusNotFound, http.StatusGone:
		return true
	case http.StatusBadRequest:
		return strings.Contains(strings.ToLower(pe.Message), "does not exist")
	}
	return false
}

// notCarriedOut is the error of a call of unknown outcome that settling
// found was not carried out: err, known (no extensions.outcome), with what
// settling learned added to its message.
func notCarriedOut(err error, learned string) *errcode.Error {
	e := *fromPlatform(&settledError{err}) // a copy: fromPlatform may hand back an error it did not make
	e.Message += "; " + learned
	return &e
}

// unknownCause makes err, the failure of a call that settling could not
// decide, one of unknown outcome whatever its status said.
func unknownCause(err error) error {
	var pe *platformapi.Error
	if errors.As(err, &pe) && !pe.Ambiguous {
		c := *pe
		c.Ambiguous, c.NotSent = true, false
		return &c
	}
	return err
}

// unknownOutcome is the error for a call that could not be settled.
func unknownOutcome(cause error) *errcode.Error {
	e := fromPlatform(cause).With("outcome", platformapi.OutcomeUnknown.String())
	e.Message = downstream + "the Platform API did not confirm the outcome; check before retrying (" + e.Message + ")"
	return e
}

// create attaches instanceID to env. A failure that is not conclusive is
// settled: the client hears "failed" only if the attachment does not exist
// (it may exist from before: attaching is idempotent), and "attached" only
// if it does.
func (r *Resolver) create(ctx context.Context, acct platformapi.Account, instanceID, env string) (platformapi.Attachment, error) {
	att, err := r.platform.CreateAttachment(ctx, acct, instanceID, env)
	if err == nil {
		// The GraphQL id is built from the answer: an answer about another
		// attachment (or none) leaves the outcome to be learned.
		if err = checkCreated(att, instanceID, env); err == nil {
			return att, nil
		}
	} else if conclusive(err) {
		return att, err
	}
	return r.settleCreate(ctx, acct, instanceID, env, err)
}

// settleCreate learns whether a CREATE of unknown outcome attached env. A
// function of its own, so that create's stack frame, which stays while the
// CREATE runs, does not hold the settling's (docs/performance.md).
func (r *Resolver) settleCreate(ctx context.Context, acct platformapi.Account, instanceID, env string, err error) (platformapi.Attachment, error) {
	sctx, cancel := r.settleContext(ctx)
	defer cancel()
	ok, qerr := r.attached(sctx, acct, instanceID, env)
	switch {
	case qerr != nil:
		// Debug: an attach counts these in its one warning line.
		r.opts.Logger.DebugContext(ctx, "attach outcome unknown", "environmentId", env, "err", err, "settleErr", qerr)
		return platformapi.Attachment{}, unknownOutcome(err)
	case ok:
		return platformapi.Attachment{IntegrationPackInstanceID: instanceID, EnvironmentID: env}, nil
	}
	return platformapi.Attachment{}, &settledError{err} // known: not attached
}

// remove detaches key, settling a failure (see settleDelete).
func (r *Resolver) remove(ctx context.Context, acct platformapi.Account, instanceID, env, restID string) error {
	err := r.platform.DeleteAttachment(ctx, acct, restID)
	if err == nil {
		return nil
	}
	return r.settleDelete(ctx, err, "unattach", func(sctx context.Context) (bool, error) {
		return r.attached(sctx, acct, instanceID, env)
	})
}

// settleDelete decides a DELETE that failed with err. "Not found" after an
// attempt that may have worked means it did; a failure that is not
// conclusive is settled by asking exists whether the object is still there.
// It returns nil when the object is gone, err when it is not, and an
// "unknown outcome" error when REST cannot tell.
func (r *Resolver) settleDelete(ctx context.Context, err error, op string, exists func(context.Context) (bool, error)) error {
	if ambiguous(err) && notFound(err) {
		return nil
	}
	if conclusive(err) {
		return err
	}
	sctx, cancel := r.settleContext(ctx)
	defer cancel()
	ok, qerr := exists(sctx)
	switch {
	case qerr != nil:
		// Debug: a rollback settles many; callers warn once (warnUnknown).
		r.opts.Logger.DebugContext(ctx, op+" outcome unknown", "err", err, "settleErr", qerr)
		return unknownOutcome(err)
	case !ok:
		return nil
	}
	return &settledError{err} // known: still there
}
