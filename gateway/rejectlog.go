package gateway

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

// rejectThrottle decides which refused requests are logged. It counts with
// a lineBudget, as the warning throttle does per kind, but is not one of
// that throttle's kinds: it decides once per request for two lines of
// different messages ("request rejected" and the access line), at info
// level, at a fixed rate, where the warning throttle judges each line at
// warn level by its message at the configured rate; and its summary counts
// requests, not lines of a kind.
type rejectThrottle struct {
	budget *lineBudget
	now    func() time.Time
}

func newRejectThrottle() *rejectThrottle {
	return &rejectThrottle{budget: newLineBudget(rejectedLinesPerSecond, rejectedLinesBurst), now: time.Now}
}

// allow reports whether a refused request's lines may be logged; when they
// may and others were left out before, it first logs how many.
func (t *rejectThrottle) allow(ctx context.Context, log *slog.Logger) bool {
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

// logRejection reports whether the lines of the request of ctx, refused
// before execution, may be logged. The decision is made once per request,
// so that its "request rejected" and "request" lines go together.
func (s *Server) logRejection(ctx context.Context) bool {
	info := infoFrom(ctx)
	if !info.logDecided {
		info.logDecided = true
		info.logAllowed = s.rejectLog.allow(ctx, s.log)
	}
	return info.logAllowed
}
