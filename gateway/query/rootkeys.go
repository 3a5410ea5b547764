package query

import (
	"slices"

	"github.com/vektah/gqlparser/v2/ast"
)

// The errors of a mutation's failed list items (resolver.ItemError) are
// placed by the gateway (package gateway's itemerrors.go), at [key,
// index] for a list of scalars and [key, index, itemKey] for a list of
// objects: key is the alias under which the field failed, itemKey the
// alias of the item's field that carries the error. graphql-go v1.11
// tells a resolver neither its alias nor its path, nor the aliases of the
// fields selected under it (graphql.SelectedFieldNames gives names), so
// the resolvers count the executions of a field (resolver.ItemError.Call)
// and name the item's field, and ResponseKeys maps those to response
// keys: mutation fields execute one after the other, each response key
// once, at the place of its first selection that @skip and @include leave
// in, under the request's variables; the items' selection of a key is
// that of all its selections left in, merged. The document is analyzed
// once per text (analyze.go), the variables differ per request, so a
// mutation keeps its root selections, and their items' selections, with
// their directives (rootSel), and ResponseKeys reads them for one
// request's variables.

// rootSel is a selection at an operation's root, or in the items of a root
// field: a field, or an inline fragment or fragment spread with the
// selections it brings.
type rootSel struct {
	key, name string           // a field's response key and name; "" for a fragment
	when      []*ast.Directive // its @skip and @include; nil when none
	// sels are a fragment's selections (a spread's are shared), or a
	// root field's selections in its items; nil for the fields of items.
	sels []rootSel
}

// rootPlanner builds the root selections of a document's operations, with
// their items' selections, each fragment's once per level.
type rootPlanner struct {
	frags map[string]*ast.FragmentDefinition
	memo  map[fragmentLevel][]rootSel
	busy  map[string]bool // fragments being planned: a cycle plans nothing
}

// fragmentLevel is a fragment planned at the root (0) or in items (1).
type fragmentLevel struct {
	name  string
	level int
}

func newRootPlanner(frags map[string]*ast.FragmentDefinition) *rootPlanner {
	return &rootPlanner{frags: frags, memo: map[fragmentLevel][]rootSel{}, busy: map[string]bool{}}
}

// plan returns the root selections of set, with their items' selections.
func (p *rootPlanner) plan(set ast.SelectionSet) []rootSel { return p.level(set, 0) }

// level returns the selections of set at level 0 (the root) or 1 (a root
// field's items, whose own fields' selections are not kept).
func (p *rootPlanner) level(set ast.SelectionSet, level int) []rootSel {
	out := make([]rootSel, 0, len(set))
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			key := s.Alias
			if key == "" {
				key = s.Name
			}
			f := rootSel{key: key, name: s.Name, when: conditions(s.Directives)}
			if level == 0 && len(s.SelectionSet) > 0 {
				f.sels = p.level(s.SelectionSet, 1)
			}
			out = append(out, f)
		case *ast.InlineFragment:
			// A type condition always holds: the items the gateway places
			// errors in are of one object type, and validation refuses a
			// fragment on another.
			out = append(out, rootSel{when: conditions(s.Directives), sels: p.level(s.SelectionSet, level)})
		case *ast.FragmentSpread:
			out = append(out, rootSel{when: conditions(s.Directives), sels: p.fragment(s.Name, level)})
		}
	}
	return out
}

func (p *rootPlanner) fragment(name string, level int) []rootSel {
	k := fragmentLevel{name, level}
	if sels, ok := p.memo[k]; ok {
		return sels
	}
	f, ok := p.frags[name]
	if !ok || p.busy[name] {
		return nil // graphql-go refuses the document; so does the analyzer
	}
	p.busy[name] = true
	sels := p.level(f.SelectionSet, level)
	p.busy[name] = false
	p.memo[k] = sels
	return sels
}

// conditions returns the @skip and @include of ds, nil when it has none.
func conditions(ds ast.DirectiveList) []*ast.Directive {
	var out []*ast.Directive
	for _, d := range ds {
		if d.Name == "skip" || d.Name == "include" {
			out = append(out, d)
		}
	}
	return out
}

// ResponseKeys are the response keys of a mutation's fields, and of the
// fields of their items, as they execute under one request's variables.
// The zero value, and that of an operation other than a mutation (whose
// fields report no item errors), knows no key.
type ResponseKeys struct {
	plan []rootSel
	vars map[string]any
	defs ast.VariableDefinitionList
	root map[string][]string // see responseKeys
}

// ResponseKeys returns the response keys of the operation's fields under
// vars, the request's variables.
func (o *Operation) ResponseKeys(vars map[string]any) *ResponseKeys {
	return &ResponseKeys{plan: o.root, vars: vars, defs: o.vars, root: responseKeys(o.root, vars, o.vars)}
}

// Root returns the response key of the call-th execution (counted from 0)
// of the root field name, and true; false when the field executes fewer
// times.
func (k *ResponseKeys) Root(name string, call int) (string, bool) {
	if keys := k.root[name]; call < len(keys) {
		return keys[call], true
	}
	return "", false
}

// Item returns the response keys under which the root field answering at
// key selects the field name in its items (the objects of the list it
// answers), each once, in the order they are first selected: through
// fragments, without what @skip and @include leave out, the selections
// of every selection of key merged, as graphql-go executes them. Several
// aliases of one field are several keys. It is nil when none selects it.
func (k *ResponseKeys) Item(key, name string) []string {
	var items []rootSel
	k.walk(k.plan, func(s rootSel) {
		if s.key == key {
			items = append(items, s.sels...)
		}
	})
	var out []string
	k.walk(items, func(s rootSel) {
		if s.name == name && !slices.Contains(out, s.key) {
			out = append(out, s.key)
		}
	})
	return out
}

// walk calls fn for each field of sels that executes under k's variables,
// in document order, fragments expanded as often as they are spread (the
// limits bound that: the operation was admitted with its selections
// counted the same way).
func (k *ResponseKeys) walk(sels []rootSel, fn func(rootSel)) {
	for _, s := range sels {
		switch {
		case !included(s.when, k.vars, k.defs):
		case s.name == "":
			k.walk(s.sels, fn)
		default:
			fn(s)
		}
	}
}

// responseKeys maps each root field of plan that executes under vars to
// its response keys, in the order they execute: each key once, at its
// first selection that is not left out. defs give the defaults of
// variables vars lacks. A resolver's count of a field's executions indexes
// them.
func responseKeys(plan []rootSel, vars map[string]any, defs ast.VariableDefinitionList) map[string][]string {
	keys := map[string][]string{}
	seen := map[string]bool{}
	(&ResponseKeys{vars: vars, defs: defs}).walk(plan, func(s rootSel) {
		if !seen[s.key] {
			seen[s.key] = true
			keys[s.name] = append(keys[s.name], s.key)
		}
	})
	return keys
}

// included reports whether a selection with directives when executes, as
// graphql-go decides it: not when @skip's "if" is true or @include's is
// false; a value that is not a boolean leaves it in (graphql-go reports
// it and executes the selection).
func included(when []*ast.Directive, vars map[string]any, defs ast.VariableDefinitionList) bool {
	for _, d := range when {
		v, ok := ifArgument(d, vars, defs)
		if ok && v == (d.Name == "skip") {
			return false
		}
	}
	return true
}

// ifArgument returns the value of d's "if" argument under vars, and
// whether it is a boolean.
func ifArgument(d *ast.Directive, vars map[string]any, defs ast.VariableDefinitionList) (value, ok bool) {
	arg := d.Arguments.ForName("if")
	if arg == nil || arg.Value == nil {
		return false, false
	}
	v := arg.Value
	if v.Kind == ast.Variable {
		if x, given := vars[v.Raw]; given {
			b, ok := x.(bool)
			return b, ok
		}
		def := defs.ForName(v.Raw)
		if def == nil || def.DefaultValue == nil {
			return false, false
		}
		v = def.DefaultValue
	}
	if v.Kind != ast.BooleanValue {
		return false, false
	}
	return v.Raw == "true", true
}
