package main

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestQuantile(t *testing.T) {
	// 1..100 ms: the nearest-rank q-quantile of 100 values is the
	// ceil(100q)-th.
	var sorted []time.Duration
	for i := 1; i <= 100; i++ {
		sorted = append(sorted, time.Duration(i)*time.Millisecond)
	}
	tests := []struct {
		q    float64
		want time.Duration
	}{
		{0, 1 * time.Millisecond},
		{0.001, 1 * time.Millisecond},
		{0.5, 50 * time.Millisecond},
		{0.95, 95 * time.Millisecond},
		{0.99, 99 * time.Millisecond},
		{0.995, 100 * time.Millisecond},
		{1, 100 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := quantile(sorted, tt.q); got != tt.want {
			t.Errorf("quantile(1..100ms, %v) = %v, want %v", tt.q, got, tt.want)
		}
	}
	if got := quantile([]time.Duration{7}, 0.99); got != 7 {
		t.Errorf("quantile of one value = %v, want it", got)
	}
}

func TestSummarize(t *testing.T) {
	r := loadResult{
		latencies: []time.Duration{time.Millisecond, 2 * time.Millisecond, 3 * time.Millisecond, 10 * time.Millisecond},
		errors:    2, firstError: "boom",
		elapsed: 2 * time.Second,
	}
	s := summarize(r)
	// 4 successes in 2 s; mean (1+2+3+10)/4 = 4 ms.
	if s.Requests != 4 || s.Errors != 2 || s.FirstError != "boom" || s.PerSecond != 2 || s.MeanMs != 4 || s.P50Ms != 2 || s.P99Ms != 10 || s.MaxMs != 10 {
		t.Errorf("summarize = %+v", s)
	}
	if len(s.Quantiles) != len(QuantileLevels) {
		t.Errorf("%d quantiles, want %d", len(s.Quantiles), len(QuantileLevels))
	}
	if empty := summarize(loadResult{errors: 3, elapsed: time.Second}); empty.Requests != 0 || empty.PerSecond != 0 || empty.Quantiles != nil {
		t.Errorf("summarize(no successes) = %+v", empty)
	}
}

func TestRunLoad(t *testing.T) {
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := served.Add(1)
		if r.Header.Get("X-Test") != "yes" || r.Method != http.MethodPost {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if n%10 == 0 {
			http.Error(w, "every tenth fails", http.StatusServiceUnavailable)
			return
		}
		time.Sleep(time.Millisecond)
		_, _ = w.Write([]byte("ok"))
	}))
	defer srv.Close()
	tg := target{
		url:    srv.URL,
		header: http.Header{"X-Test": {"yes"}},
		body:   []byte("{}"),
		check: func(status int, body []byte) error {
			if status != http.StatusOK || string(body) != "ok" {
				return errors.New(strings.TrimSpace(string(body)))
			}
			return nil
		},
	}
	client := newLoadClient(4)
	start := time.Now()
	r := runLoad(context.Background(), client, tg, loadSpec{clients: 4, warmup: 50 * time.Millisecond, duration: 200 * time.Millisecond})
	// No request starts after 250 ms and each takes about 1 ms.
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("runLoad took %v, want it to stop soon after 250ms", d)
	}
	if len(r.latencies) == 0 || r.errors == 0 || r.firstError != "every tenth fails" {
		t.Fatalf("runLoad = %d ok, %d errors (%q); want both, and the tenth request's error", len(r.latencies), r.errors, r.firstError)
	}
	// Warm-up requests are not counted.
	if got := int64(len(r.latencies) + r.errors); got >= served.Load() {
		t.Errorf("counted %d requests of %d served, want the warm-up's left out", got, served.Load())
	}
	for i := 1; i < len(r.latencies); i++ {
		if r.latencies[i] < r.latencies[i-1] {
			t.Fatal("latencies are not sorted")
		}
	}
}

func TestRunLoadStopsWhenCanceled(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	runLoad(ctx, newLoadClient(2), target{url: srv.URL, check: func(int, []byte) error { return nil }}, loadSpec{clients: 2, duration: time.Hour})
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("runLoad ran %v after its context ended", d)
	}
}
