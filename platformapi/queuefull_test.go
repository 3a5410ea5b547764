package platformapi_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ipack-gateway/ipack-gateway/platformapi"
)

// TestQueueFullIsUnsent: past Limits.MaxQueuedPerClient, a new request's
// call fails at once with a QueueFullError: never sent, not ambiguous, not
// retried, not counted by the breaker. Client.QueueFull says so before;
// when a waiting request ends, its client has room again.
func TestQueueFullIsUnsent(t *testing.T) {
	c, sim, acct := newDemoClient(t, platformapi.Options{Limits: platformapi.Limits{
		RequestsPerSecond: 0.01, Burst: 1, // one token now, the next after 100 s
		MaxQueuedPerClient: 1,
		Breaker:            platformapi.BreakerSettings{MinRequests: 1, FailureRatio: 0.01, OpenFor: time.Minute},
	}})
	key := platformapi.FlowKey{Space: "s", Client: "c"}
	list := func(ctx context.Context) error {
		_, err := c.QueryAttachments(ctx, acct, nil)
		return err
	}
	// The first request takes the token; the second waits for the next.
	ctx1, end1 := platformapi.WithFlow(context.Background(), key)
	if err := list(ctx1); err != nil {
		t.Fatal(err)
	}
	end1()
	ctx2, end2 := platformapi.WithFlow(context.Background(), key)
	ctx2, cancel2 := context.WithCancel(ctx2)
	waited := make(chan error)
	go func() { waited <- list(ctx2) }()
	for i := 0; ; i++ {
		if full, _ := c.QueueFull(acct.ID, key); full {
			break
		}
		if i == 10000 {
			t.Fatal("the second request never counted as waiting")
		}
		time.Sleep(time.Millisecond)
	}
	if full, _ := c.QueueFull(acct.ID, platformapi.FlowKey{Space: "s", Client: "other"}); full {
		t.Error("QueueFull of another client = true, want false")
	}

	// A third request of the same client is refused at once.
	ctx3, end3 := platformapi.WithFlow(context.Background(), key)
	defer end3()
	err := list(ctx3)
	var pe *platformapi.Error
	var qf *platformapi.QueueFullError
	if !errors.Is(err, platformapi.ErrQueueFull) || !errors.As(err, &pe) || pe.Ambiguous || pe.Attempts != 1 || !errors.As(err, &qf) || qf.RetryAfter < time.Second {
		t.Errorf("third request = %v; want an unambiguous QueueFullError after 1 attempt, RetryAfter ≥ 1s", err)
	}
	if n := len(sim.Requests()); n != 1 {
		t.Errorf("%d REST calls, want 1", n)
	}

	cancel2()
	if err := <-waited; !errors.Is(err, context.Canceled) {
		t.Errorf("the waiting request, cancelled: %v", err)
	}
	if full, _ := c.QueueFull(acct.ID, key); !full {
		t.Error("QueueFull = false while the waiting request still runs, want true: a request keeps its place until it ends")
	}
	end2()
	if full, _ := c.QueueFull(acct.ID, key); full {
		t.Error("QueueFull = true after the waiting request ended, want false")
	}
	// The breaker, which opens on any failure it counts, stayed closed:
	// this call waits for the budget (ErrBudgetDeadline) rather than
	// failing fast with ErrCircuitOpen.
	ctx4, cancel4 := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel4()
	if err := list(ctx4); !errors.Is(err, platformapi.ErrBudgetDeadline) {
		t.Errorf("after a refusal, a call = %v, want ErrBudgetDeadline (breaker closed)", err)
	}
}
