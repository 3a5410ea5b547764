package reqlog

import (
	"context"
	"log/slog"
	"time"
)

// Lines of requests refused before execution (authentication, rate
// limits, bad requests, limits) are rate-limited: a flood of them would
// otherwise cost a log line each, at whatever rate clients can send. Past
// the budget they are counted, and the next one logged first says how many
// were left out ("rejected request lines suppressed"). Metrics still count every
// request; executed requests are always logged.
const (
	rejectedLinesPerSecond = 10
	rejectedLinesBurst     = 100
)

// rejections decides which refused requests are logged. It counts with
// a lineBudget, as the warning throttle does per kind, but is not one of
// that throttle's kinds: it decides once per request for two lines of
// different messages ("request rejected" and the access line), at info
// level, at a fixed rate, where the warning throttle judges each line at
// warn level by its message at the configured rate; and its summary counts
// requests, not lines of a kind.
type rejections struct {
	budget *lineBudget
	now    func() time.Time
}

func newRejections() *rejections {
	return &rejections{budget: newLineBudget(rejectedLinesPerSecond, rejectedLinesBurst), now: time.Now}
}

// allow reports whether a refused request's lines may be logged; when they
// may and others were left out before, it first logs how many.
func (t *rejections) allow(ctx context.Context, log *slog.Logger) bool {
	if t == nil {
		return true
	}
	n, ok := t.budget.take(t.now())
	if !ok {
		return false
	}
	if n > 0 {
		log.LogAttrs(ctx, slog.LevelWarn, "rejected request lines suppressed",
			slog.Int64("requests", n),
			slog.String("reason", "more refused requests than rejected lines are logged per second"))
	}
	return true
}

// Rejected logs, at info level, that the request of ctx was refused
// before execution with the error code code, unless the refused requests'
// lines are over their rate.
func (l *Log) Rejected(ctx context.Context, code string) {
	if l.allowRejected(ctx) {
		l.log.LogAttrs(ctx, slog.LevelInfo, "request rejected", slog.String("code", code))
	}
}

// allowRejected reports whether the lines of the request of ctx, refused
// before execution, may be logged. The decision is made once per request,
// so that its "request rejected" and access lines go together.
func (l *Log) allowRejected(ctx context.Context) bool {
	info := InfoFrom(ctx)
	if !info.logDecided {
		info.logDecided = true
		info.logAllowed = l.rejected.allow(ctx, l.log)
	}
	return info.logAllowed
}
