package gateway

import (
	"context"

	gqlerrors "github.com/graph-gophers/graphql-go/errors"

	"github.com/ipack-gateway/ipack-gateway/resolver"
)

// itemErrors turns the failures of single items of list inputs, which the
// resolvers reported in ctx (resolver.WithItemErrors), into GraphQL errors
// at path [key, index]: the key under which the client selected the field
// (its alias) and the item's index, where the answer holds null.
// Limitation: a field skipped by @skip or @include still counts among the
// keys, so with several aliases of one field and a directive, the path may
// name another alias.
func itemErrors(ctx context.Context, op *operation) []*gqlerrors.QueryError {
	var out []*gqlerrors.QueryError
	for _, ie := range resolver.ItemErrors(ctx) {
		key := ie.Field
		if keys := op.rootKeys[ie.Field]; ie.Call < len(keys) {
			key = keys[ie.Call]
		}
		out = append(out, &gqlerrors.QueryError{
			Message:       ie.Err.Message,
			Path:          []any{key, ie.Index},
			Extensions:    ie.Err.Extensions(),
			ResolverError: ie.Err,
			Err:           ie.Err,
		})
	}
	return out
}
