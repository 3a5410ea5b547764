package query

import (
	"github.com/vektah/gqlparser/v2/ast"
)

// Item errors (package gateway's itemerrors.go) name the alias whose item
// failed. graphql-go v1.11 tells a resolver neither its alias nor its
// path, so the resolvers count the executions of a field
// (resolver.ItemError.Call), and the gateway maps the count to the
// response key: mutation fields execute one after the other, each response
// key once, at the place of its first selection that @skip and @include
// leave in, under the request's variables. The document is analyzed once
// per text (analyze.go), the variables differ per request, so a mutation
// keeps its root selections with their directives (rootSel), and
// ResponseKeys lists the keys that execute for one request's variables.

// rootSel is a selection at an operation's root: a field, or an inline
// fragment or fragment spread with the root selections it brings.
type rootSel struct {
	key, name string           // a field's response key and name; "" for a fragment
	when      []*ast.Directive // its @skip and @include; nil when none
	sels      []rootSel        // a fragment's selections (a spread's are shared)
}

// rootPlanner builds the root selections of a document's operations,
// each fragment's once.
type rootPlanner struct {
	frags map[string]*ast.FragmentDefinition
	memo  map[string][]rootSel
	busy  map[string]bool // fragments being planned: a cycle plans nothing
}

func newRootPlanner(frags map[string]*ast.FragmentDefinition) *rootPlanner {
	return &rootPlanner{frags: frags, memo: map[string][]rootSel{}, busy: map[string]bool{}}
}

// plan returns the root selections of set.
func (p *rootPlanner) plan(set ast.SelectionSet) []rootSel {
	out := make([]rootSel, 0, len(set))
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			key := s.Alias
			if key == "" {
				key = s.Name
			}
			out = append(out, rootSel{key: key, name: s.Name, when: conditions(s.Directives)})
		case *ast.InlineFragment:
			out = append(out, rootSel{when: conditions(s.Directives), sels: p.plan(s.SelectionSet)})
		case *ast.FragmentSpread:
			out = append(out, rootSel{when: conditions(s.Directives), sels: p.fragment(s.Name)})
		}
	}
	return out
}

func (p *rootPlanner) fragment(name string) []rootSel {
	if sels, ok := p.memo[name]; ok {
		return sels
	}
	f, ok := p.frags[name]
	if !ok || p.busy[name] {
		return nil // graphql-go refuses the document; so does the analyzer
	}
	p.busy[name] = true
	sels := p.plan(f.SelectionSet)
	p.busy[name] = false
	p.memo[name] = sels
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

// ResponseKeys maps each root field of the mutation that executes under
// vars, the request's variables, to its response keys, in the order they
// execute: each key once, at its first selection that @skip and @include
// leave in. A resolver's count of a field's executions indexes them. It is
// empty for other operations, whose fields report no item errors.
func (o *Operation) ResponseKeys(vars map[string]any) map[string][]string {
	return responseKeys(o.root, vars, o.vars)
}

// responseKeys maps each root field of plan that executes under vars to
// its response keys, in the order they execute: each key once, at its
// first selection that is not left out. defs give the defaults of
// variables vars lacks. Fragments are expanded as often as they are
// spread, which the limits bound: the operation was admitted with its
// selections counted the same way.
func responseKeys(plan []rootSel, vars map[string]any, defs ast.VariableDefinitionList) map[string][]string {
	keys := map[string][]string{}
	seen := map[string]bool{}
	var walk func([]rootSel)
	walk = func(sels []rootSel) {
		for _, s := range sels {
			if !included(s.when, vars, defs) {
				continue
			}
			if s.name == "" {
				walk(s.sels)
				continue
			}
			if !seen[s.key] {
				seen[s.key] = true
				keys[s.name] = append(keys[s.name], s.key)
			}
		}
	}
	walk(plan)
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
