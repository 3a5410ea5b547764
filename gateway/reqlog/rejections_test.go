package reqlog

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestRejectThrottle: past the burst, refused requests' lines are left out,
// counted, and the count is logged with the next line allowed (issue 13,
// item 7: a flood of refused requests must not flood the log).
func TestRejectThrottle(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	now := time.Unix(1000, 0)
	th := newRejections()
	th.now = func() time.Time { return now }
	allowed := 0
	for range rejectedLinesBurst + 50 {
		if th.allow(context.Background(), log) {
			allowed++
		}
	}
	if allowed != rejectedLinesBurst || buf.Len() != 0 {
		t.Errorf("%d lines at once: %d allowed, log %q; want the burst of %d and nothing logged", rejectedLinesBurst+50, allowed, buf.String(), rejectedLinesBurst)
	}
	// 1 s later, 10 more tokens: the first logs the 50 left out.
	now = now.Add(time.Second)
	if !th.allow(context.Background(), log) {
		t.Fatal("after 1 s: not allowed")
	}
	if !strings.Contains(buf.String(), `"msg":"rejected request lines suppressed","requests":50`) {
		t.Errorf("after 1 s: log %q, want the 50 suppressed lines counted", buf.String())
	}
	if n, _ := th.budget.take(now); n != 0 {
		t.Errorf("count not reset: %d", n)
	}
}
