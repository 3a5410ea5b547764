package resolver

import (
	"context"

	graphql "github.com/graph-gophers/graphql-go"
	gqlerrors "github.com/graph-gophers/graphql-go/errors"
	gqllog "github.com/graph-gophers/graphql-go/log"

	"github.com/ipack-gateway/ipack-gateway/errcode"
)

// A failed item of a list (one environment of an attach) must carry its
// error at its own path, [field, index, "id"]. graphql-go gives a path to
// the error a field resolver returns, but a resolver that may return an
// error makes graphql-go resolve every field of the item on a goroutine of
// its own: five goroutines for an attach of one environment, and the
// stack growth of each, a third of the execution's time. A resolver that
// panics is resolved inline, and graphql-go's panic handling gives its error
// the same path. So a failed item's field panics with an *itemError, and
// the handler installed by SchemaOptions turns it back into that error.
// Real panics pass to the next handler unchanged.

// itemError is the panic value of a failed item's field.
type itemError struct{ err *errcode.Error }

// SchemaOptions are the graphql-go options the resolvers need, to be passed
// to graphql.ParseSchema: a panic handler that renders failed items and
// hands other panics to next, and a panic logger that logs only those
// others, to logger. nil selects graphql-go's defaults.
func SchemaOptions(next gqlerrors.PanicHandler, logger gqllog.Logger) []graphql.SchemaOpt {
	if next == nil {
		next = &gqlerrors.DefaultPanicHandler{}
	}
	if logger == nil {
		logger = &gqllog.DefaultLogger{}
	}
	return []graphql.SchemaOpt{
		graphql.PanicHandler(itemPanics{next: next}),
		graphql.Logger(itemPanicLogger{next: logger}),
	}
}

type itemPanics struct{ next gqlerrors.PanicHandler }

func (h itemPanics) MakePanicError(ctx context.Context, value any) *gqlerrors.QueryError {
	ie, ok := value.(*itemError)
	if !ok {
		return h.next.MakePanicError(ctx, value)
	}
	return &gqlerrors.QueryError{Message: ie.err.Message, Extensions: ie.err.Extensions(), ResolverError: ie.err, Err: ie.err}
}

type itemPanicLogger struct{ next gqllog.Logger }

func (l itemPanicLogger) LogPanic(ctx context.Context, value any) {
	if _, ok := value.(*itemError); !ok {
		l.next.LogPanic(ctx, value)
	}
}
