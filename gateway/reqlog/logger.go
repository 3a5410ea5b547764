package reqlog

import (
	"context"
	"log/slog"

	"github.com/ipack-gateway/ipack-gateway/config"
	"github.com/ipack-gateway/ipack-gateway/errcode"
)

// requestIDHandler adds the request id of the context to every record, so
// lines logged deeper down (a failed REST attempt in platformapi, a failed
// environment in resolver) join their request's line without those
// packages knowing about request ids.
type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := IDFrom(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(attrs)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}

// Logger is the gateway's logger over log: the request id on every line
// logged with a request's context, and warnings throttled as cfg says
// (throttle.go), process-wide. The composition root gives it to every
// part it builds (the REST client, the resolvers, the server), so that all
// their lines are joined to requests and throttled together. Wrapping an
// already wrapped logger changes nothing.
func Logger(log *slog.Logger, cfg config.LogsConfig) *slog.Logger {
	return WithIDs(throttleLogs(log, cfg))
}

// WithIDs returns log with the request id on every line logged with a
// request's context, as Logger's; log as it is when it has that already.
func WithIDs(log *slog.Logger) *slog.Logger {
	if _, ok := log.Handler().(requestIDHandler); ok {
		return log
	}
	return slog.New(requestIDHandler{log.Handler()})
}

// MaxValue bounds a client-chosen value in a log line or a span (a path,
// an operation name): one request must not write kilobytes of log.
const MaxValue = 128

// Clip bounds s to MaxValue bytes, on a rune boundary, marking a cut with
// "…".
func Clip(s string) string { return errcode.Clip(s, MaxValue) }
