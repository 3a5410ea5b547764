package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/ipack-gateway/ipack-gateway/ratelimit"
	"github.com/ipack-gateway/ipack-gateway/ratelimit/redistest"
)

// ScaleOut is the scale-out scenario: replicas that share the vendor's
// budget through one Redis (platform.rateLimit.store: redis), against one
// simulator that enforces the vendor's limit, and what the Redis round
// trip adds to every REST call.
type ScaleOut struct {
	BudgetPerSecond   float64 `json:"budgetPerSecond"`
	VendorBurst       int     `json:"vendorBurst"`
	UpstreamLatencyMs float64 `json:"upstreamLatencyMs"`
	// Runs are attaches of Environments in all, spread evenly over
	// concurrent attaches to every replica: one replica with the memory
	// store (as before), one on Redis, three on Redis, and three with the
	// memory store, each pacing itself to the whole budget (what
	// platform.rateLimit.replicas now refuses: the case).
	Runs []ScaleOutRun `json:"runs"`
	// TakeLatency is one budget token taken from Redis (ratelimit.Budget's
	// Take: one round trip), what the shared store adds to each REST call.
	TakeLatency Summary `json:"takeLatency"`
	// Attach1Memory and Attach1Redis are attach(1) through one replica at
	// 0 ms upstream latency, the budget out of reach, with -clients/8
	// clients: the whole request's added cost (one Redis round trip per
	// REST call, and one per request for the failed-authentication check).
	Attach1Clients int     `json:"attach1Clients"`
	Attach1Memory  Summary `json:"attach1Memory"`
	Attach1Redis   Summary `json:"attach1Redis"`
}

// ScaleOutRun is one fan-out.
type ScaleOutRun struct {
	Replicas     int     `json:"replicas"`
	Store        string  `json:"store"`
	Environments int     `json:"environments"`
	Seconds      float64 `json:"seconds"`
	IdealSeconds float64 `json:"idealSeconds"` // environments / budget + one upstream round trip
	Ratio        float64 `json:"ratio"`
	Throttled    int     `json:"throttled"` // 503s the simulator answered
	RESTCalls    int     `json:"restCalls"`
	Failed       int     `json:"failed"` // environments not attached
	Error        string  `json:"error,omitempty"`
}

// scaleOut runs the scenario with total environments per fan-out.
func (b *bench) scaleOut(ctx context.Context, total int, budget float64, burst int, latency time.Duration, spec loadSpec) (*ScaleOut, error) {
	bin := redistest.Binary()
	if bin == "" {
		return nil, errors.New("redis-server is not installed (apt install redis-server)")
	}
	rd, err := redistest.Start(ctx, bin, b.work)
	if err != nil {
		return nil, err
	}
	defer rd.Stop()

	s := &ScaleOut{BudgetPerSecond: budget, VendorBurst: burst, UpstreamLatencyMs: ms(latency)}
	client := newLoadClient(16)
	defer client.CloseIdleConnections()
	refill := time.Duration(float64(burst)/budget*float64(time.Second)) + 300*time.Millisecond
	for i, v := range []struct {
		replicas int
		store    string
	}{{1, "memory"}, {1, "redis"}, {3, "redis"}, {3, "memory"}} {
		if i > 0 {
			if err := sleep(ctx, refill); err != nil {
				return s, err
			}
		}
		run, err := b.scaleOutRun(ctx, client, rd.URL(), v.replicas, v.store, total, budget, burst, latency)
		if err != nil {
			return s, err
		}
		s.Runs = append(s.Runs, run)
	}

	// What one token costs: Take on a budget that never makes it wait.
	takeOpts := ratelimit.DefaultOptions()
	takeOpts.URL, takeOpts.KeyPrefix = rd.URL(), "bench-take:"
	st, err := ratelimit.Open(takeOpts)
	if err != nil {
		return s, err
	}
	defer st.Close()
	s.TakeLatency = takeLatency(ctx, st.Budget("bench", 1e6, 1000, 1), spec)

	// attach(1) through one replica, memory against Redis, unthrottled.
	sim, err := b.startSim(ctx, "platformsim-scaleout-0ms", 0, 0, 1)
	if err != nil {
		return s, err
	}
	defer b.stop(sim)
	fast := &pacing{perSecond: 1e6, burst: 1000}
	clients := max(spec.clients/8, 1)
	s.Attach1Clients = clients
	for _, v := range []struct {
		store string
		sum   *Summary
	}{{"memory", &s.Attach1Memory}, {"redis", &s.Attach1Redis}} {
		o := gatewayOpts{pacing: fast, breakerOff: true}
		if v.store == "redis" {
			o.redis = &redisOpts{url: rd.URL(), prefix: "bench-attach1:", replicas: 1}
		}
		gw, err := b.startGateway(ctx, "gateway-attach1-"+v.store, sim.url, o)
		if err != nil {
			return s, err
		}
		lc := newLoadClient(clients)
		*v.sum = measure(ctx, lc, gatewayTarget(gw.url, 1), loadSpec{clients: clients, warmup: spec.warmup, duration: spec.duration}, gw, sim)
		lc.CloseIdleConnections()
		b.stop(gw)
	}
	return s, ctx.Err()
}

// scaleOutRun starts replicas gateways on store against a fresh limited
// simulator and attaches total environments, spread over two concurrent
// attaches per replica.
func (b *bench) scaleOutRun(ctx context.Context, client *http.Client, redisURL string, replicas int, store string, total int, budget float64, burst int, latency time.Duration) (ScaleOutRun, error) {
	run := ScaleOutRun{Replicas: replicas, Store: store, Environments: total}
	name := fmt.Sprintf("scaleout-%d-%s", replicas, store)
	sim, err := b.startSim(ctx, "platformsim-"+name, latency, budget, burst)
	if err != nil {
		return run, err
	}
	defer b.stop(sim)
	var gws []*proc
	for i := range replicas {
		o := gatewayOpts{}
		if store == "redis" {
			o.redis = &redisOpts{url: redisURL, prefix: name + ":", replicas: replicas}
		}
		gw, err := b.startGateway(ctx, name+"-"+strconv.Itoa(i), sim.url, o)
		if err != nil {
			return run, err
		}
		defer b.stop(gw)
		gws = append(gws, gw)
	}
	before, err := simStats(ctx, client, sim.url)
	if err != nil {
		return run, err
	}
	attaches := 2 * replicas
	var wg sync.WaitGroup
	results := make([]MakespanRun, attaches)
	t0 := time.Now()
	for i := range attaches {
		n := total / attaches
		if i < total%attaches {
			n++
		}
		first := 1 + i*(total/attaches) + min(i, total%attaches)
		wg.Go(func() { results[i] = attachRange(ctx, client, gws[i%replicas].url, first, n) })
	}
	wg.Wait()
	run.Seconds = time.Since(t0).Seconds()
	run.IdealSeconds = float64(total)/budget + latency.Seconds()
	run.Ratio = run.Seconds / run.IdealSeconds
	for _, r := range results {
		run.Failed += r.Failed
		if run.Error == "" {
			run.Error = r.Error
		}
	}
	if after, err := simStats(ctx, client, sim.url); err == nil {
		run.Throttled = after.Throttled - before.Throttled
		run.RESTCalls = after.Requests - before.Requests
	}
	return run, ctx.Err()
}

// takeLatency times single Takes, one after another, for spec's duration
// (at most 100,000 of them).
func takeLatency(ctx context.Context, bud *ratelimit.Budget, spec loadSpec) Summary {
	var lat []time.Duration
	end := time.Now().Add(spec.warmup + spec.duration)
	warm := time.Now().Add(spec.warmup)
	errs := 0
	for i := 0; i < 100000 && ctx.Err() == nil && time.Now().Before(end); i++ {
		t0 := time.Now()
		wait, err := bud.Take(ctx)
		d := time.Since(t0)
		if err != nil || wait != 0 {
			errs++
			continue
		}
		if t0.After(warm) {
			lat = append(lat, d)
		}
	}
	slices.Sort(lat)
	return summarize(loadResult{latencies: lat, errors: errs, elapsed: spec.duration})
}

// attachRange sends one attach of environments first to first+n-1 and
// reports how it went (Failed, Error).
func attachRange(ctx context.Context, client *http.Client, gateway string, first, n int) MakespanRun {
	run := MakespanRun{N: n}
	t := gatewayTarget(gateway, 1)
	t.body, _ = json.Marshal(map[string]string{"query": attachRangeQuery(first, n)})
	t.check = func(int, []byte) error { return nil } // countFailed reads the answer
	var buf bytes.Buffer
	t0 := time.Now()
	if err := send(ctx, client, t, &buf); err != nil {
		run.Error, run.Failed = err.Error(), n
	} else {
		run.Failed, run.Error = countFailed(buf.Bytes(), n)
	}
	run.Seconds = time.Since(t0).Seconds()
	return run
}
