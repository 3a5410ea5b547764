package query

import (
	"errors"
	"fmt"
	"slices"

	graphql "github.com/graph-gophers/graphql-go"
	gqlerrors "github.com/graph-gophers/graphql-go/errors"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/ipack-gateway/ipack-gateway/config"
	"github.com/ipack-gateway/ipack-gateway/errcode"
)

// Document is what the gateway knows of a query document before executing
// it: its operations' types and names, and their size once fragments are
// expanded. Limits are checked on it (Check), so a document it cannot
// describe is refused; a document it describes is executed from Text, the
// very text it was measured on. A Document may be shared by the requests
// that send the same text: it is only read once made.
type Document struct {
	parsed bool // false when parseErr or a screen refusal is set
	// canon is the document in canonical form: what was measured, and what
	// graphql-go executes. Nil when the document does not lex or was
	// refused before it was written out.
	canon *canonicalDoc
	// parseErr says why the document is refused as a syntax error.
	parseErr  string
	parseLine int // where, when known (1-based; 0 when unknown)
	parseCol  int
	// invalid says why a document cannot be measured or executed: too
	// many tokens or errors, a fragment that spreads itself, two
	// operations of the same name, a reserved alias.
	invalid    string
	operations []Operation
	// selections is the sum over all operations (graphql-go validates them
	// all) of the selections each expands to.
	selections int
	// fill says the answer to the document has placeholders for Fill
	// (adapt.go).
	fill bool
}

// Operation returns the operation a request naming name selects, as
// graphql-go will select it, and true. When the document holds no such
// operation (or several, and name is ""), it returns an operation known
// only by name, for logs, and false: graphql-go then answers that the
// operation is missing, and nothing executes.
func (d *Document) Operation(name string) (*Operation, bool) {
	if name == "" {
		if len(d.operations) == 1 {
			return &d.operations[0], true
		}
	} else {
		for i := range d.operations {
			if d.operations[i].docName == name {
				return &d.operations[i], true
			}
		}
	}
	op := NamedOperation(name)
	return &op, false
}

// Text returns the document's canonical text: what the limits measured and
// what graphql-go is to execute, adapted for it (adapt.go). It is "" for a
// document refused before it was written out (Check refuses it).
func (d *Document) Text() string {
	if d.canon == nil {
		return ""
	}
	return d.canon.text
}

// NeedsFill reports whether graphql-go's answer to the document has
// placeholders for Fill: it asks for introspection fields graphql-go
// lacks (adapt.go).
func (d *Document) NeedsFill() bool { return d.fill }

// LocateErrors places errs, which graphql-go or the gateway found in Text,
// in the client's text. Locations that are no place of the client's
// document are dropped: graphql-go locates its check of a field of an
// input object in a variable's value at the field's line in the schema's
// text. The gateway checks the executed operation's variables itself
// (CheckVariables); graphql-go checks those of every operation of the
// document, so such errors still come for the others'.
func (d *Document) LocateErrors(errs []*gqlerrors.QueryError) {
	for _, e := range errs {
		if e.Rule != varsRule {
			continue
		}
		e.Locations = slices.DeleteFunc(e.Locations, func(l gqlerrors.Location) bool {
			return !d.definesVariableAt(l.Line, l.Column)
		})
	}
	d.canon.locateErrors(errs) // from the canonical text to the client's
}

// definesVariableAt reports whether an operation of the document defines a
// variable at line and column of its canonical text.
func (d *Document) definesVariableAt(line, column int) bool {
	for _, op := range d.operations {
		for _, v := range op.vars {
			if v.Position != nil && v.Position.Line == line && v.Position.Column == column {
				return true
			}
		}
	}
	return false
}

// Analyzer analyzes query documents for one schema and one set of limits:
// it puts each in canonical form (canonical.go), refuses what would cost
// too much to parse or validate (cost.go), parses and measures the rest
// with gqlparser (graphql-go exposes no parsed document), and adapts them
// for graphql-go (adapt.go). It caches the result by query text: clients
// send the same few queries over and over. It is safe for concurrent use.
type Analyzer struct {
	cache   *lru.Cache[string, *Document]
	vet     *vetter     // bounds what a document may cost (cost.go); nil: none
	adapter *adapter    // adapts documents for graphql-go (adapt.go); nil: executed as they are
	vars    *varChecker // coerces and checks variables (variables.go)
	gs      *graphql.Schema
}

// NewAnalyzer returns the Analyzer of documents executed by gs, within
// cfg's bounds. sdl is the schema gs was made from: gqlparser reads it
// for the validation of the cost bounds, the adaptation and the variables'
// types (graphql-go's schema cannot be printed back).
func NewAnalyzer(cfg config.GraphQLConfig, gs *graphql.Schema, sdl string) (*Analyzer, error) {
	vc, err := newVarChecker(sdl)
	if err != nil {
		return nil, err
	}
	a := newAnalyzer()
	a.vars = vc
	a.gs = gs
	a.vet = newVetter(cfg, vc.schema)
	a.adapter = newAdapter(gs, vc.schema)
	return a, nil
}

// maxCachedQuery bounds the text length that is cached, and so the cache's
// memory: 1024 entries of at most 8 KiB, and their canonical texts, at most
// CanonicalGrowth times that and usually the same string.
const maxCachedQuery = 8 << 10

// MaxNesting bounds how deeply braces, brackets and parentheses may nest
// in a document. It is checked on tokens (canonicalize), before gqlparser's
// recursive descent (which has no bound of its own), so that a 64 KiB
// "{a{a{a…" costs no deep recursion. Selection sets deeper than
// graphql.maxDepth are refused anyway; this leaves room for nested input
// values.
const MaxNesting = 64

// saturate bounds the counts of fragment expansion, which grow
// exponentially with a fan-out of spreads: any value at the cap is over
// every limit.
const saturate = 1 << 30

// newAnalyzer returns an Analyzer with an empty cache and no bounds,
// adaptation or variable checker.
func newAnalyzer() *Analyzer {
	c, _ := lru.New[string, *Document](1024) // fails only for a size ≤ 0
	return &Analyzer{cache: c}
}

// Analyze returns what the gateway knows of the document query, from the
// cache when it analyzed that text lately. The Document is shared: it is
// only read.
func (a *Analyzer) Analyze(query string) *Document {
	if d, ok := a.cache.Get(query); ok {
		return d
	}
	d := a.measure(query)
	if len(query) <= maxCachedQuery {
		a.cache.Add(query, d)
	}
	return d
}

// measure analyzes query: within the cost bounds (cost.go), measured, and
// adapted (adapt.go). The document is refused for its tokens and names as
// it is put in canonical form, before anything is parsed, and after
// measuring for its count of validation errors.
func (a *Analyzer) measure(query string) *Document {
	v := a.vet
	var lim lexLimits
	if v != nil {
		lim = v.lexLimits()
	}
	d, doc := parseAndMeasure(query, lim)
	if d.parseErr != "" || d.invalid != "" {
		return d // refused (Check)
	}
	if v != nil {
		if d.selections > v.maxSelections {
			return d // refused anyway (Check)
		}
		if msg := v.validate(d.canon.text); msg != "" {
			d.invalid = msg
			return d
		}
	}
	if a.adapter != nil {
		// After the measuring: the adaptation's placeholders add aliases
		// that are the gateway's, not the client's (adapt.go).
		a.adapter.apply(d, doc)
	}
	return d
}

// parseAndMeasure puts query in canonical form (canonical.go), within lim,
// parses that and measures each of its operations; it returns gqlparser's
// parse of the canonical text too (nil when it does not parse). The
// canonical text is what graphql-go will be given: the document measured
// is the one executed.
func parseAndMeasure(query string, lim lexLimits) (*Document, *ast.QueryDocument) {
	d := &Document{}
	canon, lerr := canonicalize(query, lim)
	if lerr != nil {
		if lerr.tooMany {
			d.invalid = lerr.msg
		} else {
			d.parseErr, d.parseLine, d.parseCol = lerr.msg, lerr.line, lerr.col
		}
		return d, nil
	}
	d.canon = canon
	doc, err := parser.ParseQuery(&ast.Source{Input: canon.text})
	if err != nil {
		d.parseErr = "Syntax Error."
		var ge *gqlerror.Error
		if errors.As(err, &ge) {
			d.parseErr = syntaxErrorMessage(errcode.Clip(ge.Message, 160))
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
				d.invalid = fmt.Sprintf("there are two operations named %q", errcode.Clip(op.Name, errcode.MaxEchoed))
			}
			names[op.Name] = true
		}
		var top topFields
		sz := m.set(op.SelectionSet, &top)
		d.selections = min(d.selections+sz.Selections, saturate)
		fields := top.names()
		var root []rootSel
		if op.Operation == ast.Mutation {
			if planner == nil {
				planner = newRootPlanner(m.frags)
			}
			root = planner.plan(op.SelectionSet)
		}
		d.operations = append(d.operations, Operation{
			name:    logName(op.Name, fields),
			docName: op.Name,
			typ:     string(op.Operation),
			fields:  fields,
			root:    root,
			vars:    op.VariableDefinitions,
			size:    sz,
		})
	}
	if m.cycle != "" {
		d.invalid = fmt.Sprintf("fragment %q spreads itself", errcode.Clip(m.cycle, errcode.MaxEchoed))
	}
	return d, doc
}

// add adds o, a selection set next to s, to s.
func (s *Size) add(o Size) {
	s.RootFields = min(s.RootFields+o.RootFields, saturate)
	s.Aliases = min(s.Aliases+o.Aliases, saturate)
	s.Selections = min(s.Selections+o.Selections, saturate)
	s.Depth = max(s.Depth, o.Depth)
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
	size Size
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
func (m *measurer) set(set ast.SelectionSet, top *topFields) Size {
	var out Size
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			sub := m.set(s.SelectionSet, nil)
			f := Size{RootFields: 1, Selections: 1, Depth: 1 + sub.Depth}
			key := s.Name
			if s.Alias != "" && s.Alias != s.Name {
				f.Aliases = 1
				key = s.Alias
			}
			f.Aliases = min(f.Aliases+sub.Aliases, saturate)
			f.Selections = min(f.Selections+sub.Selections, saturate)
			out.add(f)
			if top != nil {
				top.add(rootField{key: key, name: s.Name})
			}
		case *ast.InlineFragment:
			sub := m.set(s.SelectionSet, top)
			sub.Selections = min(sub.Selections+1, saturate)
			out.add(sub)
		case *ast.FragmentSpread:
			fs := m.fragment(s.Name)
			if top != nil {
				top.addFragment(s.Name, fs.top)
			}
			sub := fs.size
			sub.Selections = min(sub.Selections+1, saturate)
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
