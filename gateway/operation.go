package gateway

import (
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// operation describes the operation a GraphQL request executes, for logs,
// metrics and traces.
type operation struct {
	name   string   // the operation's name, or its root fields when anonymous
	typ    string   // query, mutation or subscription; "" when unknown
	fields []string // root fields, aliases resolved to field names
}

// maxLoggedFields bounds the root fields an anonymous operation is named by.
const maxLoggedFields = 8

// describe names the operation: its own name, else its root fields,
// clipped (the names come from the client).
func (o opInfo) describe() operation {
	out := operation{name: clip(o.name, maxLoggedName), typ: o.typ, fields: o.fields}
	if out.name == "" {
		out.name = clip(strings.Join(o.fields[:min(len(o.fields), maxLoggedFields)], ","), maxLoggedName)
	}
	return out
}

// rootFieldNames lists the distinct fields a selection set selects at its
// own level, through fragments (each fragment once, so cycles end).
func rootFieldNames(set ast.SelectionSet, frags map[string]*ast.FragmentDefinition) []string {
	var out []string
	seen := map[string]bool{}
	var walk func(ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				if !seen[s.Name] {
					seen[s.Name] = true
					out = append(out, s.Name)
				}
			case *ast.InlineFragment:
				walk(s.SelectionSet)
			case *ast.FragmentSpread:
				if f, ok := frags[s.Name]; ok && !seen["..."+s.Name] {
					seen["..."+s.Name] = true
					walk(f.SelectionSet)
				}
			}
		}
	}
	walk(set)
	return out
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
