package reqlog

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
)

// Recoverer is middleware that turns a panic into a bug logged to log, with
// its stack, and an answer by answer when none has begun, so that one bad
// request cannot take the process down. http.ErrAbortHandler passes.
func Recoverer(log *slog.Logger, answer func(http.ResponseWriter, *http.Request)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// Under Access, its statusWriter already tells whether the
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
				log.LogAttrs(r.Context(), slog.LevelError, "panic serving request: this is a bug",
					slog.String("panic", fmt.Sprint(v)),
					slog.String("stack", string(debug.Stack())))
				if !sw.wrote {
					answer(sw, r)
				}
			}()
			next.ServeHTTP(sw, r)
		})
	}
}
