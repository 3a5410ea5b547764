package gateway

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	graphql "github.com/graph-gophers/graphql-go"
	gqlerrors "github.com/graph-gophers/graphql-go/errors"
	"github.com/graph-gophers/graphql-go/introspection"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/ipack-gateway/ipack-gateway/config"
	"github.com/ipack-gateway/ipack-gateway/gateway/auth"
	"github.com/ipack-gateway/ipack-gateway/gateway/limits"
	"github.com/ipack-gateway/ipack-gateway/gateway/query"
	"github.com/ipack-gateway/ipack-gateway/gateway/telemetry"
	"github.com/ipack-gateway/ipack-gateway/schema"
)

// What graphql-go executes must be the document whose limits were checked,
// whatever the client's text: the gateway measures the canonical printing of
// the document (package query) and hands graphql-go that same text. These
// tests state the property from the outside, through the /graphql handler:
// agreeSDL is a small schema whose answers show graphql-go's reading of a
// document (every field resolves, s echoes its argument), and a graphql-go
// tracer records each field it executes, with its parent type and depth.
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
// Issue 17's two repros, in this schema's terms, are among them
// (checkedRepros).
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
	// Introspection that the gateway adapts for graphql-go (query's adapt.go).
	"{ __schema { description queryType { name } } n }",
	`{ __type(name: "T") { name isOneOf } a { n } }`,
	"{ __schema { directives { name isRepeatable } } }",
}

// checkedRepros are issue 17's documents: gqlparser and graphql-go end a
// block string followed by a run of quotes at different places, so that
// what one reads as a string the other reads as operations. With M as the
// operation, over GET, graphql-go executed a mutation the gateway had
// measured as a query's string; and a query of many root fields.
var checkedRepros = []string{
	`query Q{x:s(y:["""a"""""" """])} mutation M{m(x:"viaGET")} query R{z:s(y:["""""" "e"])}`,
	`query Q{x:s(y:["""a"""""" """])} query M{` + manyRootFields(40) + `} query R{z:s(y:["""""" "e"])}`,
}

func manyRootFields(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "f%d:n ", i)
	}
	return b.String()
}

// execRecorder is a graphql-go tracer that records what executes: the
// text graphql-go was given and each field it resolved.
type execRecorder struct {
	mu     sync.Mutex
	texts  []string
	fields []execField
}

type execField struct {
	parent, name string // the parent's type: Query, Mutation or T
	depth        int    // 1 at the root
}

type depthKey struct{}

func (r *execRecorder) TraceQuery(ctx context.Context, query, _ string, _ map[string]any, _ map[string]*introspection.Type) (context.Context, func([]*gqlerrors.QueryError)) {
	r.mu.Lock()
	r.texts = append(r.texts, query)
	r.mu.Unlock()
	return ctx, func([]*gqlerrors.QueryError) {}
}

func (r *execRecorder) TraceField(ctx context.Context, _, parent, name string, _ bool, _ map[string]any) (context.Context, func(*gqlerrors.QueryError)) {
	d, _ := ctx.Value(depthKey{}).(int)
	d++
	r.mu.Lock()
	r.fields = append(r.fields, execField{parent: parent, name: name, depth: d})
	r.mu.Unlock()
	return context.WithValue(ctx, depthKey{}, d), func(*gqlerrors.QueryError) {}
}

func (r *execRecorder) take() ([]string, []execField) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, f := r.texts, r.fields
	r.texts, r.fields = nil, nil
	return t, f
}

const checkedToken = "checked-token"

// newCheckedServer is the gateway's /graphql handler over agreeSDL, with
// the default limits, graphql-go's tracer recording what executes.
func newCheckedServer(t testing.TB) (*Server, *execRecorder) {
	t.Helper()
	yaml := fmt.Sprintf(`
platform: {baseURL: "http://127.0.0.1:1"}
clients: {requestsPerSecond: 0}
spaces:
  - guid: checked-space
    accountId: checked-account
    credentials: {username: u, password: p}
    clientTokens: ["sha256:%x"]
`, sha256.Sum256([]byte(checkedToken)))
	cfg, err := config.Parse([]byte(yaml), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	rec := &execRecorder{}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	opts := append(SchemaOptions(cfg), graphql.Tracer(rec), graphql.PanicHandler(PanicHandler(log)))
	sch := graphql.MustParseSchema(agreeSDL, &agreeRoot{}, opts...)
	// The gateway's analyzer, as compose builds it: the real SDL's
	// document limits over this schema.
	an, err := query.NewAnalyzer(cfg.GraphQL, sch, schema.SDL())
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewServer(cfg, Deps{Logger: log, Schema: sch, Analyzer: an, Observer: telemetry.NewObserver("test", nil),
		Limits: limits.Memory(cfg), Spaces: auth.NewSpaces(nil)})
	if err != nil {
		t.Fatal(err)
	}
	return s, rec
}

// checkExecuted sends query (with operationName, over GET or POST) to s's
// /graphql and fails t unless what graphql-go executed is what the
// gateway checked: the very text it measured, an operation of the type it
// measured (never a mutation over GET), no more root fields, aliases,
// fields or depth than it measured and its limits allow, and, where the
// answer has no error, exactly the answer gqlparser's reading of that text
// predicts.
//
// It reports whether graphql-go executed the request.
func checkExecuted(t *testing.T, s *Server, rec *execRecorder, query, opName string, get bool) (executed bool) {
	t.Helper()
	w, texts, fields := execute(s, rec, query, opName, get)
	if len(texts) == 0 {
		return false // refused before execution: nothing ran
	}
	method := map[bool]string{true: "GET", false: "POST"}[get]
	where := fmt.Sprintf("%s %q operationName %q", method, query, opName)
	return checkRun(t, s, where, method, query, opName, w, texts, fields)
}

// execute sends query to s's /graphql as the test space's client and
// returns the answer and what graphql-go executed.
func execute(s *Server, rec *execRecorder, query, opName string, get bool) (*httptest.ResponseRecorder, []string, []execField) {
	var req *http.Request
	if get {
		v := url.Values{"query": {query}}
		if opName != "" {
			v.Set("operationName", opName)
		}
		req = httptest.NewRequest(http.MethodGet, "/graphql?"+v.Encode(), nil)
	} else {
		body, _ := json.Marshal(map[string]string{"query": query, "operationName": opName})
		req = httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("SPACE_GUID", "checked-space")
	req.Header.Set("Authorization", "Bearer "+checkedToken)
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	texts, fields := rec.take()
	return w, texts, fields
}

func checkRun(t *testing.T, s *Server, where, method, text, opName string, w *httptest.ResponseRecorder, texts []string, fields []execField) bool {
	t.Helper()
	// The server's own analysis (cached): the canonical text, within the
	// cost bounds, adapted for graphql-go (package query) after it was
	// measured.
	d := s.analyzer.Analyze(text)
	if len(texts) != 1 || d.Text() == "" || texts[0] != d.Text() {
		t.Fatalf("%s: graphql-go was given %q; the gateway measured %q", where, texts, d.Text())
	}
	lim := s.cfg.GraphQL
	op, found := d.Operation(opName)
	if ref := query.Check(d, op, method, lim); ref != nil {
		t.Fatalf("%s: executed although refused: %s", where, ref.Err.Message)
	}
	if !found {
		// graphql-go may only answer with an error then (an unknown
		// operation): no field may have run.
		if len(fields) > 0 {
			t.Fatalf("%s: %d fields executed of an operation the document does not hold", where, len(fields))
		}
		return true
	}
	size := op.Size()
	wantRoot := map[string]string{"query": "Query", "mutation": "Mutation"}[op.Type()]
	roots, depth := 0, 0
	for _, f := range fields {
		depth = max(depth, f.depth)
		if f.depth != 1 {
			continue
		}
		roots++
		if f.parent != wantRoot && !(f.parent == "" && strings.HasPrefix(f.name, "__")) {
			// (graphql-go gives __schema and __type no parent type.)
			t.Fatalf("%s: executed %s.%s in an operation measured as a %s", where, f.parent, f.name, op.Type())
		}
		if method == http.MethodGet && f.parent == "Mutation" {
			t.Fatalf("%s: executed the mutation field %s over GET", where, f.name)
		}
	}
	if roots > size.RootFields || size.RootFields > lim.MaxRootFields {
		t.Fatalf("%s: executed %d root fields; measured %d, at most %d allowed", where, roots, size.RootFields, lim.MaxRootFields)
	}
	if depth > size.Depth || size.Depth > lim.MaxDepth {
		t.Fatalf("%s: executed fields %d deep; measured %d, at most %d allowed", where, depth, size.Depth, lim.MaxDepth)
	}
	// A field of a list's items executes once per item: count each field
	// of each parent type at each depth once.
	distinct := map[execField]bool{}
	for _, f := range fields {
		distinct[f] = true
	}
	if len(distinct) > size.Selections {
		t.Fatalf("%s: executed %d distinct fields; measured %d selections", where, len(distinct), size.Selections)
	}

	var resp struct {
		Data   json.RawMessage `json:"data"`
		Errors []any           `json:"errors"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
		t.Fatalf("%s: the answer is not JSON: %s", where, w.Body)
	}
	var data any
	_ = json.Unmarshal(resp.Data, &data)
	if a := aliasKeys(data); a > size.Aliases || size.Aliases > lim.MaxAliases {
		t.Fatalf("%s: the answer holds %d aliases; measured %d, at most %d allowed", where, a, size.Aliases, lim.MaxAliases)
	}
	if len(resp.Errors) > 0 {
		return true // a field failed, or graphql-go refused: its shape is graphql-go's
	}
	parsed, err := parser.ParseQuery(&ast.Source{Input: d.Text()})
	if err != nil {
		t.Fatalf("%s: the canonical text does not parse: %v", where, err)
	}
	// The operation graphql-go selected: the only one, or opName's.
	def := parsed.Operations[0]
	if opName != "" {
		def = parsed.Operations.ForName(opName)
	}
	root := "Query"
	if def.Operation == ast.Mutation {
		root = "Mutation"
	}
	p := predictor{frags: map[string]*ast.FragmentDefinition{}}
	for _, fr := range parsed.Fragments {
		p.frags[fr.Name] = fr
	}
	want, ok := p.object(def.SelectionSet, root, 0)
	if ok && !matches(want, data) {
		t.Fatalf("%s:\n graphql-go answered %s\n gqlparser predicts  %v", where, resp.Data, want)
	}
	return true
}

// aliasKeys counts the response keys of v that name no field of agreeSDL:
// aliases, at the least. The answers of introspection fields (__schema,
// __type) are not counted: their keys name the meta-schema's fields.
func aliasKeys(v any) int {
	n := 0
	switch x := v.(type) {
	case map[string]any:
		for k, sub := range x {
			switch k {
			case "a", "b", "s", "n", "m", "__typename":
			case "__schema", "__type":
				continue
			default:
				n++
			}
			n += aliasKeys(sub)
		}
	case []any:
		for _, sub := range x {
			n += aliasKeys(sub)
		}
	}
	return n
}

// FuzzExecutesWhatWasChecked: whatever the text, the operation name and
// the method, what graphql-go executes is what the gateway checked
// (checkExecuted).
func FuzzExecutesWhatWasChecked(f *testing.F) {
	for _, d := range append(agreeDocs, checkedRepros...) {
		for _, op := range []string{"", "M", "Q", "R"} {
			f.Add(d, op, false)
			f.Add(d, op, true)
		}
	}
	s, rec := newCheckedServer(f)
	f.Fuzz(func(t *testing.T, query, opName string, get bool) {
		if len(query) > 4096 || len(opName) > 64 {
			return
		}
		checkExecuted(t, s, rec, query, opName, get)
	})
}

// TestExecutesWhatWasChecked runs FuzzExecutesWhatWasChecked's seeds, and
// checks that issue 17's repros run nothing the gateway did not measure:
// no mutation over GET, no query of more root fields than the limit.
func TestExecutesWhatWasChecked(t *testing.T) {
	s, rec := newCheckedServer(t)
	executed := 0
	for _, d := range append(agreeDocs, checkedRepros...) {
		for _, op := range []string{"", "M", "Q", "R"} {
			for _, get := range []bool{false, true} {
				if checkExecuted(t, s, rec, d, op, get) {
					executed++
				}
			}
		}
	}
	// The check means something only if most seeds reach graphql-go:
	// about 30 documents parse, each executes with no operation name (or
	// its own), over POST, and over GET unless it is a mutation.
	if executed < 40 {
		t.Errorf("graphql-go executed %d of the seeds; want at least 40", executed)
	}
	for _, get := range []bool{false, true} {
		if _, _, fields := execute(s, rec, checkedRepros[0], "M", get); len(fields) > 0 {
			t.Errorf("repro 1 with operationName M, get=%v: %d fields executed, want none (M is inside a string for the gateway)", get, len(fields))
		}
	}
	if _, _, fields := execute(s, rec, checkedRepros[1], "M", false); len(fields) > 0 {
		t.Errorf("repro 2 with operationName M: %d fields executed, want none", len(fields))
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

// TestErrorLocationsAreTheClients: graphql-go reports locations in the
// canonical text it executes; the answer gives them where the client wrote
// the fields, also after a string that took more room in the canonical
// text, with the client's lines (query's TestCanonicalLocations maps the
// same places).
func TestErrorLocationsAreTheClients(t *testing.T) {
	// Line 1 of the canonical text is `{ s(x: "\u00E9\u00E9") nope`: nope
	// moves from column 14 to 24. Line 2 is `  s(x: "\u{01F600}") b }`:
	// b moves from 13 to 22.
	q := "{ s(x: \"éé\") nope\r\n  s(x: \"😀\") b }"
	s, rec := newCheckedServer(t)
	w, _, _ := execute(s, rec, q, "", false)
	type place struct{ Line, Column int }
	var resp struct {
		Errors []struct {
			Message   string
			Locations []place
		}
	}
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
		t.Fatalf("answer %s: %v", w.Body, err)
	}
	want := map[string][]place{
		`Cannot query field "nope"`:                   {{1, 14}},
		`Field "b" of type "T" must have a selection`: {{2, 13}},
		`Fields "s" conflict`:                         {{1, 3}, {2, 3}},
	}
	if len(resp.Errors) != len(want) {
		t.Fatalf("answer %s, want %d errors", w.Body, len(want))
	}
	for _, e := range resp.Errors {
		for prefix, locs := range want {
			if strings.HasPrefix(e.Message, prefix) && !slices.Equal(e.Locations, locs) {
				t.Errorf("%q located at %v, want %v (the client's text)", e.Message, e.Locations, locs)
			}
		}
	}
}
