package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"sync"
	"time"
)

// target is one kind of request the load generator sends, again and again.
type target struct {
	url    string
	header http.Header // shared by every request: never written to
	body   []byte
	// check says why an answer is a failure, or returns nil.
	check func(status int, body []byte) error
}

// loadSpec is a closed-loop load: clients each send one request, wait for
// the whole answer, and send the next, for warmup and then duration.
type loadSpec struct {
	clients  int
	warmup   time.Duration
	duration time.Duration
}

// loadResult is what a load measured, warm-up excluded.
type loadResult struct {
	latencies  []time.Duration // of successful requests, sorted
	errors     int
	firstError string
	elapsed    time.Duration
	sent       int // every request answered, warm-up and failures included
}

// newLoadClient returns a client that keeps one connection per load
// client alive, so that connection set-up stays out of the numbers.
func newLoadClient(clients int) *http.Client {
	return &http.Client{
		Timeout: 60 * time.Second,
		Transport: &http.Transport{
			MaxIdleConns:        clients + 16,
			MaxIdleConnsPerHost: clients + 16,
			IdleConnTimeout:     30 * time.Second,
			DisableCompression:  true,
		},
	}
}

// runLoad drives t with spec. It stops by itself: no request starts after
// warmup+duration, and each is bounded by the client's timeout.
func runLoad(ctx context.Context, client *http.Client, t target, spec loadSpec) loadResult {
	start := time.Now()
	measureFrom := start.Add(spec.warmup)
	end := measureFrom.Add(spec.duration)
	type worker struct {
		lat        []time.Duration
		errors     int
		firstError string
		sent       int
	}
	workers := make([]worker, spec.clients)
	var wg sync.WaitGroup
	for i := range workers {
		w := &workers[i]
		w.lat = make([]time.Duration, 0, 1024)
		wg.Go(func() {
			var buf bytes.Buffer
			for ctx.Err() == nil {
				t0 := time.Now()
				if !t0.Before(end) {
					return
				}
				err := send(ctx, client, t, &buf)
				w.sent++
				if t0.Before(measureFrom) {
					continue
				}
				if err != nil {
					if w.errors == 0 {
						w.firstError = err.Error()
					}
					w.errors++
					continue
				}
				w.lat = append(w.lat, time.Since(t0))
			}
		})
	}
	wg.Wait()
	res := loadResult{elapsed: time.Since(measureFrom)}
	for _, w := range workers {
		res.latencies = append(res.latencies, w.lat...)
		res.errors += w.errors
		res.sent += w.sent
		if res.firstError == "" {
			res.firstError = w.firstError
		}
	}
	slices.Sort(res.latencies)
	return res
}

// send sends one request of t and reads its whole answer into buf.
func send(ctx context.Context, client *http.Client, t target, buf *bytes.Buffer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(t.body))
	if err != nil {
		return err
	}
	req.Header = t.header
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	buf.Reset()
	_, err = buf.ReadFrom(io.LimitReader(resp.Body, 16<<20))
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("reading the answer: %w", err)
	}
	return t.check(resp.StatusCode, buf.Bytes())
}

// Summary describes a latency distribution and its throughput.
type Summary struct {
	Requests   int     `json:"requests"`
	Errors     int     `json:"errors"`
	FirstError string  `json:"firstError,omitempty"`
	PerSecond  float64 `json:"perSecond"`
	MeanMs     float64 `json:"meanMs"`
	P50Ms      float64 `json:"p50Ms"`
	P95Ms      float64 `json:"p95Ms"`
	P99Ms      float64 `json:"p99Ms"`
	MaxMs      float64 `json:"maxMs"`
	// Quantiles is the distribution: QuantileLevels[i] of requests took
	// at most Quantiles[i] ms.
	Quantiles []float64 `json:"quantilesMs"`
	// CPUMicros is the CPU time (user and system) the server in front
	// spent per request, and UpstreamCPUMicros the simulator's behind it
	// (0 when it is the server in front). These move much less than
	// throughput when other work shares the machine.
	CPUMicros         float64 `json:"cpuMicrosPerRequest,omitempty"`
	UpstreamCPUMicros float64 `json:"upstreamCPUMicrosPerRequest,omitempty"`
	// ClientCPUMicros is the load tool's own CPU time per request.
	ClientCPUMicros float64 `json:"clientCPUMicrosPerRequest,omitempty"`
}

// measure runs the load and charges the CPU time of front (the server the
// load talks to) and of upstream (nil when front is the simulator) to the
// requests sent.
func measure(ctx context.Context, client *http.Client, t target, spec loadSpec, front, upstream *proc) Summary {
	f0, _ := front.cpu()
	c0, _ := selfCPU()
	var u0 time.Duration
	if upstream != nil {
		u0, _ = upstream.cpu()
	}
	r := runLoad(ctx, client, t, spec)
	s := summarize(r)
	if r.sent == 0 {
		return s
	}
	if c1, err := selfCPU(); err == nil {
		s.ClientCPUMicros = float64((c1 - c0).Microseconds()) / float64(r.sent)
	}
	if f1, err := front.cpu(); err == nil {
		s.CPUMicros = float64((f1 - f0).Microseconds()) / float64(r.sent)
	}
	if upstream != nil {
		if u1, err := upstream.cpu(); err == nil {
			s.UpstreamCPUMicros = float64((u1 - u0).Microseconds()) / float64(r.sent)
		}
	}
	return s
}

// QuantileLevels are the levels Summary.Quantiles are given at.
var QuantileLevels = []float64{0.001, 0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 1}

func summarize(r loadResult) Summary {
	s := Summary{Requests: len(r.latencies), Errors: r.errors, FirstError: r.firstError}
	if r.elapsed > 0 {
		s.PerSecond = float64(len(r.latencies)) / r.elapsed.Seconds()
	}
	if len(r.latencies) == 0 {
		return s
	}
	var sum time.Duration
	for _, d := range r.latencies {
		sum += d
	}
	s.MeanMs = ms(sum / time.Duration(len(r.latencies)))
	s.P50Ms = ms(quantile(r.latencies, 0.50))
	s.P95Ms = ms(quantile(r.latencies, 0.95))
	s.P99Ms = ms(quantile(r.latencies, 0.99))
	s.MaxMs = ms(r.latencies[len(r.latencies)-1])
	for _, q := range QuantileLevels {
		s.Quantiles = append(s.Quantiles, ms(quantile(r.latencies, q)))
	}
	return s
}

// quantile returns the nearest-rank q-quantile of sorted, which must not
// be empty: the smallest value that at least q of the values do not exceed.
func quantile(sorted []time.Duration, q float64) time.Duration {
	rank := int(math.Ceil(q * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
