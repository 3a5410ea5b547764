package gateway_test

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ipack-gateway/ipack-gateway/ids"
	"github.com/ipack-gateway/ipack-gateway/platformapi/simulator"
)

// TestChaos drives concurrent clients through attach and unattach against
// an upstream that answers 30% of calls with 503, leaves 5% unanswered
// and resets 1% of connections, half of each after carrying the call out.
// After every reply it checks the invariant the gateway promises: each
// environmentId of the request is either reported attached and is
// attached upstream, or reported failed and is not; no outcome is unknown.
// It also checks that the shared rate budget kept every call within the
// upstream's limit. Bounded: 8 clients × 120 requests.
func TestChaos(t *testing.T) {
	t.Parallel() // long, and it asserts outcomes, not timings
	const (
		clients  = 8
		requests = 120
		perEnvs  = 14 // environments owned by each client: 8 × 14 ≤ 118
	)
	sim := simulator.NewDemo(simulator.Options{
		RateLimit: 1000, Burst: 100, // the upstream's limit; the gateway's budget is 1000/s, burst 50
		Faults: simulator.Faults{
			Unavailable: 0.30, UnavailableRetryAfter: 0.2,
			Hang: 0.05, Reset: 0.01, AfterApply: 0.5,
			Seed: 42,
		},
	})
	e := newEnv(t, envOptions{sim: sim, platformYAML: `  attemptTimeout: 100ms
  rateLimit: {requestsPerSecond: 1000, burst: 50}
  circuitBreaker: {enabled: false}
  retry: {maxAttempts: 3, waitMin: 1ms, waitMax: 5ms, retryAfterMax: 10ms}
`})
	instances := []string{ids.Instance(1950), ids.Instance(34486)}

	var envOps, attached, failed, unknown atomic.Int64
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(c), 7))
			owned := demoEnvs(1+c*perEnvs, perEnvs) // no other client touches these
			for range requests {
				inst := instances[rnd.IntN(len(instances))]
				if rnd.IntN(3) > 0 {
					n := 1 + rnd.IntN(6)
					envs := make([]string, n)
					for i := range envs {
						envs[i] = owned[rnd.IntN(len(owned))]
					}
					r := e.post(t, attachQuery(inst, envs...), nil)
					items := r.attachments(t)
					if len(items) != n {
						t.Errorf("attach of %d environments answered %d items: %s", n, len(items), r.Raw)
						continue
					}
					for i, env := range envs {
						envOps.Add(1)
						up := sim.Attached(simulator.DemoAccountID, inst, env)
						er := r.errorAt(i)
						switch {
						case items[i] != nil && er == nil:
							attached.Add(1)
							if !up || items[i].EnvironmentID != env || items[i].ID != ids.Attachment(inst, env) {
								t.Errorf("reported attached but upstream attached=%v, item %+v", up, items[i])
							}
						case items[i] == nil && er != nil:
							failed.Add(1)
							if er.Extensions["outcome"] == "unknown" {
								unknown.Add(1)
							}
							if up {
								t.Errorf("reported failed (%v) but attached upstream: %s", er.Extensions, env)
							}
						default:
							t.Errorf("environment %d neither attached nor named by an error: %s", i, r.Raw)
						}
					}
				} else {
					env := owned[rnd.IntN(len(owned))]
					was := sim.Attached(simulator.DemoAccountID, inst, env)
					r := e.post(t, fmt.Sprintf(`mutation { integrationPackInstanceEnvironmentAttachmentUnattach(id: %q) }`, ids.Attachment(inst, env)), nil)
					envOps.Add(1)
					up := sim.Attached(simulator.DemoAccountID, inst, env)
					if len(r.Errors) == 0 {
						if up {
							t.Errorf("unattach reported done but %s is attached", env)
						}
					} else {
						if r.Errors[0].Extensions["outcome"] == "unknown" {
							unknown.Add(1)
						}
						if up != was {
							t.Errorf("unattach reported failed (%v) but the state changed from %v", r.Errors[0].Extensions, was)
						}
					}
				}
			}
		}()
	}
	wg.Wait()
	st := sim.Stats()
	t.Logf("%d environment operations: %d attached, %d failed; %d REST calls", envOps.Load(), attached.Load(), failed.Load(), st.Requests)
	if n := unknown.Load(); n != 0 {
		t.Errorf("%d outcomes left unknown", n)
	}
	if st.Throttled != 0 {
		t.Errorf("the upstream throttled %d calls: the rate budget was exceeded", st.Throttled)
	}
	if attached.Load() == 0 {
		t.Error("nothing was attached: the chaos was total, the test proves nothing")
	}
}
