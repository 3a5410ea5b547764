package resolver

import (
	"context"
	"testing"

	gqlerrors "github.com/graph-gophers/graphql-go/errors"

	"github.com/ipack-gateway/ipack-gateway/errcode"
)

type recordingHandler struct{ got []any }

func (h *recordingHandler) MakePanicError(_ context.Context, v any) *gqlerrors.QueryError {
	h.got = append(h.got, v)
	return gqlerrors.Errorf("bug")
}

type recordingLogger struct{ got []any }

func (l *recordingLogger) LogPanic(_ context.Context, v any) { l.got = append(l.got, v) }

// TestItemPanics: a failed item's panic becomes its error, silently; any
// other panic reaches the next handler and logger as the bug it is.
func TestItemPanics(t *testing.T) {
	next, logger := &recordingHandler{}, &recordingLogger{}
	h := itemPanics{next: next}
	l := itemPanicLogger{next: logger}
	item := &itemError{err: errcode.New(errcode.BadUserInput, "no such environment").With("environmentId", "e")}

	l.LogPanic(context.Background(), item)
	e := h.MakePanicError(context.Background(), item)
	if e.Message != "no such environment" || e.Extensions["code"] != "BAD_USER_INPUT" || e.Extensions["environmentId"] != "e" {
		t.Errorf("item error = %+v", e)
	}
	if len(next.got) != 0 || len(logger.got) != 0 {
		t.Errorf("an item error reached the bug handler (%v) or logger (%v)", next.got, logger.got)
	}

	l.LogPanic(context.Background(), "nil map")
	if e := h.MakePanicError(context.Background(), "nil map"); e.Message != "bug" || len(next.got) != 1 || len(logger.got) != 1 {
		t.Errorf("a real panic: %+v, handler %v, logger %v", e, next.got, logger.got)
	}
}
