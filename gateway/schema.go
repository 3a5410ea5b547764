package gateway

import (
	"context"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/ipack-gateway/ipack-gateway/config"
	"github.com/ipack-gateway/ipack-gateway/gateway/query"
)

// overlapPairLimit caps the pairs of selections graphql-go's validation
// compares for "fields can be merged" in one document; past it the
// document is refused (GRAPHQL_VALIDATION_FAILED). Only fields of the same
// response name, and fragments, are compared: GraphiQL's introspection
// query and the vendor's samples examine none; 2,000 pairs cost graphql-go
// about 1.5 ms and 0.4 MB.
const overlapPairLimit = 2000

// SchemaOptions are the graphql-go options of the gateway's limits, for
// resolver.NewSchema: graphql-go's own bounds on depth, query length and
// selections (a second line behind the gateway's measure of each document
// before it is parsed), the pairs overlap validation may compare, and the
// introspection switch.
func SchemaOptions(cfg *config.Config) []graphql.SchemaOpt {
	opts := []graphql.SchemaOpt{
		graphql.MaxDepth(cfg.GraphQL.MaxDepth),
		// graphql-go is given the canonical text (query.Document.Text),
		// which can be longer than the client's; the client's length is
		// bounded by the gateway before it is put in that form.
		graphql.MaxQueryLength(cfg.GraphQL.MaxQueryLength * query.CanonicalGrowth),
		// The gateway has refused documents that expand past
		// maxSelections already; this is graphql-go's own count of the
		// same, a second line.
		graphql.MaxSelections(cfg.GraphQL.MaxSelections),
		// Validation compares fields of the same response name pairwise:
		// 5,000 "id"s are 12.5 million pairs. This caps the pairs examined
		// per document (see overlapPairLimit).
		graphql.OverlapValidationLimit(overlapPairLimit),
	}
	if !cfg.GraphQL.Introspection {
		opts = append(opts, graphql.RestrictIntrospection(func(context.Context) bool { return false }))
	}
	return opts
}
