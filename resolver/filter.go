package resolver

import (
	"context"

	"github.com/ipack-gateway/ipack-gateway/platformapi"
)

// MaxFilterIDs bounds the ids one REST query filter names (EQUALS clauses
// joined by "or"), as platformapi.BulkSize bounds a bulk GET. The vendor
// documents no limit; 10,000 clauses in one body (one per row of a long
// listing) would be a request it may refuse or take too long over.
const MaxFilterIDs = 100

// queryByIDs reads the rows whose property equals one of ids, and that
// match within as well when it is not nil: the distinct non-empty ids in
// order, MaxFilterIDs to a query, one query after the other (each costs one
// request of the account's budget either way, and they would only queue
// there together), the rows of all in that order. No ids, no query. It is
// the one place where ids become an "or" filter.
func queryByIDs[T any](ctx context.Context, within *platformapi.Expression, property string, ids []string,
	query func(context.Context, *platformapi.Expression) ([]T, error),
) ([]T, error) {
	var clauses []platformapi.Expression
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if id != "" && !seen[id] {
			seen[id] = true
			clauses = append(clauses, platformapi.Equals(property, id))
		}
	}
	var out []T
	for start := 0; start < len(clauses); start += MaxFilterIDs {
		f := anyOf(clauses[start:min(start+MaxFilterIDs, len(clauses))])
		if within != nil {
			f = ptr(platformapi.And(*within, *f))
		}
		rows, err := query(ctx, f)
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
	}
	return out, nil
}

// anyOf is the one expression, or an "or" of several.
func anyOf(exprs []platformapi.Expression) *platformapi.Expression {
	if len(exprs) == 1 {
		return &exprs[0]
	}
	e := platformapi.Or(exprs...)
	return &e
}
