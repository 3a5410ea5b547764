package reqlog

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipack-gateway/ipack-gateway/config"
	"golang.org/x/time/rate"
)

// An upstream that is down, or a crowd of clients, can make the same
// warning thousands of times a second (the vendor's outage once made 193 MB
// of log in 6 minutes). throttleHandler bounds that process-wide: of the
// lines at warn level and above, those of one kind (one message) pass at
// most logs.warningBurst at once and logs.warningsPerSecond after. What it
// drops is counted, never lost silently: the next line of the kind that
// passes carries "suppressed" (how many were dropped since the previous
// one), and a kind that goes quiet gets a "log lines suppressed" line with
// its count, written with the next record of any kind once the kind's rate
// allows. Info and debug lines (one access line per request) pass as they
// are.

const (
	// maxLogKinds bounds the kinds tracked; messages past it (which only a
	// message made of variable text could produce, as net/http's error log
	// does) share one limiter.
	maxLogKinds = 64
	// maxKindKey bounds the bytes of a message that name its kind.
	maxKindKey = 64
	// otherKind is the shared kind of messages past maxLogKinds.
	otherKind = "(other messages)"
)

// logThrottle is the state every handler derived from one throttleHandler
// shares, so that the limit holds across loggers and requests.
type logThrottle struct {
	root    slog.Handler // where suppression summaries go, without any request's attrs
	limit   rate.Limit
	burst   int
	now     func() time.Time // time.Now; tests step it
	pending atomic.Int64     // kinds with suppressed lines not yet reported

	mu    sync.Mutex
	kinds map[string]*lineBudget
}

// lineBudget lets log lines through at a rate and counts those it holds
// back, so that the next line let through can say how many were left out.
// It is the one mechanism of both throttles: logThrottle keeps one per kind
// of warning, rejections one for the lines of refused requests.
type lineBudget struct {
	mu         sync.Mutex
	lim        *rate.Limiter
	suppressed int64
}

func newLineBudget(limit rate.Limit, burst int) *lineBudget {
	return &lineBudget{lim: rate.NewLimiter(limit, burst)}
}

// take reports whether a line may be written at now. When it may, n is how
// many were held back since the last one written (and the count starts
// again); when not, n is how many are held back now, this one included.
func (b *lineBudget) take(now time.Time) (n int64, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.lim.AllowN(now, 1) {
		b.suppressed++
		return b.suppressed, false
	}
	n, b.suppressed = b.suppressed, 0
	return n, true
}

// flush returns how many lines were held back, and starts the count again,
// when there were some and the rate allows a line now (which the summary of
// them uses); else 0.
func (b *lineBudget) flush(now time.Time) int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.suppressed == 0 || !b.lim.AllowN(now, 1) {
		return 0
	}
	n := b.suppressed
	b.suppressed = 0
	return n
}

// throttleHandler is a slog.Handler that rate-limits warnings per kind.
type throttleHandler struct {
	slog.Handler
	t *logThrottle
}

// throttleLogs wraps log's handler in a throttleHandler with cfg's limits,
// inside the request-id wrapper if there is one. WarningsPerSecond 0 leaves
// log as it is.
func throttleLogs(log *slog.Logger, cfg config.LogsConfig) *slog.Logger {
	if cfg.WarningsPerSecond == 0 {
		return log
	}
	h := log.Handler()
	rid, hasRID := h.(requestIDHandler)
	if hasRID {
		h = rid.Handler
	}
	if _, ok := h.(throttleHandler); ok {
		return log
	}
	h = throttleHandler{Handler: h, t: &logThrottle{
		root:  h,
		limit: rate.Limit(cfg.WarningsPerSecond),
		burst: cfg.WarningBurst,
		now:   time.Now,
		kinds: map[string]*lineBudget{},
	}}
	if hasRID {
		h = requestIDHandler{h}
	}
	return slog.New(h)
}

// Handle writes r unless its kind is over its rate.
func (h throttleHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		n, ok := h.t.admit(r.Message)
		if !ok {
			return nil
		}
		if n > 0 {
			r.AddAttrs(slog.Int64("suppressed", n))
		}
	}
	err := h.Handler.Handle(ctx, r)
	h.t.report()
	return err
}

// WithAttrs keeps the shared state.
func (h throttleHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return throttleHandler{h.Handler.WithAttrs(attrs), h.t}
}

// WithGroup keeps the shared state.
func (h throttleHandler) WithGroup(name string) slog.Handler {
	return throttleHandler{h.Handler.WithGroup(name), h.t}
}

// admit reports whether a line of msg's kind may be written now and, if
// so, how many of its kind were dropped since the last one written.
func (t *logThrottle) admit(msg string) (suppressed int64, ok bool) {
	key := msg
	if len(key) > maxKindKey {
		key = key[:maxKindKey]
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	k := t.kinds[key]
	if k == nil {
		if len(t.kinds) >= maxLogKinds {
			key = otherKind
			k = t.kinds[key]
		}
		if k == nil {
			k = newLineBudget(t.limit, t.burst)
			t.kinds[key] = k
		}
	}
	n, ok := k.take(t.now())
	switch {
	case !ok && n == 1:
		t.pending.Add(1) // the kind's first line held back
	case ok && n > 0:
		t.pending.Add(-1) // this line reports them
	case !ok:
		n = 0
	}
	return n, ok
}

// report writes a summary line for each kind with dropped lines that its
// rate allows one for now. It costs one atomic load when there are none.
func (t *logThrottle) report() {
	if t.pending.Load() == 0 {
		return
	}
	type summary struct {
		kind string
		n    int64
	}
	var out []summary
	now := t.now()
	t.mu.Lock()
	for key, k := range t.kinds {
		if n := k.flush(now); n > 0 {
			out = append(out, summary{key, n})
			t.pending.Add(-1)
		}
	}
	t.mu.Unlock()
	if len(out) == 0 || !t.root.Enabled(context.Background(), slog.LevelWarn) {
		return
	}
	for _, s := range out {
		r := slog.NewRecord(now, slog.LevelWarn, "log lines suppressed", 0)
		r.AddAttrs(slog.String("kind", s.kind), slog.Int64("suppressed", s.n))
		_ = t.root.Handle(context.Background(), r) // nowhere to report a failing log
	}
}
