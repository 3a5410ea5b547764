package platformapi

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"time"
)

// callState follows one logical REST call across its attempts. It is the
// client's own bookkeeping, kept in the request's context because
// go-retryablehttp hands its hooks (the transport, CheckRetry) nothing
// else: attemptTransport counts the attempts and reports them to the
// Observer, and Client.checkRetry records what they did. The retry policy
// never sees it.
type callState struct {
	account *accountState
	object  string
	once    bool // not to be repeated once ambiguous (call.once)
	changes bool // may change state upstream (call.changes)

	attempts   int            // attempts begun, counted by attemptTransport
	lastStatus int            // of the last attempt that left, when not a success; else 0
	lastResp   *http.Response // the last attempt's, to record each attempt once
	sent       bool           // some attempt may have left the gateway
	ambiguous  bool           // some attempt may have been carried out without us learning it
}

// record notes what an attempt did, for the call's error. go-retryablehttp
// asks about an attempt twice when its response handler then failed to
// read the body: that is one attempt, recorded once, with what the second
// question learned (the body was lost). It reports whether this is such a
// second question about an answer already recorded without error.
func (st *callState) record(resp *http.Response, err error) (again bool) {
	again = resp != nil && resp == st.lastResp
	st.lastResp = resp
	left := !notSent(err)
	if !again && left {
		// An attempt that never left keeps the status of the last that
		// did: the vendor's last word.
		st.lastStatus = 0
		if resp != nil && resp.StatusCode >= 300 {
			st.lastStatus = resp.StatusCode
		}
	}
	if resp != nil || (err != nil && left) {
		st.sent = true
	}
	if (err != nil && left) || (resp != nil && mayHaveActed(resp.StatusCode, st.changes)) {
		// The request may have reached the vendor and been carried out: a
		// failure once it may have left, or a status that does not prove
		// the server (or a proxy in front of it) did not act.
		st.ambiguous = true
	}
	return again && err == nil
}

type stateKey struct{}

func withState(ctx context.Context, st *callState) context.Context {
	return context.WithValue(ctx, stateKey{}, st)
}

func stateFrom(ctx context.Context) *callState {
	st, _ := ctx.Value(stateKey{}).(*callState)
	return st
}

// notSentError marks an attempt's error as one that provably sent nothing:
// the attempt never left the gateway (the rate budget, a context that had
// ended, no connection). The retry policy and the call's bookkeeping tell
// "not sent" from the error alone by it.
type notSentError struct{ err error }

func (e *notSentError) Error() string { return e.err.Error() }
func (e *notSentError) Unwrap() error { return e.err }

// Is matches errNotSent, so that errors.Is finds the mark without the
// allocation errors.As costs: this is asked about every attempt.
func (e *notSentError) Is(target error) bool { return target == errNotSent }

var errNotSent = errors.New("not sent")

// notSent reports whether err is an attempt's error that sent nothing.
func notSent(err error) bool { return errors.Is(err, errNotSent) }

// refusedError is an Observer's refusal of a call (AttemptStart).
type refusedError struct{ err error }

func (e *refusedError) Error() string { return e.err.Error() }
func (e *refusedError) Unwrap() error { return e.err }

// Is matches errRefused (see notSentError.Is).
func (e *refusedError) Is(target error) bool { return target == errRefused }

var errRefused = errors.New("refused by the observer")

// attemptTransport runs one attempt: it reports it to the Observer, waits
// for the account's rate budget, then bounds the attempt (headers and
// body) by the attempt timeout. Waiting for budget is outside that bound
// on purpose: a long queue is not a slow upstream.
type attemptTransport struct {
	next     http.RoundTripper
	timeout  time.Duration
	observer Observer
}

func (t attemptTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	st := stateFrom(ctx)
	if st == nil {
		// Not a Client call: nothing to count or report.
		return t.send(ctx, req, nil, &Attempt{})
	}
	st.attempts++
	a := Attempt{AccountID: st.account.id, Object: st.object, Method: req.Method, Number: st.attempts}
	if t.observer == nil {
		return t.send(ctx, req, st, &a)
	}
	actx, err := t.observer.AttemptStart(ctx, a)
	if err != nil {
		err = &notSentError{&refusedError{err}}
		a.Err, a.Outcome = err, OutcomeNotSent
		t.observer.AttemptDone(actx, a)
		return nil, err
	}
	resp, err := t.send(actx, req, st, &a)
	t.observer.AttemptDone(actx, a)
	return resp, err
}

// send waits for the budget and sends req under ctx, filling in a.
func (t attemptTransport) send(ctx context.Context, req *http.Request, st *callState, a *Attempt) (*http.Response, error) {
	unsent := func(err error) (*http.Response, error) {
		if errors.Is(err, context.DeadlineExceeded) {
			err = ErrBudgetDeadline
		}
		a.Err, a.Outcome = &notSentError{err}, OutcomeNotSent
		return nil, a.Err
	}
	if err := ctx.Err(); err != nil {
		// Too late to send: say so before taking a token.
		return unsent(err)
	}
	if st != nil && st.account.budget != nil {
		start := time.Now()
		err := st.account.budget.wait(ctx, flowFrom(ctx))
		a.BudgetWait = time.Since(start)
		if err != nil {
			return unsent(err)
		}
	}
	a.Dispatched = true
	actx, cancel := context.WithTimeout(ctx, t.timeout)
	var conn connTrace
	actx = httptrace.WithClientTrace(actx, conn.trace())
	var start time.Time
	if t.observer != nil { // the only reader of a.Duration
		start = time.Now()
	}
	resp, err := t.next.RoundTrip(req.WithContext(actx))
	if t.observer != nil {
		a.Duration = time.Since(start)
	}
	if err != nil {
		cancel()
		// Nothing was written without a connection; anything else may
		// have reached the vendor.
		if conn.beforeConn() || !sentErr(err) {
			err = &notSentError{err}
			a.Outcome = OutcomeNotSent
		} else {
			a.Outcome = OutcomeUnknown
		}
		a.Err = err
		return nil, err
	}
	a.StatusCode = resp.StatusCode
	changes := req.Method != http.MethodGet // not a Client call: by its method
	if st != nil {
		changes = st.changes
	}
	if mayHaveActed(resp.StatusCode, changes) {
		a.Outcome = OutcomeUnknown
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// sentErr reports whether a transport error may have come after the
// request was sent: anything but a failure to connect.
func sentErr(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return false
	}
	return !errors.Is(err, ErrBudgetDeadline)
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
