// Command gatewaybench measures what the gateway costs its users: latency
// and throughput over calling the REST API directly, how quickly a large
// attach finishes under the vendor's rate limit, and memory under many
// clients. It builds cmd/gateway and cmd/platformsim, starts them as
// separate processes on loopback, drives them with concurrent clients, and
// writes results.json and results.svg to -out, then prints a summary. It
// lives in the tools module (go.work joins it), so that its plotting
// library stays out of the gateway's go.mod; docs/performance.md has the
// latest figures and how they were taken.
//
//	go run ./tools/gatewaybench            the full run, about 2½ minutes
//	go run ./tools/gatewaybench -quick     a smoke run, under a minute
//
// Scenarios:
//   - overhead: attach(1) through the gateway, through a do-nothing Go
//     proxy (passthru: the floor under any gateway) and as the same REST
//     CREATE sent directly to the simulator, at 0 ms and 20 ms upstream
//     latency, with -clients closed-loop clients;
//   - makespan: attach(N) for several N under the vendor's 10 req/s limit
//     (the simulator answers 503 past it) at 20 ms latency, through a
//     gateway paced at that budget and through one with pacing and the
//     circuit breaker off, so that only retries of the 503s hold it back;
//   - memory: the gateway's and the proxy's peak RSS, and highest anonymous
//     RSS, with -memory-clients clients at 20 ms upstream latency;
//   - scaleout: -scaleout-envs environments attached through concurrent
//     attaches to one gateway (memory store, then Redis) and to three
//     gateways sharing the budget through one Redis (a redis-server it
//     starts on loopback), under the vendor's limit at 20 ms; and what the
//     Redis round trip adds per REST call;
//   - hostileCost: one client floods the gateway with the most expensive
//     requests it may send, from 64 connections, within its rate limit,
//     while another sends `{ __typename }`: the victim's latency alone and
//     under the flood, and the gateway's peak RSS (hostile.go).
//
// The targets are ratios within one run (against the proxy, direct REST or
// the ideal makespan), reported, never enforced: the exit status says only
// whether the run itself worked.
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "gatewaybench:", err)
		os.Exit(1)
	}
}

// config is what the flags select.
type config struct {
	quick          bool
	out            string
	logs           bool
	clients        int
	memoryClients  int
	duration       time.Duration
	warmup         time.Duration
	memoryDuration time.Duration
	makespanN      []int
	scaleOutEnvs   int
	hostileIdle    time.Duration
	hostileFlood   time.Duration
	// clientMaxExecuting is clients.maxExecuting for the hostileCost
	// scenario; negative keeps the gateway's default (and works with
	// builds that do not know the key).
	clientMaxExecuting int
	hostileRelaxed     bool
	// hostileAttackers is how many clients flood in the hostileCost
	// scenario, each with a token of its own and at its own rate limit.
	hostileAttackers int
	scenarios        map[string]bool
	bins             binaries // prebuilt; empty fields are built
	passthrough      string   // upstream: serve as the pass-through proxy
	profile          bool     // fetch the gateway's profiles into out
	listen           string   // of the pass-through proxy
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("gatewaybench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &config{}
	fs.BoolVar(&c.quick, "quick", false, "a short smoke run (under a minute): shorter loads, fewer N")
	fs.StringVar(&c.out, "out", "gatewaybench-out", "`directory` for results.json and results.svg")
	fs.BoolVar(&c.logs, "logs", false, "keep the gateway's and simulator's logs and configs in the -out directory")
	fs.BoolVar(&c.profile, "profile", false, "write the gateway's CPU, allocation, heap and goroutine profiles (pprof) under load to the -out directory; the gateway must have -debug-listen, and profiling skews the figures")
	fs.IntVar(&c.clients, "clients", 32, "concurrent clients of the overhead scenario")
	fs.IntVar(&c.memoryClients, "memory-clients", 1000, "concurrent clients of the memory scenario")
	duration := fs.Duration("duration", 0, "measured time of each overhead load (default 5s, 1s with -quick)")
	ns := fs.String("makespan-n", "", "comma-separated N of the makespan scenario (default 1,10,50,100; 1,20 with -quick)")
	fs.StringVar(&c.bins.gateway, "gateway-bin", "", "a gateway `binary` to measure instead of building cmd/gateway (to compare builds)")
	fs.StringVar(&c.bins.platformsim, "platformsim-bin", "", "a platformsim `binary` to use instead of building cmd/platformsim")
	fs.StringVar(&c.passthrough, "internal-passthrough", "", "internal: serve as the pass-through proxy to the simulator at `URL` (the benchmark starts itself so)")
	fs.StringVar(&c.listen, "listen", "127.0.0.1:0", "internal: the pass-through proxy's listen `address`")
	fs.IntVar(&c.scaleOutEnvs, "scaleout-envs", 0, "environments per fan-out of the scaleout scenario (default 60, 20 with -quick)")
	fs.IntVar(&c.clientMaxExecuting, "client-max-executing", -1, "clients.maxExecuting of the hostileCost scenario's gateway (0 disables the bound; negative keeps the default)")
	fs.BoolVar(&c.hostileRelaxed, "hostile-relaxed", false, "lift the hostileCost scenario's configurable bounds on a request's cost (graphql.maxTokens, maxVariableValues, maxBodyBytes), to measure clients.maxExecuting alone")
	fs.IntVar(&c.hostileAttackers, "hostile-attackers", 1, "clients flooding in the hostileCost scenario, each with a token of its own and at its own rate limit, on at least as many connections (many hostile clients at once)")
	only := fs.String("scenarios", "overhead,makespan,memory,scaleout,hostileCost", "comma-separated scenarios to run")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if c.hostileAttackers < 1 || c.hostileAttackers > 1000 {
		return nil, fmt.Errorf("-hostile-attackers: %d is not a number from 1 to 1000", c.hostileAttackers)
	}
	c.duration, c.warmup, c.memoryDuration = 5*time.Second, time.Second, 5*time.Second
	c.makespanN = []int{1, 10, 50, 100}
	c.hostileIdle, c.hostileFlood = 3*time.Second, 10*time.Second
	if c.quick {
		c.duration, c.warmup, c.memoryDuration = time.Second, 250*time.Millisecond, time.Second
		c.makespanN = []int{1, 20}
		c.hostileIdle, c.hostileFlood = time.Second, 3*time.Second
	}
	if c.scaleOutEnvs == 0 {
		c.scaleOutEnvs = 60
		if c.quick {
			c.scaleOutEnvs = 20
		}
	}
	if *duration != 0 {
		c.duration = *duration
	}
	if *ns != "" {
		c.makespanN = nil
		for _, f := range strings.Split(*ns, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 || n > 100 {
				return nil, fmt.Errorf("-makespan-n: %q is not a number from 1 to 100", f)
			}
			c.makespanN = append(c.makespanN, n)
		}
	}
	c.scenarios = map[string]bool{}
	for _, s := range strings.Split(*only, ",") {
		s = strings.TrimSpace(s)
		switch s {
		case "overhead", "makespan", "memory", "scaleout", "hostileCost":
			c.scenarios[s] = true
		default:
			return nil, fmt.Errorf("-scenarios: unknown scenario %q", s)
		}
	}
	switch {
	case c.clients < 1 || c.clients > 10000:
		return nil, errors.New("-clients must be between 1 and 10000")
	case c.memoryClients < 1 || c.memoryClients > 10000:
		return nil, errors.New("-memory-clients must be between 1 and 10000")
	case c.scaleOutEnvs < 1 || c.scaleOutEnvs > 116:
		return nil, errors.New("-scaleout-envs must be between 1 and 116 (the demo account's environments)")
	case c.duration <= 0 || c.duration > 10*time.Minute:
		return nil, errors.New("-duration must be positive and at most 10m")
	}
	return c, nil
}

// The scenarios' fixed parameters, from the issue that asked for them.
const (
	vendorBudget = 10 // requests per second per account
	vendorBurst  = 10
	slowUpstream = 20 * time.Millisecond
)

// The targets (issue 12), as ratios to the pass-through proxy or to direct
// REST measured in the same run, so that they hold on any machine: the
// proxy is the floor under any Go gateway, and a busy machine slows both.
const (
	maxCPURatio        = 2.0  // gateway CPU per attach(1) at 0 ms over the proxy's
	minThroughputRatio = 0.6  // gateway attach(1)/s at 0 ms over the proxy's
	maxP99Ratio        = 1.5  // gateway p99 at 0 ms over the proxy's
	maxRSSRatio        = 1.2  // gateway peak RSS at -memory-clients over the proxy's
	maxP50Ratio        = 1.05 // gateway p50 at 20 ms over direct REST's
	maxMakespanRatio   = 1.1  // paced attach(N) over the ideal, with no 503
)

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if cfg.passthrough != "" {
		return servePassthrough(ctx, cfg.listen, cfg.passthrough)
	}
	if err := os.MkdirAll(cfg.out, 0o755); err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "gatewaybench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if cfg.logs {
		work = cfg.out
	}

	start := time.Now()
	bins := cfg.bins
	if bins.gateway == "" || bins.platformsim == "" {
		fmt.Fprintln(stderr, "gatewaybench: building cmd/gateway and cmd/platformsim")
		built, err := buildBinaries(ctx, filepath.Join(work, "bin"), stderr)
		if err != nil {
			return err
		}
		bins.gateway = cmp.Or(bins.gateway, built.gateway)
		bins.platformsim = cmp.Or(bins.platformsim, built.platformsim)
	}
	b := &bench{bins: bins, work: work}
	if cfg.profile {
		b.prof = newProfiler(cfg.out)
	}
	defer b.stopAll()

	r := &Report{Machine: thisMachine(), Quick: cfg.quick, Started: start.UTC().Format(time.RFC3339)}
	if cfg.scenarios["overhead"] {
		for _, lat := range []time.Duration{0, slowUpstream} {
			fmt.Fprintf(stderr, "gatewaybench: overhead at %s upstream latency, %d clients\n", lat, cfg.clients)
			o, err := b.overhead(ctx, lat, loadSpec{clients: cfg.clients, warmup: cfg.warmup, duration: cfg.duration})
			if err != nil {
				return fmt.Errorf("overhead: %w", err)
			}
			r.Overhead = append(r.Overhead, o)
		}
	}
	if cfg.scenarios["makespan"] {
		fmt.Fprintf(stderr, "gatewaybench: makespan of attach(N) for N in %v\n", cfg.makespanN)
		m, err := b.makespan(ctx, cfg.makespanN, vendorBudget, vendorBurst, slowUpstream)
		if err != nil {
			return fmt.Errorf("makespan: %w", err)
		}
		r.Makespan = m
	}
	if cfg.scenarios["memory"] {
		fmt.Fprintf(stderr, "gatewaybench: memory at %d clients\n", cfg.memoryClients)
		m, err := b.memory(ctx, slowUpstream, loadSpec{clients: cfg.memoryClients, warmup: cfg.warmup, duration: cfg.memoryDuration})
		if err != nil {
			return fmt.Errorf("memory: %w", err)
		}
		r.Memory = m
	}
	if cfg.scenarios["scaleout"] {
		fmt.Fprintf(stderr, "gatewaybench: scale-out, %d environments through 1 and 3 replicas\n", cfg.scaleOutEnvs)
		so, err := b.scaleOut(ctx, cfg.scaleOutEnvs, vendorBudget, vendorBurst, slowUpstream, loadSpec{clients: cfg.clients, warmup: cfg.warmup, duration: cfg.duration})
		if err != nil {
			return fmt.Errorf("scaleout: %w", err)
		}
		r.ScaleOut = so
	}
	if cfg.scenarios["hostileCost"] {
		fmt.Fprintf(stderr, "gatewaybench: hostile cost, %d attacking clients on %d connections, %d victim clients\n", cfg.hostileAttackers, max(hostileClients, cfg.hostileAttackers), victimClients)
		h, err := b.hostileCost(ctx, cfg.hostileIdle, cfg.hostileFlood, cfg.clientMaxExecuting, cfg.hostileRelaxed, cfg.hostileAttackers)
		if err != nil {
			return fmt.Errorf("hostileCost: %w", err)
		}
		r.HostileCost = h
	}
	for _, err := range b.prof.errors() {
		fmt.Fprintln(stderr, "gatewaybench:", err)
	}
	r.Seconds = time.Since(start).Seconds()
	r.Targets = targets(r)

	if err := writeResults(cfg.out, r); err != nil {
		return err
	}
	printSummary(stdout, r, cfg.out)
	return nil
}

func writeResults(dir string, r *Report) error {
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), append(js, '\n'), 0o644); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, "results.svg"))
	if err != nil {
		return err
	}
	if err := writeChart(f, r); err != nil {
		f.Close()
		return fmt.Errorf("chart: %w", err)
	}
	return f.Close()
}

// Report is results.json.
type Report struct {
	Machine  Machine    `json:"machine"`
	Quick    bool       `json:"quick"`
	Started  string     `json:"started"`
	Seconds  float64    `json:"seconds"`
	Overhead []Overhead `json:"overhead,omitempty"`
	Makespan *Makespan  `json:"makespan,omitempty"`
	Memory   *Memory    `json:"memory,omitempty"`
	ScaleOut *ScaleOut  `json:"scaleOut,omitempty"`
	// HostileCost is issue 17's: a flood of expensive requests from one
	// client, and another client's latency (hostile.go).
	HostileCost *HostileCost `json:"hostileCost,omitempty"`
	Targets     []Target     `json:"targets"`
}

// Machine says where the numbers come from.
type Machine struct {
	OS        string `json:"os"`
	Arch      string `json:"arch"`
	CPUs      int    `json:"cpus"`
	CPU       string `json:"cpu,omitempty"`
	GoVersion string `json:"goVersion"`
	// LoadAverage is /proc/loadavg's 1-minute figure at the start: other
	// work on the machine skews every number.
	LoadAverage float64 `json:"loadAverage,omitempty"`
}

func thisMachine() Machine {
	m := Machine{OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU(), GoVersion: runtime.Version()}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		_, _ = fmt.Sscan(string(b), &m.LoadAverage)
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}

// Target is one of the goals the issue set, and whether this run met it.
type Target struct {
	Name string  `json:"name"`
	Want string  `json:"want"`
	Got  string  `json:"got"`
	Met  bool    `json:"met"`
	By   float64 `json:"by,omitempty"` // got/want where missed, for scale
}

func targets(r *Report) []Target {
	var ts []Target
	// atMost and atLeast make a target of a ratio; a ratio of 0 is one
	// that could not be measured, and is never met.
	atMost := func(name string, got, limit float64, extra string, ok bool) Target {
		return Target{Name: name, Want: fmt.Sprintf("≤ %.2f%s", limit, extra), Got: fmt.Sprintf("%.3f", got),
			Met: ok && got > 0 && got <= limit, By: got / limit}
	}
	for _, o := range r.Overhead {
		switch o.UpstreamLatencyMs {
		case 0:
			ok := o.Gateway.Requests > 0 && o.Gateway.Errors == 0
			ts = append(ts,
				atMost("CPU per attach(1) at 0 ms / passthru", o.CPURatio, maxCPURatio, "", ok),
				Target{Name: fmt.Sprintf("attach(1)/s at 0 ms, %d clients / passthru", o.Clients), Want: fmt.Sprintf("≥ %.2f", minThroughputRatio),
					Got: fmt.Sprintf("%.3f", o.PassthroughThroughputRatio), Met: ok && o.PassthroughThroughputRatio >= minThroughputRatio, By: o.PassthroughThroughputRatio / minThroughputRatio},
				atMost(fmt.Sprintf("p99 at 0 ms, %d clients / passthru", o.Clients), o.PassthroughP99Ratio, maxP99Ratio, "", ok))
		case ms(slowUpstream):
			ts = append(ts, atMost("gateway p50 / direct p50 at 20 ms", o.P50Ratio, maxP50Ratio, "", o.Gateway.Errors == 0))
		}
	}
	if m := r.Makespan; m != nil && len(m.Paced) > 0 {
		worst, throttled, failed := 0.0, 0, 0
		for _, run := range m.Paced {
			worst = max(worst, run.Ratio)
			throttled += run.Throttled
			failed += run.Failed
		}
		ts = append(ts, Target{Name: "paced makespan / ideal, worst N", Want: fmt.Sprintf("≤ %.2f, 0×503", maxMakespanRatio),
			Got: fmt.Sprintf("%.3f, %d×503, %d failed", worst, throttled, failed), Met: worst <= maxMakespanRatio && throttled == 0 && failed == 0, By: worst / maxMakespanRatio})
	}
	if so := r.ScaleOut; so != nil {
		for _, run := range so.Runs {
			if run.Replicas > 1 && run.Store == "redis" {
				ts = append(ts, Target{Name: fmt.Sprintf("%d replicas on Redis: makespan / ideal", run.Replicas), Want: "≤ 1.10, 0×503",
					Got: fmt.Sprintf("%.3f, %d×503, %d failed", run.Ratio, run.Throttled, run.Failed), Met: run.Ratio > 0 && run.Ratio <= 1.1 && run.Throttled == 0 && run.Failed == 0, By: run.Ratio / 1.1})
			}
		}
	}
	if m := r.Memory; m != nil {
		t := atMost(fmt.Sprintf("peak RSS at %d clients / passthru", m.Clients), m.PeakRSSRatio, maxRSSRatio, ", 0 refused", m.Load.Errors == 0)
		t.Got += fmt.Sprintf(" (%.1f / %.1f MiB), %d refused", m.PeakRSSMiB, m.PassthroughPeakRSSMiB, m.Load.Errors)
		ts = append(ts, t)
	}
	if h := r.HostileCost; h != nil {
		ts = append(ts,
			Target{Name: "hostile flood: victim p99 ms", Want: fmt.Sprintf("≤ %d", maxVictimP99Ms),
				Got: fmt.Sprintf("%.1f (idle %.1f), %d errors", h.Victim.P99Ms, h.VictimIdle.P99Ms, h.Victim.Errors),
				Met: h.Victim.Requests > 0 && h.Victim.Errors == 0 && h.Victim.P99Ms <= maxVictimP99Ms, By: h.Victim.P99Ms / maxVictimP99Ms},
			Target{Name: "hostile flood: gateway peak RSS MiB", Want: fmt.Sprintf("≤ %.1f (150 MB)", maxHostilePeakMiB),
				Got: fmt.Sprintf("%.1f (idle %.1f)", h.PeakRSSMiB, h.IdleRSSMiB), Met: h.PeakRSSMiB > 0 && h.PeakRSSMiB <= maxHostilePeakMiB, By: h.PeakRSSMiB / maxHostilePeakMiB})
	}
	for i := range ts {
		if ts[i].Met {
			ts[i].By = 0
		}
	}
	return ts
}

// printSummary prints one screen: every scenario's figures and the targets.
func printSummary(w io.Writer, r *Report, out string) {
	fmt.Fprintf(w, "gatewaybench on %d× %s, %s %s/%s%s, %.0f s; load average %.2f at the start\n\n", r.Machine.CPUs, r.Machine.CPU, r.Machine.GoVersion, r.Machine.OS, r.Machine.Arch, map[bool]string{true: ", -quick"}[r.Quick], r.Seconds, r.Machine.LoadAverage)
	if len(r.Overhead) > 0 {
		fmt.Fprintf(w, "Overhead: attach(1) via the gateway, via a do-nothing Go proxy (passthru), and its REST CREATE sent directly\n")
		fmt.Fprintf(w, "  %-8s %-8s %8s %7s %7s %7s %6s %20s\n", "upstream", "path", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors", "CPU µs/req*")
		for _, o := range r.Overhead {
			for _, s := range []struct {
				name string
				s    Summary
			}{{"direct", o.Direct}, {"passthru", o.Passthrough}, {"gateway", o.Gateway}} {
				fmt.Fprintf(w, "  %-8s %-8s %8.0f %7.2f %7.2f %7.2f %6d %6.0f +%4.0f +%4.0f\n", fmt.Sprintf("%g ms", o.UpstreamLatencyMs), s.name, s.s.PerSecond, s.s.P50Ms, s.s.P95Ms, s.s.P99Ms, s.s.Errors, s.s.CPUMicros, s.s.UpstreamCPUMicros, s.s.ClientCPUMicros)
			}
			fmt.Fprintf(w, "  %-8s gateway/direct: p50 ×%.2f, p99 ×%.2f; throughput direct/gateway ×%.2f\n", "", o.P50Ratio, o.P99Ratio, o.ThroughputRatio)
			fmt.Fprintf(w, "  %-8s gateway/passthru: CPU ×%.2f, throughput ×%.2f, p99 ×%.2f\n", "", o.CPURatio, o.PassthroughThroughputRatio, o.PassthroughP99Ratio)
		}
		fmt.Fprintln(w, "  * CPU time per request: the server in front + the simulator behind it + the load tool")
		fmt.Fprintln(w)
	}
	if m := r.Makespan; m != nil {
		fmt.Fprintf(w, "Makespan: attach(N), vendor limit %g req/s (burst %d), %g ms upstream\n", m.BudgetPerSecond, m.VendorBurst, m.UpstreamLatencyMs)
		fmt.Fprintf(w, "  %4s %8s %18s %26s\n", "N", "ideal s", "paced s (ratio)", "unpaced s (503s, failed)")
		for i := range max(len(m.Paced), len(m.Unpaced)) {
			var p, u MakespanRun
			if i < len(m.Paced) {
				p = m.Paced[i]
			}
			if i < len(m.Unpaced) {
				u = m.Unpaced[i]
			}
			n, ideal := p.N, p.IdealSeconds
			if n == 0 {
				n, ideal = u.N, u.IdealSeconds
			}
			fmt.Fprintf(w, "  %4d %8.2f %9.2f (×%.2f)%s %12.2f (%d, %d)\n", n, ideal, p.Seconds, p.Ratio, throttleNote(p), u.Seconds, u.Throttled, u.Failed)
		}
		fmt.Fprintln(w)
	}
	if m := r.Memory; m != nil {
		fmt.Fprintf(w, "Memory: %d clients, %g ms upstream: gateway peak RSS %.1f MiB (idle %.1f MiB), %.0f req/s, p99 %.1f ms, %d errors;\n",
			m.Clients, m.UpstreamLatencyMs, m.PeakRSSMiB, m.IdleRSSMiB, m.Load.PerSecond, m.Load.P99Ms, m.Load.Errors)
		fmt.Fprintf(w, "  passthru peak RSS %.1f MiB, %.0f req/s, p99 %.1f ms; gateway/passthru peak RSS ×%.2f\n", m.PassthroughPeakRSSMiB, m.PassthroughLoad.PerSecond, m.PassthroughLoad.P99Ms, m.PeakRSSRatio)
		fmt.Fprintf(w, "  anonymous RSS (heap and stacks, without the binary's pages; sampled every %s): gateway %.1f MiB, passthru %.1f MiB, ×%.2f\n\n", anonSampleEvery, m.PeakAnonMiB, m.PassthroughPeakAnonMiB, m.PeakAnonRatio)
	}
	if so := r.ScaleOut; so != nil {
		fmt.Fprintf(w, "Scale-out: concurrent attaches (two per replica), vendor limit %g req/s (burst %d), %g ms upstream\n", so.BudgetPerSecond, so.VendorBurst, so.UpstreamLatencyMs)
		fmt.Fprintf(w, "  %8s %-7s %5s %8s %18s %6s %7s\n", "replicas", "store", "envs", "ideal s", "makespan s (ratio)", "503s", "failed")
		for _, run := range so.Runs {
			fmt.Fprintf(w, "  %8d %-7s %5d %8.2f %9.2f (×%.3f) %6d %7d\n", run.Replicas, run.Store, run.Environments, run.IdealSeconds, run.Seconds, run.Ratio, run.Throttled, run.Failed)
		}
		fmt.Fprintf(w, "  one token from Redis: p50 %.3f ms, p99 %.3f ms (%d takes, %d errors)\n", so.TakeLatency.P50Ms, so.TakeLatency.P99Ms, so.TakeLatency.Requests, so.TakeLatency.Errors)
		fmt.Fprintf(w, "  attach(1) at 0 ms, %d clients: memory p50 %.2f ms p99 %.2f ms %.0f/s; redis p50 %.2f ms p99 %.2f ms %.0f/s\n\n",
			so.Attach1Clients, so.Attach1Memory.P50Ms, so.Attach1Memory.P99Ms, so.Attach1Memory.PerSecond, so.Attach1Redis.P50Ms, so.Attach1Redis.P99Ms, so.Attach1Redis.PerSecond)
	}
	if h := r.HostileCost; h != nil {
		limit := "default"
		if h.ClientMaxExecuting >= 0 {
			limit = strconv.Itoa(h.ClientMaxExecuting)
		}
		if h.Relaxed {
			limit += ", graphql bounds lifted"
		}
		who := "one client floods"
		if h.AttackerTokens > 1 {
			who = fmt.Sprintf("%d clients flood", h.AttackerTokens)
		}
		fmt.Fprintf(w, "Hostile cost: %s from %d connections at the rate limit (%d kinds of request in turn), another sends { __typename } from %d; clients.maxExecuting %s\n", who, h.AttackerClients, len(h.Documents), h.VictimClients, limit)
		fmt.Fprintf(w, "  %-14s %8s %7s %7s %7s %7s %6s\n", "victim", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors")
		for _, v := range []struct {
			name string
			s    Summary
		}{{"idle", h.VictimIdle}, {"under flood", h.Victim}} {
			fmt.Fprintf(w, "  %-14s %8.0f %7.2f %7.2f %7.2f %7.1f %6d\n", v.name, v.s.PerSecond, v.s.P50Ms, v.s.P95Ms, v.s.P99Ms, v.s.MaxMs, v.s.Errors)
		}
		a := h.Attacker
		fmt.Fprintf(w, "  flood: %d sent (%.0f/s): %d executed, %d throttled (429), %d refused, %d failed; gateway CPU %.0f ms/s\n", a.Sent, a.PerSecond, a.Executed, a.Throttled, a.Refused, a.Failed, h.CPUMillisPerSecond)
		fmt.Fprintf(w, "  gateway RSS: idle %.1f MiB, peak %.1f MiB (anonymous %.1f MiB)\n\n", h.IdleRSSMiB, h.PeakRSSMiB, h.PeakAnonMiB)
	}
	fmt.Fprintln(w, "Targets (reported, not enforced):")
	for _, t := range r.Targets {
		verdict := "met"
		if !t.Met {
			verdict = fmt.Sprintf("MISSED (×%.2f of target)", t.By)
		}
		fmt.Fprintf(w, "  %-42s want %-22s got %-40s %s\n", t.Name, t.Want, t.Got, verdict)
	}
	fmt.Fprintf(w, "\nWrote %s and %s\n", filepath.Join(out, "results.json"), filepath.Join(out, "results.svg"))
}

func safeDiv(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func throttleNote(r MakespanRun) string {
	if r.Throttled == 0 && r.Failed == 0 && r.Error == "" {
		return "         "
	}
	return fmt.Sprintf(" %d×503 %d!", r.Throttled, r.Failed)
}
