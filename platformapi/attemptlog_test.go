package platformapi_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ipack-gateway/ipack-gateway/platformapi"
)

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestAttemptLogLevel: a failed attempt is a warning while its caller
// waits for the answer, and debug once the caller is gone (a client that
// left makes every call it had in flight fail at once).
func TestAttemptLogLevel(t *testing.T) {
	tests := []struct {
		name      string
		gone      bool // the caller's context ends during the attempt
		wantLevel string
		wantLines int
	}{
		// 3 attempts of a 503, each logged.
		{"upstream busy", false, "WARN", 3},
		// The first attempt ends with the caller; no retry.
		{"caller gone", true, "DEBUG", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
				if tt.gone {
					cancel()
					return nil, r.Context().Err()
				}
				return cannedTransport{status: http.StatusServiceUnavailable, body: `{"message":"busy"}`}.RoundTrip(r)
			})
			var logs bytes.Buffer
			c, err := platformapi.New(platformapi.Options{
				BaseURL:   "http://127.0.0.1:1/api/rest/v1",
				Transport: rt,
				Logger:    slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
				Retry:     platformapi.RetryPolicy{MaxAttempts: 3, WaitMin: time.Millisecond, WaitMax: time.Millisecond},
				Limits:    platformapi.Limits{Breaker: platformapi.BreakerSettings{Disabled: true}},
			})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.QueryAttachments(ctx, platformapi.Account{ID: "a"}, nil); err == nil {
				t.Fatal("QueryAttachments succeeded")
			}
			lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
			if len(lines) != tt.wantLines {
				t.Fatalf("%d lines, want %d:\n%s", len(lines), tt.wantLines, logs.String())
			}
			for _, l := range lines {
				if !strings.Contains(l, "level="+tt.wantLevel+" ") || !strings.Contains(l, `msg="rest attempt failed"`) {
					t.Errorf("line %q, want a rest attempt failed at %s", l, tt.wantLevel)
				}
			}
		})
	}
}
