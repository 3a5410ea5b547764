package gateway

import (
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// docInfo is what the HTTP layer must know of a query before executing it:
// its operations' types and names, and its size in root fields and aliases.
type docInfo struct {
	parsed     bool // false when the query does not parse; execution says why
	operations []opInfo
	aliases    int
}

type opInfo struct {
	name       string
	mutation   bool
	rootFields int
	typ        string   // query, mutation or subscription
	fields     []string // distinct root field names, for logs and metrics
	rootKeys   map[string][]string
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

// analyzer parses queries with gqlparser (graphql-go exposes no parsed
// document) and caches the result by query text: clients send the same few
// queries over and over.
type analyzer struct {
	cache *lru.Cache[string, *docInfo]
}

// maxCachedQuery bounds the text length that is cached, and so the cache's
// memory: 1024 entries of at most 8 KiB.
const maxCachedQuery = 8 << 10

func newAnalyzer() *analyzer {
	c, _ := lru.New[string, *docInfo](1024) // fails only for a size ≤ 0
	return &analyzer{cache: c}
}

func (a *analyzer) analyze(query string) *docInfo {
	if d, ok := a.cache.Get(query); ok {
		return d
	}
	d := &docInfo{}
	if doc, err := parser.ParseQuery(&ast.Source{Input: query}); err == nil {
		d.parsed = true
		frags := map[string]*ast.FragmentDefinition{}
		for _, f := range doc.Fragments {
			frags[f.Name] = f
			d.aliases += countAliases(f.SelectionSet)
		}
		for _, op := range doc.Operations {
			d.aliases += countAliases(op.SelectionSet)
			d.operations = append(d.operations, opInfo{
				name:       op.Name,
				mutation:   op.Operation == ast.Mutation,
				rootFields: countFields(op.SelectionSet, frags, map[string]bool{}),
				typ:        string(op.Operation),
				fields:     rootFieldNames(op.SelectionSet, frags),
				rootKeys:   rootKeys(op.SelectionSet, frags),
			})
		}
	}
	if len(query) <= maxCachedQuery {
		a.cache.Add(query, d)
	}
	return d
}

// countFields counts the fields a selection set selects at its own level,
// through fragments (each fragment once, so cycles end).
func countFields(set ast.SelectionSet, frags map[string]*ast.FragmentDefinition, seen map[string]bool) int {
	n := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			n++
		case *ast.InlineFragment:
			n += countFields(s.SelectionSet, frags, seen)
		case *ast.FragmentSpread:
			if f, ok := frags[s.Name]; ok && !seen[s.Name] {
				seen[s.Name] = true
				n += countFields(f.SelectionSet, frags, seen)
			}
		}
	}
	return n
}

// countAliases counts the aliased fields written in a selection set.
func countAliases(set ast.SelectionSet) int {
	n := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Alias != "" && s.Alias != s.Name {
				n++
			}
			n += countAliases(s.SelectionSet)
		case *ast.InlineFragment:
			n += countAliases(s.SelectionSet)
		}
	}
	return n
}
