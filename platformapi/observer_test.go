package platformapi_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/ipack-gateway/ipack-gateway/platformapi"
)

// recordingObserver is a platformapi.Observer that keeps what it is told.
type recordingObserver struct {
	mu      sync.Mutex
	started []platformapi.Attempt
	done    []platformapi.Attempt
	ctxOK   []bool // AttemptDone got the context AttemptStart returned
	refuse  error  // AttemptStart's answer
}

type attemptCtxKey struct{}

func (o *recordingObserver) AttemptStart(ctx context.Context, a platformapi.Attempt) (context.Context, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.started = append(o.started, a)
	return context.WithValue(ctx, attemptCtxKey{}, a.Number), o.refuse
}

func (o *recordingObserver) AttemptDone(ctx context.Context, a platformapi.Attempt) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.done = append(o.done, a)
	o.ctxOK = append(o.ctxOK, ctx.Value(attemptCtxKey{}) == a.Number)
}

func (o *recordingObserver) CircuitChange(string, string) {}

// TestObserverSeesEveryAttempt: each attempt, retries included, is
// reported once started and once done, with the REST object the client
// named, the method, its number, status and outcome.
func TestObserverSeesEveryAttempt(t *testing.T) {
	statuses := []int{http.StatusServiceUnavailable, http.StatusBadGateway, http.StatusOK}
	var n int
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		st := statuses[n]
		n++
		return cannedTransport{status: st, body: `{"@type":"QueryResult","numberOfResults":0}`}.RoundTrip(r)
	})
	obs := &recordingObserver{}
	c, err := platformapi.New(platformapi.Options{
		BaseURL: "http://127.0.0.1:1/api/rest/v1", Transport: rt, Observer: obs,
		Retry: platformapi.RetryPolicy{MaxAttempts: 3, WaitMin: time.Millisecond, WaitMax: time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.QueryEnvironments(context.Background(), platformapi.Account{ID: "acct"}, nil); err != nil {
		t.Fatalf("QueryEnvironments: %v", err)
	}
	if len(obs.started) != 3 || len(obs.done) != 3 {
		t.Fatalf("observer told of %d starts and %d ends, want 3 and 3", len(obs.started), len(obs.done))
	}
	wantOutcome := []platformapi.Outcome{platformapi.OutcomeAnswered, platformapi.OutcomeUnknown, platformapi.OutcomeAnswered}
	for i, a := range obs.done {
		if a.Object != "Environment" || a.Method != http.MethodPost || a.AccountID != "acct" || a.Number != i+1 ||
			a.StatusCode != statuses[i] || !a.Dispatched || a.Err != nil || a.Outcome != wantOutcome[i] {
			t.Errorf("attempt %d = %+v, want Environment POST acct #%d, status %d, dispatched, outcome %v", i+1, a, i+1, statuses[i], wantOutcome[i])
		}
		if !obs.ctxOK[i] {
			t.Errorf("attempt %d: AttemptDone did not get AttemptStart's context", i+1)
		}
	}
}

// TestObserverRefusal: an error from AttemptStart stops the call before
// anything is sent: no transport call, no retry, and the call fails with
// the *Error the refusal gave, marked not sent (else a passthrough call
// refused before sending read as an answered 401).
func TestObserverRefusal(t *testing.T) {
	sent := 0
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		sent++
		return cannedTransport{status: http.StatusOK, body: `{}`}.RoundTrip(r)
	})
	obs := &recordingObserver{refuse: &platformapi.Error{StatusCode: http.StatusUnauthorized}}
	c, err := platformapi.New(platformapi.Options{BaseURL: "http://127.0.0.1:1/api/rest/v1", Transport: rt, Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateAttachment(context.Background(), platformapi.Account{ID: "acct"}, "inst", "env")
	var pe *platformapi.Error
	if !errors.As(err, &pe) || pe.StatusCode != http.StatusUnauthorized || pe.Object != "IntegrationPackEnvironmentAttachment" || pe.Attempts != 1 {
		t.Fatalf("CreateAttachment = %v, want the refusal's 401 *Error, of IntegrationPackEnvironmentAttachment", err)
	}
	if got := pe.Outcome(); got != platformapi.OutcomeNotSent {
		t.Errorf("refused call's outcome = %v, want not_sent", got)
	}
	if sent != 0 || len(obs.started) != 1 || len(obs.done) != 1 || obs.done[0].Dispatched {
		t.Errorf("sent %d, observer told of %d starts and %d ends (%+v); want nothing sent and one undispatched attempt", sent, len(obs.started), len(obs.done), obs.done)
	}
}
