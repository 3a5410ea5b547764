package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ipack-gateway/ipack-gateway/platformapi/simulator"
)

// The space, token and instance every scenario uses. The instance, 34486
// of the vendor's sample, belongs to a multi-install pack of the demo
// account, so it attaches anywhere.
const (
	benchSpace    = "bench-space"
	benchToken    = "bench-token"
	benchInstance = "SW50ZWdyYXRpb25QYWNrSW5zdGFuY2UzNDQ4Ng"
	attachName    = "integrationPackInstanceEnvironmentAttachmentAttach"
)

// bench holds what every scenario needs.
type bench struct {
	bins  binaries
	work  string    // scratch directory: configs, logs
	procs []*proc   // started, to stop at the end
	prof  *profiler // nil unless -profile
}

func (b *bench) logPath(name string) string { return filepath.Join(b.work, name+".log") }

// startSim starts the simulator with the demo account. rateLimit 0
// disables the vendor's limit.
func (b *bench) startSim(ctx context.Context, name string, latency time.Duration, rateLimit float64, burst int) (*proc, error) {
	p, err := startProc(ctx, name, b.bins.platformsim, "/-/healthz", b.logPath(name),
		"-latency", latency.String(), "-rate-limit", strconv.FormatFloat(rateLimit, 'f', -1, 64), "-burst", strconv.Itoa(burst))
	if err == nil {
		b.procs = append(b.procs, p)
	}
	return p, err
}

// gatewayOpts are the settings a scenario changes from the defaults.
type gatewayOpts struct {
	// pacing is the per-account REST budget (platform.rateLimit); nil
	// keeps the gateway's default, the vendor's 10 requests per second.
	pacing *pacing
	// breakerOff disables the per-account circuit breaker.
	breakerOff bool
	// redis, when set, shares the budget through Redis
	// (platform.rateLimit.store: redis).
	redis *redisOpts
}

// redisOpts are platform.rateLimit.replicas and the redis section.
type redisOpts struct {
	url, prefix string
	replicas    int
}

// pacing is platform.rateLimit; perSecond 0 disables pacing.
type pacing struct {
	perSecond float64
	burst     int
}

// unlimited is for an upstream that has no rate limit: pacing off.
var unlimited = gatewayOpts{pacing: &pacing{perSecond: 0, burst: 1}}

// startGateway starts the gateway against the simulator at upstream.
func (b *bench) startGateway(ctx context.Context, name, upstream string, o gatewayOpts) (*proc, error) {
	path := filepath.Join(b.work, name+".yaml")
	if err := os.WriteFile(path, []byte(gatewayConfig(upstream, o)), 0o600); err != nil {
		return nil, err
	}
	args := []string{"-config", path}
	debug := ""
	if b.prof != nil {
		var err error
		if debug, err = freeAddr(); err != nil {
			return nil, err
		}
		args = append(args, "-debug-listen", debug)
	}
	p, err := startProc(ctx, name, b.bins.gateway, "/healthz", b.logPath(name), args...)
	if err == nil {
		if debug != "" {
			p.debugURL = "http://" + debug
		}
		b.procs = append(b.procs, p)
	}
	return p, err
}

// gatewayConfig is the gateway's configuration: the defaults, but for
// what o changes, for the per-token limit on inbound requests, which is
// off because every load client shares one token, and for the bound on
// connections per client address, which is off because every load client
// shares one address (as behind a load balancer).
func gatewayConfig(upstream string, o gatewayOpts) string {
	sum := sha256.Sum256([]byte(benchToken))
	platform, top := "", ""
	if o.pacing != nil || o.redis != nil {
		platform += "\n  rateLimit:"
	}
	if o.pacing != nil {
		platform += fmt.Sprintf("\n    requestsPerSecond: %g\n    burst: %d", o.pacing.perSecond, o.pacing.burst)
	}
	if o.redis != nil {
		platform += fmt.Sprintf("\n    store: redis\n    replicas: %d", o.redis.replicas)
		top = fmt.Sprintf("redis:\n  url: %s\n  keyPrefix: %q\n", o.redis.url, o.redis.prefix)
	}
	if o.breakerOff {
		platform += "\n  circuitBreaker:\n    enabled: false"
	}
	return fmt.Sprintf(`# Written by gatewaybench.
platform:
  baseURL: %s%s
%sclients:
  requestsPerSecond: 0
server:
  maxConnectionsPerAddress: 1000000
graphql:
  requestTimeout: 120s
spaces:
  - guid: %s
    accountId: %s
    credentials:
      username: %q
      password: %q
    clientTokens: ["sha256:%s"]
`, upstream, platform, top, benchSpace, simulator.DemoAccountID, simulator.DemoUsername, simulator.DemoPassword, hex.EncodeToString(sum[:]))
}

// startPassthrough starts this program as the pass-through proxy.
func (b *bench) startPassthrough(ctx context.Context, name, upstream string) (*proc, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	p, err := startProc(ctx, name, self, "/healthz", b.logPath(name), "-internal-passthrough", upstream)
	if err == nil {
		b.procs = append(b.procs, p)
	}
	return p, err
}

func (b *bench) stopAll() {
	for _, p := range b.procs {
		p.stop()
	}
	b.procs = nil
}

// stop stops p and forgets it.
func (b *bench) stop(p *proc) {
	p.stop()
	for i, q := range b.procs {
		if q == p {
			b.procs = append(b.procs[:i], b.procs[i+1:]...)
			break
		}
	}
}

// attachQuery is the vendor's attach sample for the first n environments
// of the demo account.
func attachQuery(n int) string { return attachRangeQuery(1, n) }

// attachRangeQuery is the attach of the demo account's environments
// first to first+n-1.
func attachRangeQuery(first, n int) string {
	envs := make([]string, n)
	for i := range envs {
		envs[i] = strconv.Quote(simulator.DemoEnvironment(first + i))
	}
	return `mutation attachIpackInstance { ` + attachName + `(input: {integrationPackInstanceId: "` + benchInstance +
		`", environmentIds: [` + strings.Join(envs, ", ") + `]}) { id environmentId integrationPackInstanceId environmentExtensions } }`
}

// gatewayTarget is attach(n) through the gateway.
func gatewayTarget(gateway string, n int) target {
	body, _ := json.Marshal(map[string]string{"query": attachQuery(n)})
	return target{
		url: gateway + "/graphql",
		header: http.Header{
			"Content-Type":  {"application/json"},
			"Accept":        {"application/json"},
			"Space_guid":    {benchSpace}, // canonical form of SPACE_GUID
			"Authorization": {"Bearer " + benchToken},
		},
		body: body,
		check: func(status int, body []byte) error {
			if status != http.StatusOK || bytes.Contains(body, []byte(`"errors"`)) || !bytes.Contains(body, []byte(`"data"`)) {
				return fmt.Errorf("gateway answered %d: %.300s", status, body)
			}
			return nil
		},
	}
}

// directTarget is the REST CREATE that attach(1) makes, sent straight to
// the simulator.
func directTarget(sim string) target {
	body, _ := json.Marshal(map[string]string{"integrationPackInstanceId": benchInstance, "environmentId": simulator.DemoEnvironment(1)})
	return target{
		url: sim + "/" + simulator.DemoAccountID + "/IntegrationPackEnvironmentAttachment",
		header: http.Header{
			"Content-Type":  {"application/json"},
			"Accept":        {"application/json"},
			"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(simulator.DemoUsername+":"+simulator.DemoPassword))},
		},
		body: body,
		check: func(status int, body []byte) error {
			if status != http.StatusOK || !bytes.Contains(body, []byte(`"id"`)) {
				return fmt.Errorf("simulator answered %d: %.300s", status, body)
			}
			return nil
		},
	}
}

// Overhead compares attach(1) through the gateway with its REST CREATE
// sent directly, at one upstream latency.
type Overhead struct {
	UpstreamLatencyMs float64 `json:"upstreamLatencyMs"`
	Clients           int     `json:"clients"`
	Direct            Summary `json:"direct"`
	// Passthrough is the floor: a do-nothing Go proxy in front of the
	// simulator (see passthrough.go).
	Passthrough Summary `json:"passthrough"`
	Gateway     Summary `json:"gateway"`
	// Gateway over direct, for latency; direct over gateway, for
	// throughput: how many times slower the gateway path is.
	P50Ratio        float64 `json:"p50Ratio"`
	P99Ratio        float64 `json:"p99Ratio"`
	ThroughputRatio float64 `json:"throughputRatio"`
	// The gateway against the pass-through proxy, the floor: its CPU per
	// request and p99 over the proxy's, its throughput over the proxy's
	// (below 1: slower). 0 where one of them served nothing.
	CPURatio                   float64 `json:"cpuRatioToPassthrough"`
	PassthroughThroughputRatio float64 `json:"throughputRatioToPassthrough"`
	PassthroughP99Ratio        float64 `json:"p99RatioToPassthrough"`
}

func (b *bench) overhead(ctx context.Context, latency time.Duration, spec loadSpec) (Overhead, error) {
	sim, err := b.startSim(ctx, fmt.Sprintf("platformsim-%s", latency), latency, 0, 1)
	if err != nil {
		return Overhead{}, err
	}
	defer b.stop(sim)
	gw, err := b.startGateway(ctx, fmt.Sprintf("gateway-%s", latency), sim.url, unlimited)
	if err != nil {
		return Overhead{}, err
	}
	defer b.stop(gw)

	pt, err := b.startPassthrough(ctx, fmt.Sprintf("passthrough-%s", latency), sim.url)
	if err != nil {
		return Overhead{}, err
	}
	defer b.stop(pt)

	client := newLoadClient(spec.clients)
	defer client.CloseIdleConnections()
	o := Overhead{UpstreamLatencyMs: ms(latency), Clients: spec.clients}
	o.Direct = measure(ctx, client, directTarget(sim.url), spec, sim, nil)
	o.Passthrough = measure(ctx, client, gatewayTarget(pt.url, 1), spec, pt, sim)
	b.prof.overLoad(ctx, gw, fmt.Sprintf("%gms", ms(latency)), spec)
	o.Gateway = measure(ctx, client, gatewayTarget(gw.url, 1), spec, gw, sim)
	b.prof.wait()
	if o.Direct.P50Ms > 0 {
		o.P50Ratio = o.Gateway.P50Ms / o.Direct.P50Ms
		o.P99Ratio = o.Gateway.P99Ms / o.Direct.P99Ms
	}
	if o.Gateway.PerSecond > 0 {
		o.ThroughputRatio = o.Direct.PerSecond / o.Gateway.PerSecond
	}
	o.CPURatio = safeDiv(o.Gateway.CPUMicros, o.Passthrough.CPUMicros)
	o.PassthroughThroughputRatio = safeDiv(o.Gateway.PerSecond, o.Passthrough.PerSecond)
	o.PassthroughP99Ratio = safeDiv(o.Gateway.P99Ms, o.Passthrough.P99Ms)
	return o, ctx.Err()
}

// Makespan is how long attach(N) takes under the vendor's rate limit.
type Makespan struct {
	BudgetPerSecond   float64 `json:"budgetPerSecond"`
	VendorBurst       int     `json:"vendorBurst"` // the simulator's; the gateway paces with its default burst
	UpstreamLatencyMs float64 `json:"upstreamLatencyMs"`
	// Paced is the gateway as configured by default: its REST budget is
	// the vendor's limit. Unpaced is the same gateway with pacing and the
	// circuit breaker off, so that only its retries of the vendor's 503s
	// hold it back.
	Paced   []MakespanRun `json:"paced"`
	Unpaced []MakespanRun `json:"unpaced"`
}

// MakespanRun is one attach(N).
type MakespanRun struct {
	N int `json:"n"`
	// Seconds from sending the request to the whole answer.
	Seconds float64 `json:"seconds"`
	// IdealSeconds is N / budget plus one upstream round trip.
	IdealSeconds float64 `json:"idealSeconds"`
	Ratio        float64 `json:"ratio"`
	// Throttled counts the 503s the simulator answered during the run.
	Throttled int `json:"throttled"`
	// RESTCalls counts the REST requests the simulator received.
	RESTCalls int `json:"restCalls"`
	// Failed counts environments that were not attached.
	Failed int    `json:"failed"`
	Error  string `json:"error,omitempty"`
}

// makespan runs attach(N) for each of ns against a simulator that allows
// budget requests per second with burst, the vendor's limit.
func (b *bench) makespan(ctx context.Context, ns []int, budget float64, burst int, latency time.Duration) (*Makespan, error) {
	sim, err := b.startSim(ctx, "platformsim-limited", latency, budget, burst)
	if err != nil {
		return nil, err
	}
	defer b.stop(sim)
	m := &Makespan{BudgetPerSecond: budget, VendorBurst: burst, UpstreamLatencyMs: ms(latency)}
	paced, err := b.startGateway(ctx, "gateway-paced", sim.url, gatewayOpts{})
	if err != nil {
		return nil, err
	}
	defer b.stop(paced)
	// Pacing and the breaker off: only retries of the 503s hold it back.
	// With the breaker on, the 503s of one run would open it and fail the
	// next runs at once, which says nothing about pacing.
	naive, err := b.startGateway(ctx, "gateway-unpaced", sim.url, gatewayOpts{pacing: &pacing{perSecond: 0, burst: 1}, breakerOff: true})
	if err != nil {
		return nil, err
	}
	defer b.stop(naive)

	client := newLoadClient(1)
	defer client.CloseIdleConnections()
	// After a run, both token buckets (the gateway's and the simulator's)
	// must be full again before the next: burst tokens at budget per second.
	// Before the first, nothing has drawn on them.
	refill := time.Duration(float64(burst)/budget*float64(time.Second)) + 300*time.Millisecond
	first := true
	for _, n := range ns {
		for _, v := range []struct {
			gw   *proc
			runs *[]MakespanRun
		}{{paced, &m.Paced}, {naive, &m.Unpaced}} {
			if !first {
				if err := sleep(ctx, refill); err != nil {
					return m, err
				}
			}
			first = false
			run := attachOnce(ctx, client, v.gw.url, sim.url, n)
			run.IdealSeconds = float64(n)/budget + latency.Seconds()
			run.Ratio = run.Seconds / run.IdealSeconds
			*v.runs = append(*v.runs, run)
		}
	}
	return m, ctx.Err()
}

// attachOnce sends one attach(n) and measures it.
func attachOnce(ctx context.Context, client *http.Client, gateway, sim string, n int) MakespanRun {
	run := MakespanRun{N: n}
	before, err := simStats(ctx, client, sim)
	if err != nil {
		run.Error = err.Error()
		return run
	}
	t := gatewayTarget(gateway, n)
	t.check = func(int, []byte) error { return nil }
	var buf bytes.Buffer
	t0 := time.Now()
	err = send(ctx, client, t, &buf)
	run.Seconds = time.Since(t0).Seconds()
	if err != nil {
		run.Error = err.Error()
		run.Failed = n
	} else {
		run.Failed, run.Error = countFailed(buf.Bytes(), n)
	}
	if after, err := simStats(ctx, client, sim); err == nil {
		run.Throttled = after.Throttled - before.Throttled
		run.RESTCalls = after.Requests - before.Requests
	}
	return run
}

// countFailed counts the environments of an attach answer that were not
// attached, and returns the first error message.
func countFailed(body []byte, n int) (int, string) {
	var resp struct {
		Data   map[string][]*struct{ ID *string } `json:"data"`
		Errors []struct{ Message string }         `json:"errors"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return n, fmt.Sprintf("unreadable answer: %.200s", body)
	}
	first := ""
	if len(resp.Errors) > 0 {
		first = resp.Errors[0].Message
	}
	items := resp.Data[attachName]
	failed := n - len(items)
	for _, it := range items {
		if it == nil || it.ID == nil {
			failed++
		}
	}
	return failed, first
}

// simStats reads the simulator's counters.
func simStats(ctx context.Context, client *http.Client, sim string) (simCounters, error) {
	var st simCounters
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, sim+"/-/stats", nil)
	if err != nil {
		return st, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return st, fmt.Errorf("simulator stats: %w", err)
	}
	return st, nil
}

// simCounters is the body of platformsim's GET /-/stats.
type simCounters struct {
	Requests  int `json:"requests"`
	Throttled int `json:"throttled"`
}

// Memory is the gateway's memory under many concurrent clients, beside
// the pass-through proxy's under the same load: the floor of any Go
// server that holds that many requests in flight.
type Memory struct {
	Clients           int     `json:"clients"`
	UpstreamLatencyMs float64 `json:"upstreamLatencyMs"`
	IdleRSSMiB        float64 `json:"idleRSSMiB"`
	PeakRSSMiB        float64 `json:"peakRSSMiB"`
	Load              Summary `json:"load"`
	// PassthroughPeakRSSMiB is the pass-through proxy's peak.
	PassthroughPeakRSSMiB float64 `json:"passthroughPeakRSSMiB"`
	PassthroughLoad       Summary `json:"passthroughLoad"`
	// PeakRSSRatio is the gateway's peak over the proxy's.
	PeakRSSRatio float64 `json:"peakRSSRatioToPassthrough"`
	// PeakAnonMiB and PassthroughPeakAnonMiB are the highest anonymous
	// resident memory (heap, stacks, the runtime's: RSS without the pages
	// of the binary) seen, sampled every anonSampleEvery during the load:
	// what the requests in flight cost, apart from the size of the code
	// that serves them. Not the target's figure; context for it.
	PeakAnonMiB            float64 `json:"peakAnonMiB"`
	PassthroughPeakAnonMiB float64 `json:"passthroughPeakAnonMiB"`
	PeakAnonRatio          float64 `json:"peakAnonRatioToPassthrough"`
}

// anonSampleEvery is how often the memory scenario samples anonymous RSS.
const anonSampleEvery = 20 * time.Millisecond

func (b *bench) memory(ctx context.Context, latency time.Duration, spec loadSpec) (*Memory, error) {
	sim, err := b.startSim(ctx, "platformsim-memory", latency, 0, 1)
	if err != nil {
		return nil, err
	}
	defer b.stop(sim)
	m := &Memory{Clients: spec.clients, UpstreamLatencyMs: ms(latency)}

	// One at a time, each freshly started, so that each peak is its own.
	pt, err := b.startPassthrough(ctx, "passthrough-memory", sim.url)
	if err != nil {
		return nil, err
	}
	m.PassthroughLoad, m.PassthroughPeakRSSMiB, _, m.PassthroughPeakAnonMiB, err = loadPeak(ctx, pt, sim, spec)
	b.stop(pt)
	if err != nil {
		return nil, err
	}

	gw, err := b.startGateway(ctx, "gateway-memory", sim.url, unlimited)
	if err != nil {
		return nil, err
	}
	defer b.stop(gw)
	b.prof.midLoad(ctx, gw, "memory", spec)
	m.Load, m.PeakRSSMiB, m.IdleRSSMiB, m.PeakAnonMiB, err = loadPeak(ctx, gw, sim, spec)
	b.prof.wait()
	if err != nil {
		return nil, err
	}
	m.PeakRSSRatio = safeDiv(m.PeakRSSMiB, m.PassthroughPeakRSSMiB)
	m.PeakAnonRatio = safeDiv(m.PeakAnonMiB, m.PassthroughPeakAnonMiB)
	return m, ctx.Err()
}

// loadPeak drives attach(1) at p with spec and returns what the load
// measured, p's peak RSS and its RSS before the load, in MiB.
func loadPeak(ctx context.Context, p, sim *proc, spec loadSpec) (Summary, float64, float64, float64, error) {
	idle, err := p.rss()
	if err != nil {
		return Summary{}, 0, 0, 0, err
	}
	client := newLoadClient(spec.clients)
	defer client.CloseIdleConnections()
	stop, anon := sampleMax(p.anonRSS, anonSampleEvery)
	s := measure(ctx, client, gatewayTarget(p.url, 1), spec, p, sim)
	stop()
	peak, err := p.peakRSS()
	if err != nil {
		return Summary{}, 0, 0, 0, err
	}
	return s, mib(peak), mib(idle), mib(*anon), nil
}

// sampleMax reads f every d until stop is called, and keeps the highest
// value it read (0 when every read failed) in *max, which is final once
// stop has returned.
func sampleMax(f func() (int64, error), d time.Duration) (stop func(), max *int64) {
	max = new(int64)
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			if v, err := f(); err == nil && v > *max {
				*max = v
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); <-finished }, max
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
