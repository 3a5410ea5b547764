package reqlog

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// Log writes the request log to a logger: one access line per request
// (Access), and a "request rejected" line for a request refused before
// execution (Rejected). Lines of refused requests are rate-limited
// together (rejections.go).
type Log struct {
	log      *slog.Logger
	rejected *rejections
}

// New returns the request log writing to log (Logger's, so that lines
// carry the request id).
func New(log *slog.Logger) *Log {
	return &Log{log: log, rejected: newRejections()}
}

// Access is middleware that writes one line per request: the request id
// (added by the logger's handler), what the request was, its outcome and
// the REST calls it made, from its Info once it is answered. Probes,
// metrics scrapes and GraphiQL's files log at debug level only, so they do
// not drown the GraphQL traffic.
func (l *Log) Access(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		ctx := r.Context()
		info, ok := ctx.Value(infoKey{}).(*Info)
		if !ok { // RequestID starts it, when it is in front
			info = &Info{}
			ctx = context.WithValue(ctx, infoKey{}, info)
			r = r.WithContext(ctx)
		}
		next.ServeHTTP(sw, r)
		l.access(ctx, r, sw.status, info, start)
	})
}

// access writes a request's access line. A method of its own: Access's
// frame stays for the whole request, and the line's attributes in it
// would add 1.3 KiB there (TestAttachStack then fails every time).
func (l *Log) access(ctx context.Context, r *http.Request, status int, info *Info, start time.Time) {
	level := slog.LevelInfo
	if r.URL.Path != "/graphql" && status < 500 {
		level = slog.LevelDebug
	}
	refused := info.Outcome == OutcomeRejected || (info.Outcome == "" && status >= 400 && status < 500)
	if refused && !l.allowRejected(ctx) {
		return
	}
	attrs := [...]slog.Attr{
		slog.String("method", r.Method),
		slog.String("path", Clip(r.URL.Path)),
		slog.Int("status", status),
		slog.String("space", info.Space),
		slog.String("operation", Clip(info.Operation)),
		slog.String("operation_type", info.OperationType),
		slog.String("outcome", info.Outcome),
		slog.Int64("rest_calls", info.restCalls.Load()),
		slog.Int64("rest_retries", info.restRetries.Load()),
		slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
		{}, // queued_ms, when the request waited for its turn
	}
	n := len(attrs) - 1
	if q := info.Queued; q > 0 {
		attrs[n] = slog.Float64("queued_ms", float64(q.Microseconds())/1000)
		n++
	}
	l.log.LogAttrs(ctx, level, "request", attrs[:n]...)
}

// statusWriter remembers the status written.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
