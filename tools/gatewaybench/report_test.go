package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	gwconfig "github.com/ipack-gateway/ipack-gateway/config"
	"github.com/ipack-gateway/ipack-gateway/ids"
	"github.com/ipack-gateway/ipack-gateway/platformapi/simulator"
)

// The configurations the benchmark writes must be ones the gateway
// accepts, with the settings the scenarios rely on.
func TestGatewayConfigParses(t *testing.T) {
	tests := []struct {
		name        string
		opts        gatewayOpts
		wantRate    float64
		wantBreaker bool
	}{
		{"defaults (paced)", gatewayOpts{}, 10, true},
		{"unlimited upstream", unlimited, 0, true},
		{"unpaced", gatewayOpts{pacing: &pacing{perSecond: 0, burst: 1}, breakerOff: true}, 0, false},
		{"paced explicitly", gatewayOpts{pacing: &pacing{perSecond: 2.5, burst: 3}}, 2.5, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := gwconfig.Parse([]byte(gatewayConfig("http://127.0.0.1:9", tt.opts)), func(string) string { return "" })
			if err != nil {
				t.Fatalf("ParseConfig: %v", err)
			}
			if got := cfg.Platform.RateLimit.RequestsPerSecond; got != tt.wantRate {
				t.Errorf("platform.rateLimit.requestsPerSecond = %v, want %v", got, tt.wantRate)
			}
			if got := cfg.Platform.CircuitBreaker.Enabled; got != tt.wantBreaker {
				t.Errorf("platform.circuitBreaker.enabled = %v, want %v", got, tt.wantBreaker)
			}
			if got := cfg.Clients.RequestsPerSecond; got != 0 || cfg.Clients.MaxExecuting != 0 {
				t.Errorf("clients.requestsPerSecond = %v, maxExecuting = %d, want 0: the load's clients share one token", got, cfg.Clients.MaxExecuting)
			}
			if len(cfg.Spaces) != 1 || cfg.Spaces[0].GUID != benchSpace || cfg.Spaces[0].AccountID != simulator.DemoAccountID {
				t.Errorf("spaces = %+v", cfg.Spaces)
			}
		})
	}
}

func TestCountFailed(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		n         int
		want      int
		wantFirst string
	}{
		{"all attached", `{"data":{"` + attachName + `":[{"id":"a"},{"id":"b"}]}}`, 2, 0, ""},
		{"one null", `{"errors":[{"message":"Downstream Execution Error: Service Unavailable"}],"data":{"` + attachName + `":[{"id":"a"},null]}}`, 2, 1, "Downstream Execution Error: Service Unavailable"},
		{"no data", `{"errors":[{"message":"boom"}],"data":null}`, 3, 3, "boom"},
		{"not JSON", `<html>`, 4, 4, "unreadable answer: <html>"},
	}
	for _, tt := range tests {
		got, first := countFailed([]byte(tt.body), tt.n)
		if got != tt.want || first != tt.wantFirst {
			t.Errorf("%s: countFailed = %d, %q; want %d, %q", tt.name, got, first, tt.want, tt.wantFirst)
		}
	}
}

func TestBenchInstance(t *testing.T) {
	if got := ids.Instance(34486); got != benchInstance {
		t.Errorf("benchInstance = %q, want ids.Instance(34486) = %q", benchInstance, got)
	}
}

func TestAttachQuery(t *testing.T) {
	q := attachQuery(3)
	for _, want := range []string{attachName, benchInstance, simulator.DemoEnvironment(1), simulator.DemoEnvironment(3)} {
		if !strings.Contains(q, want) {
			t.Errorf("attachQuery(3) lacks %q: %s", want, q)
		}
	}
	if strings.Contains(q, simulator.DemoEnvironment(4)) {
		t.Errorf("attachQuery(3) names a fourth environment: %s", q)
	}
}

func sampleReport() *Report {
	sum := func(rps, p50, p99 float64) Summary {
		s := Summary{Requests: 100, PerSecond: rps, P50Ms: p50, P95Ms: p99, P99Ms: p99, MaxMs: p99}
		for _, q := range QuantileLevels {
			s.Quantiles = append(s.Quantiles, p50*(0.5+q))
		}
		return s
	}
	return &Report{
		Machine: Machine{OS: "linux", CPUs: 2},
		Overhead: []Overhead{
			{UpstreamLatencyMs: 0, Clients: 32, Direct: sum(30000, 1, 4), Passthrough: sum(12000, 2, 6), Gateway: sum(8000, 1.8, 9.5), P50Ratio: 1.8,
				CPURatio: 1.9, PassthroughThroughputRatio: 8000.0 / 12000, PassthroughP99Ratio: 9.5 / 6},
			{UpstreamLatencyMs: 20, Clients: 32, Direct: sum(1500, 21, 24), Passthrough: sum(1450, 21.5, 25), Gateway: sum(1400, 22, 30), P50Ratio: 22.0 / 21},
		},
		Makespan: &Makespan{BudgetPerSecond: 10, VendorBurst: 10, UpstreamLatencyMs: 20,
			Paced:   []MakespanRun{{N: 1, Seconds: 0.03, IdealSeconds: 0.12, Ratio: 0.25}, {N: 10, Seconds: 0.95, IdealSeconds: 1.02, Ratio: 0.93}},
			Unpaced: []MakespanRun{{N: 1, Seconds: 0.03, IdealSeconds: 0.12, Ratio: 0.25}, {N: 10, Seconds: 3, IdealSeconds: 1.02, Ratio: 2.9, Throttled: 12, Failed: 1}},
		},
		Memory: &Memory{Clients: 1000, PeakRSSMiB: 75, PassthroughPeakRSSMiB: 60, PeakRSSRatio: 1.25},
	}
}

func TestTargets(t *testing.T) {
	got := map[string]bool{}
	for _, tg := range targets(sampleReport()) {
		got[tg.Name] = tg.Met
		if !tg.Met && tg.By == 0 {
			t.Errorf("%s missed without saying by how much", tg.Name)
		}
	}
	want := map[string]bool{
		"CPU per attach(1) at 0 ms / passthru":       true,  // 1.9 ≤ 2
		"attach(1)/s at 0 ms, 32 clients / passthru": true,  // 8,000 / 12,000 ≥ 0.6
		"p99 at 0 ms, 32 clients / passthru":         false, // 9.5 / 6 > 1.5
		"gateway p50 / direct p50 at 20 ms":          true,  // 22/21 = 1.048 ≤ 1.05
		"paced makespan / ideal, worst N":            true,  // 0.93 ≤ 1.1, no 503
		"peak RSS at 1000 clients / passthru":        false, // 75 / 60 > 1.2
	}
	for name, met := range want {
		if m, ok := got[name]; !ok || m != met {
			t.Errorf("target %q: met = %v (present %v), want %v", name, m, ok, met)
		}
	}

	// A peak within the ratio is still missed when a request was refused,
	// and a CPU ratio that could not be measured (0) is not met.
	r := sampleReport()
	r.Memory.PeakRSSRatio, r.Memory.Load.Errors = 1.1, 3
	r.Overhead[0].CPURatio = 0
	for _, tg := range targets(r) {
		switch tg.Name {
		case "peak RSS at 1000 clients / passthru", "CPU per attach(1) at 0 ms / passthru":
			if tg.Met {
				t.Errorf("target %q met with %s", tg.Name, tg.Got)
			}
		}
	}
}

func TestWriteChartAndSummary(t *testing.T) {
	r := sampleReport()
	r.Targets = targets(r)
	var svg bytes.Buffer
	if err := writeChart(&svg, r); err != nil {
		t.Fatalf("writeChart: %v", err)
	}
	// Well-formed XML whose root is an svg element, with both panels.
	dec := xml.NewDecoder(bytes.NewReader(svg.Bytes()))
	var root string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the SVG is not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
	if root != "svg" {
		t.Errorf("root element %q, want svg", root)
	}
	for _, want := range []string{"attach(1) latency", "makespan", "pass-through proxy", "gateway, paced", "12×503, 1 failed"} {
		if !strings.Contains(svg.String(), want) {
			t.Errorf("the chart lacks %q", want)
		}
	}

	var out bytes.Buffer
	printSummary(&out, r, "dir")
	for _, want := range []string{"Overhead", "passthru", "Makespan", "Memory", "MISSED", "dir/results.json"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the summary lacks %q:\n%s", want, out.String())
		}
	}
	if lines := strings.Count(out.String(), "\n"); lines > 40 {
		t.Errorf("the summary has %d lines, want one screen", lines)
	}
}

// A run of some scenarios only still draws a chart.
func TestWriteChartPartial(t *testing.T) {
	for _, r := range []*Report{{}, {Memory: &Memory{Clients: 10}}, {Makespan: sampleReport().Makespan}, {Overhead: sampleReport().Overhead}} {
		var svg bytes.Buffer
		if err := writeChart(&svg, r); err != nil || !strings.Contains(svg.String(), "<svg") {
			t.Errorf("writeChart(%+v) = %v", r, err)
		}
	}
}

func TestParseStatusKB(t *testing.T) {
	status := []byte("Name:\tgateway\nVmPeak:\t 1936368 kB\nVmHWM:\t   20656 kB\nVmRSS:\t   18000 kB\n")
	if got, err := parseStatusKB(status, "VmHWM"); err != nil || got != 20656<<10 {
		t.Errorf("VmHWM = %d, %v; want %d", got, err, 20656<<10)
	}
	if got, err := parseStatusKB(status, "VmRSS"); err != nil || got != 18000<<10 {
		t.Errorf("VmRSS = %d, %v; want %d", got, err, 18000<<10)
	}
	if _, err := parseStatusKB(status, "VmSwap"); err == nil {
		t.Error("a missing line gave no error")
	}
}

func TestParseStatCPU(t *testing.T) {
	// A command name with spaces and parentheses; utime 1234, stime 56.
	stat := []byte("4242 (gate way) (x)) S 1 4242 4242 0 -1 4194560 100 0 0 0 1234 56 0 0 20 0 7 0 100 2000000 5000")
	u, s, err := parseStatCPU(stat)
	if err != nil || u != 1234 || s != 56 {
		t.Errorf("parseStatCPU = %d, %d, %v; want 1234, 56", u, s, err)
	}
	if _, _, err := parseStatCPU([]byte("4242 (x) S 1")); err == nil {
		t.Error("a short stat gave no error")
	}
}

func TestParseFlags(t *testing.T) {
	c, err := parseFlags([]string{"-quick"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !c.quick || c.duration != time.Second || len(c.makespanN) != 2 || !c.scenarios["memory"] {
		t.Errorf("-quick gave %+v", c)
	}
	if c.profile {
		t.Error("profiling is on by default")
	}
	c, err = parseFlags([]string{"-makespan-n", "5, 7", "-scenarios", "makespan", "-duration", "2s", "-profile"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.makespanN) != 2 || c.makespanN[1] != 7 || c.scenarios["overhead"] || c.duration != 2*time.Second || !c.profile {
		t.Errorf("flags gave %+v", c)
	}
	for _, args := range [][]string{
		{"-makespan-n", "0"}, {"-makespan-n", "101"}, {"-makespan-n", "x"}, {"-makespan-n", "5x"},
		{"-scenarios", "speed"}, {"-clients", "0"}, {"-duration", "-1s"}, {"extra"},
	} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("parseFlags(%q) = nil error", args)
		}
	}
}

// The pass-through proxy forwards the REST CREATE of attach(1) and wraps
// the answer so that the load's gateway check accepts it.
func TestPassthrough(t *testing.T) {
	sim := simulator.NewDemo(simulator.Options{RateLimit: -1, RecordRequests: true})
	up := httptest.NewServer(sim)
	defer up.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- servePassthrough(ctx, addr, up.URL) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("servePassthrough: %v", err)
		}
	}()
	var resp *http.Response
	for range 100 {
		if resp, err = http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("the proxy never answered: %v", err)
	}
	tg := gatewayTarget("http://"+addr, 1)
	var buf bytes.Buffer
	if err := send(context.Background(), http.DefaultClient, tg, &buf); err != nil {
		t.Fatalf("attach(1) through the proxy: %v", err)
	}
	if !sim.Attached(simulator.DemoAccountID, benchInstance, simulator.DemoEnvironment(1)) {
		t.Error("the proxy's REST CREATE did not attach")
	}
}
