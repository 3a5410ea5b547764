package gateway

import (
	"strings"

	graphql "github.com/graph-gophers/graphql-go"
	"github.com/graph-gophers/graphql-go/introspection"
	"github.com/vektah/gqlparser/v2/ast"
)

// operation is one operation of a request's document, as gqlparser reads
// it (analyze.go): what the limits check, what logs, metrics and traces name
// it by, where its items' errors go and what its variables must fit. A
// request whose document names no operation that runs, and the token
// endpoint, have one with a name only.
type operation struct {
	// name is how logs, metrics and traces name the operation: its name in
	// the document, else its root fields; clipped, since the names come
	// from the client.
	name    string
	docName string   // its name in the document, exactly; "" when anonymous
	typ     string   // query, mutation or subscription; "" when unknown
	fields  []string // distinct root field names, aliases resolved
	// root is a mutation's root selections, with their @skip and
	// @include, from which itemErrors learns the response keys of a
	// request (rootkeys.go); nil for other operations.
	root []rootSel
	vars ast.VariableDefinitionList // what the request's variables must fit
	// rootFields, aliases and selections count fields (and, for
	// selections, fragment spreads and inline fragments too) at the root,
	// with an alias, and at every level, as the operation executes:
	// fragment spreads expanded, and a fragment counted each time it is
	// spread, so that a fragment fan-out is measured at its full size;
	// depth is the deepest field's nesting, the root's fields being at
	// depth 1.
	rootFields, aliases, selections, depth int
}

// mutation reports whether the operation is a mutation.
func (o *operation) mutation() bool { return o.typ == string(ast.Mutation) }

// maxLoggedFields bounds the root fields an anonymous operation is named by.
const maxLoggedFields = 8

// logName names an operation: its own name, else its root fields, clipped.
func logName(name string, fields []string) string {
	if name == "" {
		name = strings.Join(fields[:min(len(fields), maxLoggedFields)], ",")
	}
	return clip(name, maxLoggedName)
}

// metricLabel is the operation's value for the "operation" label of the
// metrics: the root field when the schema has it (a fixed set), so a client
// cannot grow the label's values; "introspection", "multiple" or "unknown"
// otherwise.
func (o operation) metricLabel(known map[string]bool) string {
	var fields []string
	for _, f := range o.fields {
		if f != "__typename" {
			fields = append(fields, f)
		}
	}
	switch {
	case len(fields) == 0:
		if len(o.fields) > 0 {
			return "introspection" // only __typename
		}
		return "unknown"
	case len(fields) > 1:
		for _, f := range fields {
			if !strings.HasPrefix(f, "__") {
				return "multiple"
			}
		}
		return "introspection"
	case strings.HasPrefix(fields[0], "__"):
		return "introspection"
	case known[fields[0]]:
		return fields[0]
	}
	return "unknown"
}

// rootFields returns the names of the schema's query and mutation fields:
// the fixed set of values of the metrics' "operation" label.
func rootFields(s *graphql.Schema) map[string]bool {
	out := map[string]bool{}
	in := s.Inspect()
	all := &struct{ IncludeDeprecated bool }{true}
	for _, t := range []*introspection.Type{in.QueryType(), in.MutationType(), in.SubscriptionType()} {
		if t == nil {
			continue
		}
		if fields := t.Fields(all); fields != nil {
			for _, f := range *fields {
				out[f.Name()] = true
			}
		}
	}
	return out
}
