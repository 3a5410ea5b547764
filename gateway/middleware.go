package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/ipack-gateway/ipack-gateway/errcode"
	"github.com/ipack-gateway/ipack-gateway/gateway/query"
)

// requestID returns the request's id, or "".
func requestID(ctx context.Context) string {
	if i, ok := ctx.Value(requestInfoKey{}).(*requestInfo); ok {
		return i.id
	}
	return ""
}

// withRequestID honours a client's X-Request-Id when it is a sane token,
// makes one up otherwise, and returns it in the response. It starts the
// request's requestInfo with it: one context value and one copy of the
// request for both, where each was a copy of its own.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, &requestInfo{id: id})))
	})
}

// validRequestID admits up to 128 visible ASCII characters, so a client's
// id cannot forge log lines or headers.
func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' || id[i] == '"' || id[i] == '\\' {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // never fails
	return hex.EncodeToString(b[:])
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

// recoverer turns a panic into a logged bug and a 500 GraphQL error, so one
// bad request cannot take the process down. http.ErrAbortHandler passes.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Under accessLog, its statusWriter already tells whether the
		// answer has begun.
		sw, ok := w.(*statusWriter)
		if !ok {
			sw = &statusWriter{ResponseWriter: w}
		}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.LogAttrs(r.Context(), slog.LevelError, "panic serving request: this is a bug",
				slog.String("panic", fmt.Sprint(v)),
				slog.String("stack", string(debug.Stack())))
			if !sw.wrote {
				writeError(sw, &errcode.Error{Code: errcode.GenericSystemError, Message: "Internal server error (request " + requestID(r.Context()) + ")"})
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

// accessLog writes one line per request: the request id (added by the
// logger's handler), what the request was, its outcome and the REST calls
// it made. Probes, metrics scrapes and GraphiQL's files log at debug level
// only, so they do not drown the GraphQL traffic.
func (s *Server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		ctx := r.Context()
		info, ok := ctx.Value(requestInfoKey{}).(*requestInfo)
		if !ok { // withRequestID starts it, when it is in front
			info = &requestInfo{}
			ctx = context.WithValue(ctx, requestInfoKey{}, info)
			r = r.WithContext(ctx)
		}
		info.known = s.fields
		next.ServeHTTP(sw, r)
		s.logRequest(ctx, r, sw.status, info, start)
	})
}

// logRequest writes a request's access line (and annotates its span). It
// is a function of its own so that accessLog's stack frame, which stays
// for the whole request, does not hold the line's attributes while the
// request runs (docs/performance.md: stack per request).
func (s *Server) logRequest(ctx context.Context, r *http.Request, status int, info *requestInfo, start time.Time) {
	level := slog.LevelInfo
	if r.URL.Path != "/graphql" && status < 500 {
		level = slog.LevelDebug
	}
	if info.outcome != "" { // a GraphQL request
		annotateSpan(ctx, info)
	}
	refused := info.outcome == outcomeRejected || (info.outcome == "" && status >= 400 && status < 500)
	if refused && !s.logRejection(ctx) {
		return
	}
	attrs := [...]slog.Attr{
		slog.String("method", r.Method),
		slog.String("path", clipLogged(r.URL.Path)),
		slog.Int("status", status),
		slog.String("space", info.space),
		slog.String("operation", clipLogged(info.op.Name())),
		slog.String("operation_type", info.op.Type()),
		slog.String("outcome", info.outcome),
		slog.Int64("rest_calls", info.restCalls.Load()),
		slog.Int64("rest_retries", info.restRetries.Load()),
		slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
		{}, // queued_ms, when the request waited for its turn
	}
	n := len(attrs) - 1
	if q := queuedFor(ctx); q > 0 {
		attrs[n] = slog.Float64("queued_ms", float64(q.Microseconds())/1000)
		n++
	}
	s.log.LogAttrs(ctx, level, "request", attrs[:n]...)
}

// markGraphQL marks a request as a GraphQL one, rejected until execution
// says otherwise.
func markGraphQL(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		infoFrom(r.Context()).outcome = outcomeRejected
		next.ServeHTTP(w, r)
	})
}

// requestInfo collects what inner handlers learn about a request, for its
// log line, metrics and span. The REST counters are atomic: an attach's
// calls run concurrently.
type requestInfo struct {
	id          string // the request id (withRequestID)
	space       string
	op          query.Operation
	outcome     string
	restCalls   atomic.Int64
	restRetries atomic.Int64
	known       map[string]bool // the schema's root fields
	// logDecided and logAllowed hold whether a refused request's lines are
	// logged (see rejectThrottle).
	logDecided, logAllowed bool
}

// metricOperation is the request's "operation" label.
func (i *requestInfo) metricOperation() string { return i.op.MetricLabel(i.known) }

// metricOutcome is the request's "outcome" label: a request answered before
// execution (authentication, a malformed request) was rejected.
func (i *requestInfo) metricOutcome() string {
	if i.outcome == "" {
		return outcomeRejected
	}
	return i.outcome
}

type requestInfoKey struct{}

// infoFrom is not inlined: its fallback requestInfo would otherwise take
// its size in the stack frame of every handler that calls it, for the
// whole request (docs/performance.md: stack per request).
//
//go:noinline
func infoFrom(ctx context.Context) *requestInfo {
	if i, ok := ctx.Value(requestInfoKey{}).(*requestInfo); ok {
		return i
	}
	return &requestInfo{}
}
