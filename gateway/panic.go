package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"

	gqlerrors "github.com/graph-gophers/graphql-go/errors"

	"github.com/ipack-gateway/ipack-gateway/errcode"
)

// panicHandler turns a resolver's panic into a GraphQL error that names the
// request for support, and logs it as the bug it is.
type panicHandler struct{ log *slog.Logger }

func (h panicHandler) MakePanicError(ctx context.Context, value any) *gqlerrors.QueryError {
	id := requestID(ctx)
	h.log.LogAttrs(ctx, slog.LevelError, "panic in resolver: this is a bug",
		slog.String("panic", fmt.Sprint(value)), slog.String("stack", string(debug.Stack())))
	e := gqlerrors.Errorf("Internal server error (request %s)", id)
	e.Extensions = map[string]any{"code": string(errcode.GenericSystemError)}
	return e
}

// panicLogger silences graphql-go's own panic log: panicHandler logs.
type panicLogger struct{}

func (panicLogger) LogPanic(context.Context, any) {}
