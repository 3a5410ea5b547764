package platformapi

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"
)

func respWith(status int, retryAfter string) *http.Response {
	h := http.Header{}
	if retryAfter != "" {
		h.Set("Retry-After", retryAfter)
	}
	return &http.Response{StatusCode: status, Header: h}
}

func TestBackoff(t *testing.T) {
	p := RetryPolicy{WaitMin: 100 * time.Millisecond, WaitMax: time.Second, RetryAfterMax: 30 * time.Second}.withDefaults()
	tests := []struct {
		name    string
		attempt int
		resp    *http.Response
		jitter  float64
		want    time.Duration
	}{
		// Equal jitter: half the exponential step, plus jitter × the other half.
		{"first, no jitter", 0, nil, 0, 50 * time.Millisecond},
		{"first, full jitter", 0, nil, 0.999999, 99999950 * time.Nanosecond},
		{"third doubles twice", 2, respWith(503, ""), 0, 200 * time.Millisecond},
		{"capped by WaitMax", 10, respWith(503, ""), 0, 500 * time.Millisecond},
		{"Retry-After seconds", 0, respWith(503, "7"), 0.5, 7 * time.Second},
		{"Retry-After capped", 0, respWith(429, "3600"), 0.5, 30 * time.Second},
		{"Retry-After huge", 0, respWith(429, "99999999999999999"), 0.5, 30 * time.Second},
		{"Retry-After zero", 3, respWith(503, "0"), 0.5, 0},
		{"Retry-After negative ignored", 0, respWith(503, "-5"), 0, 50 * time.Millisecond},
		{"Retry-After garbage ignored", 0, respWith(503, "soon"), 0, 50 * time.Millisecond},
		{"Retry-After past date", 0, respWith(503, "Mon, 02 Jan 2006 15:04:05 GMT"), 0.5, 0},
	}
	for _, tt := range tests {
		p.Jitter = func() float64 { return tt.jitter }
		if got := p.Backoff(0, 0, tt.attempt, tt.resp); got != tt.want {
			t.Errorf("%s: Backoff(attempt %d) = %v, want %v", tt.name, tt.attempt, got, tt.want)
		}
	}
	// An HTTP date in the future, capped.
	future := time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)
	if got := p.Backoff(0, 0, 0, respWith(503, future)); got != 30*time.Second {
		t.Errorf("Backoff(Retry-After in an hour) = %v, want the 30s cap", got)
	}
}

func TestCheckRetry(t *testing.T) {
	p := RetryPolicy{MaxAttempts: 3, WaitMin: 10 * time.Millisecond, WaitMax: 20 * time.Millisecond}.withDefaults()
	connErr := &url.Error{Op: "Post", URL: "http://x", Err: errors.New("connection reset by peer")}
	tests := []struct {
		name string
		resp *http.Response
		err  error
		want bool
	}{
		{"200", respWith(200, ""), nil, false},
		{"400", respWith(400, ""), nil, false},
		{"401", respWith(401, ""), nil, false},
		{"500 is not retried", respWith(500, ""), nil, false},
		{"501", respWith(501, ""), nil, false},
		{"502", respWith(502, ""), nil, true},
		{"503", respWith(503, ""), nil, true},
		{"504", respWith(504, ""), nil, true},
		{"429", respWith(429, ""), nil, true},
		{"connection reset", nil, connErr, true},
	}
	for _, tt := range tests {
		got, _ := p.ShouldRetry(context.Background(), tt.resp, tt.err, 1)
		if got != tt.want {
			t.Errorf("%s: ShouldRetry = %v, want %v", tt.name, got, tt.want)
		}
	}

	// Attempts are bounded: the third failure of three stops.
	for i, want := range []bool{true, true, false} {
		if got, _ := p.ShouldRetry(context.Background(), respWith(503, ""), nil, i+1); got != want {
			t.Errorf("attempt %d: ShouldRetry = %v, want %v", i+1, got, want)
		}
	}

	// A cancelled caller stops at once.
	cctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got, err := p.ShouldRetry(cctx, respWith(503, ""), nil, 1); got || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: ShouldRetry = %v, %v", got, err)
	}

	// An answer that is not retried is kept even when the caller's context
	// ended as it came: dropping a 200 would report a call that was carried
	// out as failed.
	for _, status := range []int{200, 400} {
		cctx, cancel := context.WithCancel(context.Background())
		cancel()
		if got, err := p.ShouldRetry(cctx, respWith(status, ""), nil, 1); got || err != nil {
			t.Errorf("cancelled, %d: ShouldRetry = %v, %v; want false, nil", status, got, err)
		}
	}

	// A Retry-After that ends past the deadline stops, keeping the answer.
	dctx, cancel2 := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel2()
	if got, err := p.ShouldRetry(dctx, respWith(503, "10"), nil, 1); got || err != nil {
		t.Errorf("Retry-After past deadline: ShouldRetry = %v, %v, want false, nil", got, err)
	}
	if got, _ := p.ShouldRetry(dctx, respWith(503, "0"), nil, 1); !got {
		t.Error("Retry-After within deadline: ShouldRetry = false, want true")
	}
}
