package gateway

import (
	"errors"
	"fmt"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
)

// docInfo is what the HTTP layer must know of a query before executing it:
// its operations' types and names, and their size once fragments are
// expanded. Limits are checked on it, so a document it cannot describe
// (parseErr or invalid set) is refused; a document it describes is executed
// from canon, the very text it was measured on.
type docInfo struct {
	parsed bool // false when parseErr is set
	// canon is the document in canonical form: what was measured, and what
	// graphql-go executes. Nil when the document does not lex.
	canon *canonicalDoc
	// parseErr says why the document is refused as a syntax error.
	parseErr  string
	parseLine int // where, when known (1-based; 0 when unknown)
	parseCol  int
	// invalid says why a parsed document cannot be measured: a fragment
	// that spreads itself, two operations of the same name.
	invalid    string
	operations []operation
	// selections is the sum over all operations (graphql-go validates them
	// all) of the selections each expands to.
	selections int
	// fill says the answer to the document has placeholders for
	// fillAnswer (adapt.go).
	fill bool
}

// operation returns the operation a request selects, as graphql-go will.
func (d *docInfo) operation(name string) (*operation, bool) {
	if name == "" {
		if len(d.operations) == 1 {
			return &d.operations[0], true
		}
		return &noOperation, false
	}
	for i := range d.operations {
		if d.operations[i].docName == name {
			return &d.operations[i], true
		}
	}
	return &noOperation, false
}

// noOperation is what operation answers when the document has no such
// operation. Like a cached document's operations, it is only read.
var noOperation operation

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
// document), in their canonical form, and caches the result by query text:
// clients send the same few queries over and over.
type analyzer struct {
	cache   *lru.Cache[string, *docInfo]
	vet     *vetter  // bounds what a document may cost (cost.go); nil: none
	adapter *adapter // adapts documents for graphql-go (adapt.go); nil: executed as they are
}

// maxCachedQuery bounds the text length that is cached, and so the cache's
// memory: 1024 entries of at most 8 KiB, and their canonical texts, at most
// canonicalGrowth times that and usually the same string.
const maxCachedQuery = 8 << 10

// maxNesting bounds how deeply braces, brackets and parentheses may nest
// in a document. It is checked on tokens (canonicalize), before gqlparser's
// recursive descent (which has no bound of its own), so that a 64 KiB
// "{a{a{a…" costs no deep recursion. Selection sets deeper than graphql.maxDepth are
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
	d := a.measure(query) // within the cost bounds (cost.go), adapted (adapt.go)
	if len(query) <= maxCachedQuery {
		a.cache.Add(query, d)
	}
	return d
}

// measureDocument puts query in canonical form (canonical.go), parses that
// and measures each of its operations. The canonical text is what
// graphql-go will be given: the document measured is the one executed.
func measureDocument(query string) *docInfo {
	d, _ := parseAndMeasure(query)
	return d
}

// parseAndMeasure is measureDocument, and returns gqlparser's parse of the
// canonical text too (nil when it does not parse).
func parseAndMeasure(query string) (*docInfo, *ast.QueryDocument) {
	d := &docInfo{}
	canon, lerr := canonicalize(query)
	if lerr != nil {
		d.parseErr, d.parseLine, d.parseCol = lerr.msg, lerr.line, lerr.col
		return d, nil
	}
	d.canon = canon
	doc, err := parser.ParseQuery(&ast.Source{Input: canon.text})
	if err != nil {
		d.parseErr = "Syntax Error."
		var ge *gqlerror.Error
		if errors.As(err, &ge) {
			d.parseErr = syntaxErrorMessage(clip(ge.Message, 160))
			if len(ge.Locations) > 0 {
				d.parseLine, d.parseCol = canon.locate(ge.Locations[0].Line, ge.Locations[0].Column)
			}
		}
		return d, nil
	}
	d.parsed = true
	m := &measurer{frags: map[string]*ast.FragmentDefinition{}, memo: map[string]fragmentSize{}, state: map[string]uint8{}}
	for _, f := range doc.Fragments {
		m.frags[f.Name] = f
	}
	names := map[string]bool{}
	var planner *rootPlanner // for mutations only: see rootkeys.go
	for _, op := range doc.Operations {
		if op.Name != "" {
			if names[op.Name] {
				d.invalid = fmt.Sprintf("there are two operations named %q", clip(op.Name, maxEchoed))
			}
			names[op.Name] = true
		}
		var top topFields
		sz := m.set(op.SelectionSet, &top)
		d.selections = min(d.selections+sz.selections, saturate)
		fields := top.names()
		var root []rootSel
		if op.Operation == ast.Mutation {
			if planner == nil {
				planner = newRootPlanner(m.frags)
			}
			root = planner.plan(op.SelectionSet)
		}
		d.operations = append(d.operations, operation{
			name:       logName(op.Name, fields),
			docName:    op.Name,
			typ:        string(op.Operation),
			fields:     fields,
			root:       root,
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
	return d, doc
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

// measurer sizes selection sets, expanding fragment spreads, and collects
// the fields each operation selects at its root, in the same single walk. A
// fragment is measured once and its result reused for each spread, so
// measuring is linear in the document's length whatever the expansion's
// size.
type measurer struct {
	frags map[string]*ast.FragmentDefinition
	memo  map[string]fragmentSize
	state map[string]uint8 // 1 while a fragment is being measured, 2 after
	cycle string           // a fragment found to spread itself
}

// fragmentSize is what a fragment expands to, and the fields it selects at
// its own level (through the fragments it spreads there).
type fragmentSize struct {
	size size
	top  []rootField
}

// rootField is a field selected at a selection set's own level: its
// response key (alias, else name) and its name.
type rootField struct{ key, name string }

// topFields collects the fields a selection set selects at its own level,
// through inline fragments and fragment spreads: each (key, name) once, in
// document order, and each fragment's once.
type topFields struct {
	fields []rootField
	seen   map[rootField]bool
	frags  map[string]bool
}

func (t *topFields) add(f rootField) {
	if t.seen == nil {
		t.seen = map[rootField]bool{}
	}
	if !t.seen[f] {
		t.seen[f] = true
		t.fields = append(t.fields, f)
	}
}

func (t *topFields) addFragment(name string, fields []rootField) {
	if t.frags == nil {
		t.frags = map[string]bool{}
	}
	if t.frags[name] {
		return
	}
	t.frags[name] = true
	for _, f := range fields {
		t.add(f)
	}
}

// names returns the distinct field names, in document order.
func (t *topFields) names() []string {
	var names []string
	seen := map[string]bool{}
	for _, f := range t.fields {
		if !seen[f.name] {
			seen[f.name] = true
			names = append(names, f.name)
		}
	}
	return names
}

// set measures a selection set; top, when not nil, collects the fields it
// selects at its own level.
func (m *measurer) set(set ast.SelectionSet, top *topFields) size {
	var out size
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			sub := m.set(s.SelectionSet, nil)
			f := size{rootFields: 1, selections: 1, depth: 1 + sub.depth}
			key := s.Name
			if s.Alias != "" && s.Alias != s.Name {
				f.aliases = 1
				key = s.Alias
			}
			f.aliases = min(f.aliases+sub.aliases, saturate)
			f.selections = min(f.selections+sub.selections, saturate)
			out.add(f)
			if top != nil {
				top.add(rootField{key: key, name: s.Name})
			}
		case *ast.InlineFragment:
			sub := m.set(s.SelectionSet, top)
			sub.selections = min(sub.selections+1, saturate)
			out.add(sub)
		case *ast.FragmentSpread:
			fs := m.fragment(s.Name)
			if top != nil {
				top.addFragment(s.Name, fs.top)
			}
			sub := fs.size
			sub.selections = min(sub.selections+1, saturate)
			out.add(sub)
		}
	}
	return out
}

func (m *measurer) fragment(name string) fragmentSize {
	f, ok := m.frags[name]
	if !ok {
		return fragmentSize{} // graphql-go refuses the unknown fragment
	}
	switch m.state[name] {
	case 1:
		m.cycle = name
		return fragmentSize{}
	case 2:
		return m.memo[name]
	}
	m.state[name] = 1
	var top topFields
	fs := fragmentSize{size: m.set(f.SelectionSet, &top), top: top.fields}
	m.state[name] = 2
	m.memo[name] = fs
	return fs
}
