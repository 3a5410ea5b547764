package gateway

import (
	"context"

	gqlerrors "github.com/graph-gophers/graphql-go/errors"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/ipack-gateway/ipack-gateway/resolver"
)

// rootKeys lists, for each root field an operation selects, the response
// keys (alias, else name) it is selected under, in document order, through
// fragments; a key selected twice is executed once and listed once.
func rootKeys(set ast.SelectionSet, frags map[string]*ast.FragmentDefinition) map[string][]string {
	keys := map[string][]string{}
	seenKey := map[string]bool{}
	var walk func(ast.SelectionSet, map[string]bool)
	walk = func(set ast.SelectionSet, seen map[string]bool) {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				key := s.Alias
				if key == "" {
					key = s.Name
				}
				if !seenKey[key] {
					seenKey[key] = true
					keys[s.Name] = append(keys[s.Name], key)
				}
			case *ast.InlineFragment:
				walk(s.SelectionSet, seen)
			case *ast.FragmentSpread:
				if f, ok := frags[s.Name]; ok && !seen[s.Name] {
					seen[s.Name] = true
					walk(f.SelectionSet, seen)
				}
			}
		}
	}
	walk(set, map[string]bool{})
	return keys
}

// itemErrors turns the failures of single items of list inputs, which the
// resolvers reported in ctx (resolver.WithItemErrors), into GraphQL errors
// at path [key, index]: the key under which the client selected the field
// (its alias) and the item's index, where the answer holds null.
// Limitation: a field skipped by @skip or @include still counts among the
// keys, so with several aliases of one field and a directive, the path may
// name another alias.
func itemErrors(ctx context.Context, op opInfo) []*gqlerrors.QueryError {
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
