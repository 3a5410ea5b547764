package gateway

import (
	"context"

	gqlerrors "github.com/graph-gophers/graphql-go/errors"

	"github.com/ipack-gateway/ipack-gateway/gateway/query"
	"github.com/ipack-gateway/ipack-gateway/resolver"
)

// itemErrors turns the failures of single items of list inputs, which the
// resolvers reported in ctx (resolver.WithItemErrors), into GraphQL errors
// at path [key, index]: the key under which the client selected the field
// (its alias) and the item's index, where the answer holds null. The key
// is the one of the field's executions that failed, among those that ran
// under the request's variables vars (query.Operation.ResponseKeys).
func itemErrors(ctx context.Context, op *query.Operation, vars map[string]any) []*gqlerrors.QueryError {
	failed := resolver.ItemErrors(ctx)
	if len(failed) == 0 {
		return nil
	}
	keys := op.ResponseKeys(vars)
	var out []*gqlerrors.QueryError
	for _, ie := range failed {
		key := ie.Field
		if keys := keys[ie.Field]; ie.Call < len(keys) {
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
