package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"

	gqlerrors "github.com/graph-gophers/graphql-go/errors"

	"github.com/ipack-gateway/ipack-gateway/errcode"
	"github.com/ipack-gateway/ipack-gateway/gateway/reqlog"
)

// PanicHandler turns a resolver's panic into a GraphQL error that names
// the request for support (GENERIC_SYSTEM_ERROR), and logs it to log as
// the bug it is; the composition root passes it to resolver.NewSchema.
func PanicHandler(log *slog.Logger) gqlerrors.PanicHandler {
	return panicHandler{log: reqlog.WithIDs(log)}
}

type panicHandler struct{ log *slog.Logger }

func (h panicHandler) MakePanicError(ctx context.Context, value any) *gqlerrors.QueryError {
	id := reqlog.IDFrom(ctx)
	h.log.LogAttrs(ctx, slog.LevelError, "panic in resolver: this is a bug",
		slog.String("panic", fmt.Sprint(value)), slog.String("stack", string(debug.Stack())))
	e := gqlerrors.Errorf("Internal server error (request %s)", id)
	e.Extensions = errcode.New(errcode.GenericSystemError, e.Message).Extensions()
	return e
}
