package reqlog

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ipack-gateway/ipack-gateway/config"
)

// steppedLogger is a throttled JSON logger on a clock the test steps.
func steppedLogger(t *testing.T, perSecond float64, burst int) (*slog.Logger, *bytes.Buffer, *time.Time, *logThrottle) {
	t.Helper()
	var buf bytes.Buffer
	log := throttleLogs(WithIDs(slog.New(slog.NewJSONHandler(&buf, nil))), config.LogsConfig{WarningsPerSecond: perSecond, WarningBurst: burst})
	th := log.Handler().(requestIDHandler).Handler.(throttleHandler).t
	now := time.Unix(1_000_000, 0)
	th.now = func() time.Time { return now }
	return log, &buf, &now, th
}

func decodeLines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		out = append(out, m)
	}
	buf.Reset()
	return out
}

func TestThrottleLogs(t *testing.T) {
	log, buf, now, _ := steppedLogger(t, 1, 3)
	ctx := context.WithValue(context.Background(), infoKey{}, &Info{id: "req-1"})

	// A burst of 3, then nothing within the same instant; a derived logger
	// shares the limit.
	for i := range 10 {
		log.With("i", i).WarnContext(ctx, "rest attempt failed")
	}
	log.Info("request") // info passes, always
	lines := decodeLines(t, buf)
	if len(lines) != 4 || lines[3]["msg"] != "request" || lines[0]["request_id"] != "req-1" {
		t.Fatalf("lines = %v, want 3 warnings and the info line", lines)
	}

	// One second later one token is back: the next line carries the count.
	*now = now.Add(time.Second)
	log.Warn("rest attempt failed")
	lines = decodeLines(t, buf)
	if len(lines) != 1 || lines[0]["suppressed"] != float64(7) {
		t.Fatalf("lines = %v, want one with suppressed 7", lines)
	}

	// A kind that goes quiet has its count reported with a later line of
	// any kind, once its rate allows.
	log.Warn("rest attempt failed")
	log.Error("rollback failed")
	*now = now.Add(time.Second)
	log.Info("request")
	lines = decodeLines(t, buf)
	if len(lines) != 3 || lines[0]["msg"] != "rollback failed" || lines[1]["msg"] != "request" ||
		lines[2]["msg"] != "log lines suppressed" || lines[2]["kind"] != "rest attempt failed" || lines[2]["suppressed"] != float64(1) ||
		lines[2]["request_id"] != nil {
		t.Fatalf("lines = %v, want rollback failed, request, then a summary of 1 without a request_id", lines)
	}
}

// TestThrottleLogsKindsBounded: messages of variable text cannot grow the
// state or pass the limit: past maxLogKinds they share one kind.
func TestThrottleLogsKindsBounded(t *testing.T) {
	log, buf, _, th := steppedLogger(t, 1, 2)
	for i := range 1000 {
		log.Warn(fmt.Sprintf("http: TLS handshake error from 10.0.%d.%d:1234: EOF", i/256, i%256))
	}
	if n := len(th.kinds); n > maxLogKinds+1 {
		t.Errorf("%d kinds tracked, want at most %d", n, maxLogKinds+1)
	}
	// Each of the first maxLogKinds messages is a kind of its own and
	// passes; of the rest, a burst of 2.
	if n := len(decodeLines(t, buf)); n != maxLogKinds+2 {
		t.Errorf("%d lines written of 1000, want %d", n, maxLogKinds+2)
	}
}

func TestThrottleLogsOff(t *testing.T) {
	var buf bytes.Buffer
	zero := 0.0
	log := throttleLogs(slog.New(slog.NewJSONHandler(&buf, nil)), config.LogsConfig{WarningsPerSecond: zero, WarningBurst: 1})
	for range 50 {
		log.Warn("x")
	}
	if n := strings.Count(buf.String(), "\n"); n != 50 {
		t.Errorf("warningsPerSecond 0: %d lines of 50", n)
	}
}
