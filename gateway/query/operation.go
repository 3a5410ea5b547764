package query

import (
	"strings"

	graphql "github.com/graph-gophers/graphql-go"
	"github.com/graph-gophers/graphql-go/introspection"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/ipack-gateway/ipack-gateway/errcode"
)

// Operation is one operation of a request's document, as gqlparser reads
// it (analyze.go): what the limits check, what logs, metrics and traces name
// it by, where its items' errors go and what its variables must fit. A
// request whose document holds no operation that runs, and the token
// endpoint, have one with a name only (NamedOperation). It is only read:
// the operations of a cached Document serve every request of its text.
type Operation struct {
	// name is how logs, metrics and traces name the operation: its name in
	// the document, else its root fields; clipped, since the names come
	// from the client.
	name    string
	docName string   // its name in the document, exactly; "" when anonymous
	typ     string   // query, mutation or subscription; "" when not in a document
	fields  []string // distinct root field names, aliases resolved
	// root is a mutation's root selections, and their items' selections,
	// with their @skip and @include, from which ResponseKeys learns the
	// response keys of a request (rootkeys.go); nil for other operations.
	root []rootSel
	vars ast.VariableDefinitionList // what the request's variables must fit
	size Size
}

// Size is what an operation expands to, as the limits count it and as it
// executes: fragment spreads expanded, and a fragment counted each time it
// is spread, so that a fragment fan-out is measured at its full size.
type Size struct {
	// RootFields counts the fields at the root.
	RootFields int
	// Aliases counts the fields with an alias, at every level.
	Aliases int
	// Selections counts the fields, fragment spreads and inline fragments
	// at every level.
	Selections int
	// Depth is the deepest field's nesting, the root's fields being at
	// depth 1.
	Depth int
}

// NamedOperation returns an operation known only by its name, clipped:
// the one a request names when its document does not hold it, or the token
// endpoint's, for logs and metrics.
func NamedOperation(name string) Operation {
	return Operation{name: errcode.Clip(name, maxLoggedName)}
}

// Name is how logs, metrics and traces name the operation: its name in the
// document, else its root fields (at most 8), clipped to 128 bytes since
// the names come from the client.
func (o *Operation) Name() string { return o.name }

// Type is the operation's type: "query", "mutation" or "subscription"; ""
// for an operation its document does not hold.
func (o *Operation) Type() string { return o.typ }

// IsMutation reports whether the operation is a mutation.
func (o *Operation) IsMutation() bool { return o.typ == string(ast.Mutation) }

// Fields returns the names of the fields the operation selects at its
// root, each once, aliases resolved, in document order. The slice is
// shared: callers must not change it.
func (o *Operation) Fields() []string { return o.fields }

// Size returns what the operation expands to, as the limits count it.
func (o *Operation) Size() Size { return o.size }

// maxLoggedFields bounds the root fields an anonymous operation is named by.
const maxLoggedFields = 8

// maxLoggedName bounds an operation's name (or its root fields) in logs,
// spans and metrics.
const maxLoggedName = 128

// logName names an operation: its own name, else its root fields, clipped.
func logName(name string, fields []string) string {
	if name == "" {
		name = strings.Join(fields[:min(len(fields), maxLoggedFields)], ",")
	}
	return errcode.Clip(name, maxLoggedName)
}

// MetricLabel is the operation's value for the "operation" label of the
// metrics: the root field when known has it (known is RootFields of the
// schema, a fixed set), so that a client cannot grow the label's values;
// "introspection", "multiple" or "unknown" otherwise.
func (o *Operation) MetricLabel(known map[string]bool) string {
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

// RootFields returns the names of the schema's query, mutation and
// subscription fields: the fixed set of values of the metrics'
// "operation" label (MetricLabel).
func RootFields(s *graphql.Schema) map[string]bool {
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
