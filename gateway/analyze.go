package gateway

import (
	"errors"
	"fmt"
	"strings"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/lexer"
	"github.com/vektah/gqlparser/v2/parser"
)

// docInfo is what the HTTP layer must know of a query before executing it:
// its operations' types and names, and their size once fragments are
// expanded. Limits are checked on it, so a document it cannot describe
// (parseErr or invalid set) is refused: execution never sees a document
// the limits did not measure.
type docInfo struct {
	parsed bool // false when parseErr is set
	// parseErr says why the document is refused as a syntax error: gqlparser
	// could not parse it, or graphql-go might read it differently.
	parseErr  string
	parseLine int // where, when known (1-based; 0 when unknown)
	parseCol  int
	// invalid says why a parsed document cannot be measured: a fragment
	// that spreads itself, two operations of the same name.
	invalid    string
	operations []opInfo
	// selections is the sum over all operations (graphql-go validates them
	// all) of the selections each expands to.
	selections int
}

// opInfo measures one operation as it executes: fragment spreads expanded,
// and a fragment counted each time it is spread, so that a fragment
// fan-out is measured at its full size.
type opInfo struct {
	name     string
	mutation bool
	typ      string   // query, mutation or subscription
	fields   []string // distinct root field names, for logs and metrics
	// rootKeys maps each root field to its response keys, in document
	// order (see itemErrors).
	rootKeys map[string][]string
	vars     ast.VariableDefinitionList // what the request's variables must fit
	// rootFields, aliases and selections count fields (and, for
	// selections, fragment spreads and inline fragments too) at the root,
	// with an alias, and at every level; depth is the deepest field's
	// nesting, the root's fields being at depth 1.
	rootFields, aliases, selections, depth int
}

// operation returns the operation a request selects, as graphql-go will.
func (d *docInfo) operation(name string) (opInfo, bool) {
	if name == "" {
		if len(d.operations) == 1 {
			return d.operations[0], true
		}
		return opInfo{}, false
	}
	for _, op := range d.operations {
		if op.name == name {
			return op, true
		}
	}
	return opInfo{}, false
}

// definesVariableAt reports whether an operation of the document defines a
// variable at line and column.
func (d *docInfo) definesVariableAt(line, column int) bool {
	for _, op := range d.operations {
		for _, v := range op.vars {
			if v.Position != nil && v.Position.Line == line && v.Position.Column == column {
				return true
			}
		}
	}
	return false
}

// analyzer parses queries with gqlparser (graphql-go exposes no parsed
// document) and caches the result by query text: clients send the same few
// queries over and over.
type analyzer struct {
	cache *lru.Cache[string, *docInfo]
}

// maxCachedQuery bounds the text length that is cached, and so the cache's
// memory: 1024 entries of at most 8 KiB.
const maxCachedQuery = 8 << 10

// maxNesting bounds how deeply braces, brackets and parentheses may nest
// in a document. It is checked on tokens, before gqlparser's recursive
// descent (which has no bound of its own), so that a 64 KiB "{a{a{a…" costs
// no deep recursion. Selection sets deeper than graphql.maxDepth are
// refused anyway; this leaves room for nested input values.
const maxNesting = 64

// saturate bounds the counts of fragment expansion, which grow
// exponentially with a fan-out of spreads: any value at the cap is over
// every limit.
const saturate = 1 << 30

func newAnalyzer() *analyzer {
	c, _ := lru.New[string, *docInfo](1024) // fails only for a size ≤ 0
	return &analyzer{cache: c}
}

func (a *analyzer) analyze(query string) *docInfo {
	if d, ok := a.cache.Get(query); ok {
		return d
	}
	d := measureDocument(query)
	if len(query) <= maxCachedQuery {
		a.cache.Add(query, d)
	}
	return d
}

// measureDocument parses query and measures each of its operations.
func measureDocument(query string) *docInfo {
	d := &docInfo{}
	if msg, line, col := screen(query); msg != "" {
		d.parseErr, d.parseLine, d.parseCol = msg, line, col
		return d
	}
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		d.parseErr = "syntax error"
		var ge *gqlerror.Error
		if errors.As(err, &ge) {
			d.parseErr = "syntax error: " + clip(ge.Message, 160)
			if len(ge.Locations) > 0 {
				d.parseLine, d.parseCol = ge.Locations[0].Line, ge.Locations[0].Column
			}
		}
		return d
	}
	d.parsed = true
	m := &measurer{frags: map[string]*ast.FragmentDefinition{}, memo: map[string]size{}, state: map[string]uint8{}}
	for _, f := range doc.Fragments {
		m.frags[f.Name] = f
	}
	names := map[string]bool{}
	for _, op := range doc.Operations {
		if op.Name != "" {
			if names[op.Name] {
				d.invalid = fmt.Sprintf("there are two operations named %q", clip(op.Name, maxEchoed))
			}
			names[op.Name] = true
		}
		sz := m.set(op.SelectionSet)
		d.selections = min(d.selections+sz.selections, saturate)
		d.operations = append(d.operations, opInfo{
			name:       op.Name,
			mutation:   op.Operation == ast.Mutation,
			typ:        string(op.Operation),
			fields:     rootFieldNames(op.SelectionSet, m.frags),
			rootKeys:   rootKeys(op.SelectionSet, m.frags),
			vars:       op.VariableDefinitions,
			rootFields: sz.rootFields,
			aliases:    sz.aliases,
			selections: sz.selections,
			depth:      sz.depth,
		})
	}
	if m.cycle != "" {
		d.invalid = fmt.Sprintf("fragment %q spreads itself", clip(m.cycle, maxEchoed))
	}
	return d
}

// screen refuses, before parsing, what gqlparser and graphql-go could read
// differently, and what would make gqlparser recurse deeply. It returns ""
// when the document may be parsed.
//
// gqlparser and graphql-go's lexer (text/scanner) disagree on:
//   - names: graphql-go takes any Unicode letter, gqlparser ASCII only;
//     gqlparser refuses those documents, and the gateway with it.
//   - `\"""` in a block string, an escaped triple quote for gqlparser (and
//     the GraphQL specification) but the string's end for graphql-go, so
//     that what follows is a string for one and a selection for the other.
//     No client needs it; any document holding those four bytes is refused.
func screen(query string) (msg string, line, col int) {
	if i := strings.Index(query, `\"""`); i >= 0 {
		line, col = position(query, i)
		return `syntax error: \""" (an escaped triple quote) is not accepted`, line, col
	}
	lx := lexer.New(&ast.Source{Input: query})
	depth := 0
	for {
		tok, err := lx.ReadToken()
		if err != nil || tok.Kind == lexer.EOF {
			return "", 0, 0 // the parser reports lexical errors
		}
		switch tok.Kind {
		case lexer.BraceL, lexer.BracketL, lexer.ParenL:
			if depth++; depth > maxNesting {
				return fmt.Sprintf("syntax error: nested more than %d levels deep", maxNesting), tok.Pos.Line, tok.Pos.Column
			}
		case lexer.BraceR, lexer.BracketR, lexer.ParenR:
			depth--
		}
	}
}

// position returns the 1-based line and column (in runes) of byte offset i.
func position(s string, i int) (line, col int) {
	before := s[:i]
	line = strings.Count(before, "\n") + 1
	if nl := strings.LastIndexByte(before, '\n'); nl >= 0 {
		before = before[nl+1:]
	}
	return line, len([]rune(before)) + 1
}

// size is what a selection set expands to.
type size struct {
	rootFields, aliases, selections, depth int
}

func (s *size) add(o size) {
	s.rootFields = min(s.rootFields+o.rootFields, saturate)
	s.aliases = min(s.aliases+o.aliases, saturate)
	s.selections = min(s.selections+o.selections, saturate)
	s.depth = max(s.depth, o.depth)
}

// measurer sizes selection sets, expanding fragment spreads. A fragment's
// size is computed once and reused for each spread, so measuring is linear
// in the document's length whatever the expansion's size.
type measurer struct {
	frags map[string]*ast.FragmentDefinition
	memo  map[string]size
	state map[string]uint8 // 1 while a fragment is being measured, 2 after
	cycle string           // a fragment found to spread itself
}

func (m *measurer) set(set ast.SelectionSet) size {
	var out size
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			sub := m.set(s.SelectionSet)
			f := size{rootFields: 1, selections: 1, depth: 1 + sub.depth}
			if s.Alias != "" && s.Alias != s.Name {
				f.aliases = 1
			}
			f.aliases = min(f.aliases+sub.aliases, saturate)
			f.selections = min(f.selections+sub.selections, saturate)
			out.add(f)
		case *ast.InlineFragment:
			sub := m.set(s.SelectionSet)
			sub.selections = min(sub.selections+1, saturate)
			out.add(sub)
		case *ast.FragmentSpread:
			sub := m.fragment(s.Name)
			sub.selections = min(sub.selections+1, saturate)
			out.add(sub)
		}
	}
	return out
}

func (m *measurer) fragment(name string) size {
	f, ok := m.frags[name]
	if !ok {
		return size{} // graphql-go refuses the unknown fragment
	}
	switch m.state[name] {
	case 1:
		m.cycle = name
		return size{}
	case 2:
		return m.memo[name]
	}
	m.state[name] = 1
	sz := m.set(f.SelectionSet)
	m.state[name] = 2
	m.memo[name] = sz
	return sz
}
