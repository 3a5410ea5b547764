package resolver

import (
	"context"
	"fmt"
	"slices"

	graphql "github.com/graph-gophers/graphql-go"
	gqlerrors "github.com/graph-gophers/graphql-go/errors"
	gqllog "github.com/graph-gophers/graphql-go/log"

	"github.com/ipack-gateway/ipack-gateway/schema"
)

// NewSchema parses the gateway's schema (package schema) for r with opts.
// A panic in a resolver, a bug, goes to bugs, which makes its GraphQL
// error and should log it: graphql-go's own panic logging is then off. A
// nil bugs selects graphql-go's default handler and panic logger.
// NewSchema installs its handler and logger after opts, so a
// graphql.PanicHandler or graphql.Logger among them has no effect.
func NewSchema(r *Resolver, bugs gqlerrors.PanicHandler, opts ...graphql.SchemaOpt) (*graphql.Schema, error) {
	var logger gqllog.Logger = silentLogger{} // bugs logs what it handles
	if bugs == nil {
		bugs, logger = &gqlerrors.DefaultPanicHandler{}, &gqllog.DefaultLogger{}
	}
	opts = append(slices.Clip(opts), graphql.PanicHandler(bugs), graphql.Logger(logger))
	s, err := graphql.ParseSchema(schema.SDL(), r, opts...)
	if err != nil {
		return nil, fmt.Errorf("resolver: schema: %w", err)
	}
	return s, nil
}

// silentLogger logs nothing: the caller's panic handler logs.
type silentLogger struct{}

func (silentLogger) LogPanic(context.Context, any) {}
