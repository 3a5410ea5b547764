package gateway

import (
	"context"
	"encoding/json"
	"testing"

	graphql "github.com/graph-gophers/graphql-go"
	"github.com/ipack-gateway/ipack-gateway/config"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// The two parsers must agree on every document the gateway admits: the
// limits are measured on gqlparser's reading, graphql-go executes its own.
// agreeSchema is a small schema whose answers show graphql-go's reading of
// a document (every field resolves, s echoes its argument), to compare
// with what gqlparser's reading predicts.
const agreeSDL = `schema { query: Query mutation: Mutation }
type Query { a: T b: T s(x: String, y: [String]): String n: Int }
type T { a: T b: T s(x: String, y: [String]): String n: Int }
type Mutation { m(x: String): String a: T }`

type agreeRoot struct{}
type agreeT struct{}
type agreeArgs struct {
	X *string
	Y *[]*string
}

func (*agreeRoot) A() *agreeT                      { return &agreeT{} }
func (*agreeRoot) B() *agreeT                      { return &agreeT{} }
func (*agreeRoot) S(a agreeArgs) *string           { return a.X }
func (*agreeRoot) N() *int32                       { n := int32(1); return &n }
func (*agreeRoot) M(a struct{ X *string }) *string { return a.X }
func (*agreeT) A() *agreeT                         { return &agreeT{} }
func (*agreeT) B() *agreeT                         { return &agreeT{} }
func (*agreeT) S(a agreeArgs) *string              { return a.X }
func (*agreeT) N() *int32                          { n := int32(1); return &n }

// agreeDocs are documents where parsers are known to differ, or could.
var agreeDocs = []string{
	"{ n a { n } }",
	"{ µ: n a0: n }",                     // non-ASCII name: graphql-go takes it, gqlparser does not
	"{ ...é } fragment é on Query { n }", // the same in a fragment name
	"query é { n }",
	"\ufeff{ n }",               // byte order mark at the start
	"{ n\ufeff a { n } }",       // and elsewhere
	"{ n\u00a0a { n } }",        // no-break space
	"{ n\u2028a { n } }",        // line separator
	"{ n\ra { n } }",            // lone CR
	"{ n # comment\r a { n } }", // a comment ends at CR
	"{ n # \" quote in a comment\n a { n } }",
	`{ s(x: "# not a comment") n }`,
	`{ s(x: "a\"b") n }`,
	`{ s(x: "\u00e9\u{1F600}\uD83D\uDE00") }`, // unicode escapes
	`{ s(x: "\x41") }`,                        // a Go escape, not GraphQL's
	`{ s(x: "\'") }`,
	`{ s(x: """block "" with quotes""") n }`,
	`{ s(x: """a \""" b""") }`, // escaped triple quote: the string's end for graphql-go
	`{ s(x: """\""" ) a { n } b: s(x: """) }`,
	`{ s(x: """a""""") }`,
	`{ s(x: """` + "\n  indented\n    block\n" + `""") }`,
	`{ s(x: "unterminated) }`,
	"{ s(x: \"line\nbreak\") }",
	`{ s(y: ["a", "b" "c"]) }`,
	`{ s(y: [[["deep"]]]) }`,
	"{ n,,, a,{,n,}, }",
	"{ n } # trailing comment",
	"query Q { n } query R { a { n } }",
	"{ ...F } fragment F on Query { ...G a { n } } fragment G on Query { b { ...H } } fragment H on T { n s(x: \"h\") }",
	"{ ...F } fragment F on Query { ...F }", // cycle
	"{ a { ... on T { n } ... { b { n } } } }",
	"{ n @skip(if: true) a @include(if: true) { n } }",
	"mutation { m(x: \"m\") a { n } }",
	"{ a { a { a { a { a { a { a { a { n } } } } } } } } }",
	"{ 0x1F: n }",
	"{ s(x: 1_000) }",
	"{ s(x: .5) }",
	"{ s(x: 1.) }",
	"{ s(x: -0) }",
	"{ n \x00 }",
	"{ s(x: \"\xff\") }",
	"{ n \\ }",
	"{ `raw` }",
	"subscription { n }",
	"{ n } fragment on on Query { n }",
	"query ($v: String = \"d\") { s(x: $v) }",
	"extend type Query { z: Int } { n }",
	`"description" query { n }`,
}

// FuzzParsersAgree: for every document the gateway admits (gqlparser
// parses it and screen passes it) that graphql-go executes, graphql-go's
// answer has exactly the shape gqlparser's reading predicts: the same
// fields under the same names, the same string arguments. So the limits,
// measured on gqlparser's reading, bound what executes.
func FuzzParsersAgree(f *testing.F) {
	for _, d := range agreeDocs {
		f.Add(d)
	}
	sch := graphql.MustParseSchema(agreeSDL, &agreeRoot{},
		graphql.MaxDepth(config.DefaultMaxDepth), graphql.MaxSelections(config.DefaultMaxSelections), graphql.OverlapValidationLimit(overlapPairLimit))
	f.Fuzz(func(t *testing.T, query string) {
		if len(query) > 4096 {
			return
		}
		d := measureDocument(query)
		if d.parseErr != "" || d.invalid != "" || d.selections > config.DefaultMaxSelections {
			return // refused before graphql-go sees it
		}
		resp := sch.Exec(context.Background(), query, "", nil)
		if len(resp.Errors) > 0 {
			return // graphql-go refused it, or a field failed and its shape is graphql-go's to choose
		}
		var got any
		if err := json.Unmarshal(resp.Data, &got); err != nil {
			t.Fatalf("%q: graphql-go answered %s", query, resp.Data)
		}
		doc, err := parser.ParseQuery(&ast.Source{Input: query})
		if err != nil || len(doc.Operations) != 1 {
			t.Fatalf("%q: graphql-go executed what gqlparser reads as %d operations (%v)", query, len(doc.Operations), err)
		}
		op := doc.Operations[0]
		root := "Query"
		if op.Operation == ast.Mutation {
			root = "Mutation"
		}
		p := predictor{frags: map[string]*ast.FragmentDefinition{}}
		for _, fr := range doc.Fragments {
			p.frags[fr.Name] = fr
		}
		want, ok := p.object(op.SelectionSet, root, 0)
		if !ok {
			return // directives or variables this oracle does not evaluate
		}
		if !matches(want, got) {
			t.Fatalf("%q:\n graphql-go answered %s\n gqlparser predicts  %v", query, resp.Data, want)
		}
	})
}

// TestParsersAgree runs FuzzParsersAgree's seeds and checks that the
// documents the parsers read differently are refused.
func TestParsersAgree(t *testing.T) {
	for _, q := range []string{
		"{ µ: n a0: n }",
		`{ s(x: """\""" ) a { n } b: s(x: """) }`,
		"query é { n }",
	} {
		if d := measureDocument(q); d.parseErr == "" {
			t.Errorf("measureDocument(%q) admitted it; want a parse error", q)
		}
	}
}

// predictor computes the answer graphql-go should give to a document, as
// gqlparser reads it, against agreeSDL.
type predictor struct {
	frags map[string]*ast.FragmentDefinition
}

// collect lists the fields set selects on type typ, by response name, in
// order, through fragments; ok is false when it meets a directive or a
// fragment it cannot evaluate.
func (p *predictor) collect(set ast.SelectionSet, typ string, into map[string][]*ast.Field, order *[]string, depth int) bool {
	if depth > 64 {
		return false
	}
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			include, ok := evalDirectives(s.Directives)
			if !ok {
				return false
			}
			if !include {
				continue
			}
			key := s.Alias
			if key == "" {
				key = s.Name
			}
			if _, seen := into[key]; !seen {
				*order = append(*order, key)
			}
			into[key] = append(into[key], s)
		case *ast.InlineFragment:
			include, ok := evalDirectives(s.Directives)
			if !ok || (s.TypeCondition != "" && s.TypeCondition != typ) {
				return false
			}
			if include && !p.collect(s.SelectionSet, typ, into, order, depth+1) {
				return false
			}
		case *ast.FragmentSpread:
			include, ok := evalDirectives(s.Directives)
			f := p.frags[s.Name]
			if !ok || f == nil || f.TypeCondition != typ {
				return false
			}
			if include && !p.collect(f.SelectionSet, typ, into, order, depth+1) {
				return false
			}
		}
	}
	return true
}

func (p *predictor) object(set ast.SelectionSet, typ string, depth int) (map[string]any, bool) {
	fields := map[string][]*ast.Field{}
	var order []string
	if !p.collect(set, typ, fields, &order, depth) {
		return nil, false
	}
	out := map[string]any{}
	for _, key := range order {
		f := fields[key][0]
		switch f.Name {
		case "__typename":
			out[key] = typ
		case "n":
			out[key] = float64(1)
		case "s", "m":
			v := f.Arguments.ForName("x")
			switch {
			case v == nil || v.Value.Kind == ast.NullValue:
				out[key] = nil
			case v.Value.Kind == ast.StringValue:
				out[key] = v.Value.Raw
			case v.Value.Kind == ast.BlockValue:
				// The parsers strip a block string's indentation
				// differently: its value is theirs, its extent is not.
				out[key] = anyString{}
			default:
				return nil, false // a variable, or a value graphql-go coerces
			}
		case "a", "b":
			var sub ast.SelectionSet
			for _, ff := range fields[key] {
				sub = append(sub, ff.SelectionSet...)
			}
			o, ok := p.object(sub, "T", depth+1)
			if !ok {
				return nil, false
			}
			out[key] = o
		default:
			return nil, false
		}
	}
	return out, true
}

// evalDirectives evaluates @skip and @include with literal arguments.
func evalDirectives(ds ast.DirectiveList) (include, ok bool) {
	include = true
	for _, d := range ds {
		arg := d.Arguments.ForName("if")
		if arg == nil || arg.Value.Kind != ast.BooleanValue {
			return false, false
		}
		v := arg.Value.Raw == "true"
		switch d.Name {
		case "skip":
			include = include && !v
		case "include":
			include = include && v
		default:
			return false, false
		}
	}
	return include, true
}

// anyString in a prediction matches any string.
type anyString struct{}

// matches reports whether graphql-go's answer got is the predicted want.
func matches(want, got any) bool {
	switch w := want.(type) {
	case anyString:
		_, ok := got.(string)
		return ok
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for k, v := range w {
			gv, ok := g[k]
			if !ok || !matches(v, gv) {
				return false
			}
		}
		return true
	}
	return want == got
}
