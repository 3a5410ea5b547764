package resolver

import (
	"context"
	"fmt"
	"slices"

	graphql "github.com/graph-gophers/graphql-go"
	gqlerrors "github.com/graph-gophers/graphql-go/errors"
	gqllog "github.com/graph-gophers/graphql-go/log"

	"github.com/ipack-gateway/ipack-gateway/errcode"
	"github.com/ipack-gateway/ipack-gateway/schema"
)

// A failed item of a list (one environment of an attach) must carry its
// error at its own path, [field, index, "id"]. graphql-go gives a path to
// the error a field resolver returns, but a resolver that may return an
// error makes graphql-go resolve every field of the item on a goroutine of
// its own (internal/exec/selected: Async is fe.HasContext || … ||
// fe.HasError): five goroutines for an attach of one environment, and the
// stack growth of each, a third of the execution's time (measured 4x
// slower). A resolver that panics is resolved inline, and graphql-go's
// panic handling gives its error the same path. So a failed item's field
// panics with an *itemError, and the handler NewSchema installs turns it
// back into that error. graphql-go v1.11 has no other way to attach an
// error to a field without those goroutines; NewSchema is the only way to
// build the schema, so the handler cannot be forgotten.

// itemError is the panic value of a failed item's field.
type itemError struct{ err *errcode.Error }

// NewSchema parses the gateway's schema (package schema) for r with opts,
// and installs the panic handling that failed list items need (see
// above): their panics become their errors; any other panic, a bug, goes
// to bugs, which makes its GraphQL error and should log it. A nil bugs
// selects graphql-go's default handler and panic logger. NewSchema
// installs its handler and logger after opts, so a graphql.PanicHandler or
// graphql.Logger among them has no effect.
func NewSchema(r *Resolver, bugs gqlerrors.PanicHandler, opts ...graphql.SchemaOpt) (*graphql.Schema, error) {
	var logger gqllog.Logger = silentLogger{} // bugs logs what it handles
	if bugs == nil {
		bugs, logger = &gqlerrors.DefaultPanicHandler{}, &gqllog.DefaultLogger{}
	}
	opts = append(slices.Clip(opts),
		graphql.PanicHandler(itemPanics{next: bugs}),
		graphql.Logger(itemPanicLogger{next: logger}),
	)
	s, err := graphql.ParseSchema(schema.SDL(), r, opts...)
	if err != nil {
		return nil, fmt.Errorf("resolver: schema: %w", err)
	}
	return s, nil
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

// silentLogger logs nothing: the caller's panic handler logs.
type silentLogger struct{}

func (silentLogger) LogPanic(context.Context, any) {}
