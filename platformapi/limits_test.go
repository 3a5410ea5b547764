package platformapi_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ipack-gateway/ipack-gateway/platformapi"
	"github.com/ipack-gateway/ipack-gateway/platformapi/simulator"
)

// TestBudgetDeadlineIsNotAnUpstreamFailure: calls that the deadline
// stopped while they waited for the rate budget were never sent. They say
// so (ErrBudgetDeadline), are not ambiguous, and do not trip the breaker.
func TestBudgetDeadlineIsNotAnUpstreamFailure(t *testing.T) {
	c, sim, acct := newDemoClient(t, platformapi.Options{Limits: platformapi.Limits{
		RequestsPerSecond: 1, Burst: 1,
		Breaker: platformapi.BreakerSettings{MinRequests: 3, FailureRatio: 0.5, OpenFor: time.Minute},
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = c.CreateAttachment(ctx, acct, "SW50ZWdyYXRpb25QYWNrSW5zdGFuY2UzNDQ4Ng", simulator.DemoEnvironment(i+1))
		}()
	}
	wg.Wait()
	// One token at once, the next after 1 s: one call in 300 ms.
	var ok, unsent int
	for _, err := range errs {
		var pe *platformapi.Error
		switch {
		case err == nil:
			ok++
		case errors.Is(err, platformapi.ErrBudgetDeadline) && errors.As(err, &pe) && !pe.Ambiguous:
			unsent++
		default:
			t.Errorf("CreateAttachment = %v, want ErrBudgetDeadline, not ambiguous", err)
		}
	}
	if ok != 1 || unsent != 5 || len(sim.Requests()) != 1 {
		t.Errorf("%d sent, %d unsent, %d requests upstream; want 1, 5, 1", ok, unsent, len(sim.Requests()))
	}
	// The breaker stayed closed: a call with time to wait goes through.
	if _, err := c.CreateAttachment(context.Background(), acct, "SW50ZWdyYXRpb25QYWNrSW5zdGFuY2UzNDQ4Ng", simulator.DemoEnvironment(9)); err != nil {
		t.Errorf("after budget deadlines, CreateAttachment = %v, want success", err)
	}

	// A call whose deadline has passed already is not sent at all.
	done, cancel2 := context.WithTimeout(context.Background(), -time.Second)
	defer cancel2()
	before := len(sim.Requests())
	_, err := c.CreateAttachment(done, acct, "SW50ZWdyYXRpb25QYWNrSW5zdGFuY2UzNDQ4Ng", simulator.DemoEnvironment(10))
	var pe *platformapi.Error
	if !errors.As(err, &pe) || pe.Ambiguous || !errors.Is(err, platformapi.ErrBudgetDeadline) || len(sim.Requests()) != before {
		t.Errorf("expired context: %v (ambiguous %v), %d requests; want an unsent ErrBudgetDeadline", err, pe != nil && pe.Ambiguous, len(sim.Requests())-before)
	}
}
