package gateway

import (
	"context"

	gqlerrors "github.com/graph-gophers/graphql-go/errors"

	"github.com/ipack-gateway/ipack-gateway/gateway/query"
	"github.com/ipack-gateway/ipack-gateway/resolver"
)

// itemErrors turns the failures of single items of lists, which the
// resolvers reported in ctx (resolver.WithItemErrors), into GraphQL errors
// at the items' paths: [key, index] for a list of scalars, where the answer
// holds null, and [key, index, itemKey] for a list of objects, one error
// per itemKey under which the items select the field that carries the
// failure. key is the response key (alias) of the field's execution that
// failed, among those that ran under the request's variables vars
// (query.ResponseKeys).
func itemErrors(ctx context.Context, op *query.Operation, vars map[string]any) []*gqlerrors.QueryError {
	failed := resolver.ItemErrors(ctx)
	if len(failed) == 0 {
		return nil
	}
	keys := op.ResponseKeys(vars)
	var out []*gqlerrors.QueryError
	type itemField struct{ key, field string }
	itemKeys := map[itemField][]string{} // a root key's items' keys of a field
	for _, ie := range failed {
		key, ok := keys.Root(ie.Field, ie.Call)
		if !ok {
			key = ie.Field
		}
		if ie.ItemField == "" {
			out = append(out, ie.QueryError(key, ie.Index))
			continue
		}
		f := itemField{key, ie.ItemField}
		iks, ok := itemKeys[f]
		if !ok {
			if iks = keys.Item(key, ie.ItemField); len(iks) == 0 {
				iks = []string{ie.ItemField}
			}
			itemKeys[f] = iks
		}
		for _, ik := range iks {
			out = append(out, ie.QueryError(key, ie.Index, ik))
		}
	}
	return out
}
