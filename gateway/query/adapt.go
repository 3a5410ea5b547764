package query

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	graphql "github.com/graph-gophers/graphql-go"
	gqlgoast "github.com/graph-gophers/graphql-go/ast"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator"
)

// The adaptation of a client's document to what graphql-go v1.11 executes
// (docs/vendor-differences.md, "Introspection" and "Types and names"). It
// is one step with one boundary: adapt takes the canonical text the limits
// measured (canonical.go) and gqlparser's parse of it, and returns the text
// graphql-go is to execute and whether the answer needs filling in;
// Analyzer.Fill then completes graphql-go's answer. The Analyzer's measure
// (analyze.go) calls it after measuring: the placeholders add aliases.
//
//  1. Introspection. graphql-go v1.11's meta-schema lacks
//     __Schema.description, __Type.isOneOf and __Directive.isRepeatable
//     (internal/schema/meta.go), which current graphql-js's
//     getIntrospectionQuery selects with its schemaDescription, oneOf and
//     directiveIsRepeatable options, and __Directive.isDeprecated,
//     deprecationReason and __Schema.directives(includeDeprecated:) of its
//     experimentalDirectiveDeprecation option. Each such field becomes a
//     field graphql-go answers, under a reserved alias that says what to
//     put in its place (__Type.name for isOneOf, __Directive.name for
//     isRepeatable, __typename for the constants), and fillAnswer writes
//     the value there, from the schema graphql-go serves. The argument
//     includeDeprecated of directives is dropped when it is a literal: no
//     directive is deprecated. Only the fields graphql-go lacks are
//     rewritten (newAdapter asks its schema), so a graphql-go that has
//     them turns the rewrite off.
//  2. Variable types. Where the vendor's pages give a field two types
//     (ID and String) or the gateway renamed an input type to the vendor's
//     name, a variable declared with the other spelling is re-declared
//     with the schema's type, when that makes it fit every place it is
//     used: String for ID where the pages write both (stringForID; every
//     String value is an ID value), and the gateway's former names
//     ExecutionHistoryInput and SpaceAccountCriteria for
//     executionHistoryInput and Criteria.
//
// gqlparser's validator annotates each field with the type it is selected
// on and each variable use with the type expected there; its meta-schema
// (its prelude) has the fields graphql-go's lacks.

// fillPrefix starts the aliases adapt gives its placeholders:
// "__gw_<kind>__<response key>". A client's document may not use it.
const fillPrefix = "__gw_"

// Kinds of placeholder, and what fillAnswer puts in their place.
const (
	fillOneOf       = "oneOf"       // __Type.isOneOf, from the type's name
	fillRepeatable  = "repeatable"  // __Directive.isRepeatable, from its name
	fillDescription = "description" // __Schema.description
	fillFalse       = "false"       // __Directive.isDeprecated
	fillNull        = "null"        // __Directive.deprecationReason
)

// metaField is an introspection field graphql-go may lack: the kind of
// placeholder that stands for it, and the field graphql-go answers in its
// place.
type metaField struct {
	kind, source string
}

// metaFields are the fields of graphql-js's introspection options, by the
// type they are selected on.
var metaFields = map[string]map[string]metaField{
	"__Schema": {
		"description": {fillDescription, "__typename"},
	},
	"__Type": {
		"isOneOf": {fillOneOf, "name"},
	},
	"__Directive": {
		"isRepeatable":      {fillRepeatable, "name"},
		"isDeprecated":      {fillFalse, "__typename"},
		"deprecationReason": {fillNull, "__typename"},
	},
}

// declaredAs are the spellings a variable's declared type may use for the
// schema's type of the places it is used: declared name → schema name.
// String stands for ID only where the vendor's pages write String for an
// ID (stringForID); the gateway's former type names anywhere, since no
// type has them any more.
var declaredAs = map[string]string{
	"String":                "ID",
	"ExecutionHistoryInput": "executionHistoryInput",
	"SpaceAccountCriteria":  "Criteria",
}

// stringForID are the places, input type and field, whose ID the vendor's
// pages also write as String: the extendedMappersUpdate page's
// envExtensionId: "String!", and the attach page's field table (String)
// for environmentIds. A variable used in a list's items there counts too.
var stringForID = map[string]bool{
	"ExtensionInput.envExtensionId":                            true,
	"IntegrationPackEnvironmentAttachmentInput.environmentIds": true,
}

// adapter adapts documents to one schema. It is safe for concurrent use.
type adapter struct {
	gs      *graphql.Schema                 // what executes
	schema  *ast.Schema                     // gqlparser's, of graphql-go's SDL
	missing map[string]map[string]metaField // metaFields graphql-go lacks
	// directivesArgs: graphql-go's __Schema.directives takes arguments.
	directivesArgs bool

	oneOf       map[string]bool // input object types, true for @oneOf ones
	repeatable  map[string]bool // directives, true for repeatable ones
	description []byte          // the schema's description, as JSON
}

// newAdapter returns the adapter of gs, whose schema sdl is, as gqlparser
// loaded it.
func newAdapter(gs *graphql.Schema, sdl *ast.Schema) *adapter {
	meta := gs.AST()
	a := &adapter{gs: gs, schema: sdl, missing: map[string]map[string]metaField{}, oneOf: map[string]bool{}, repeatable: map[string]bool{}}
	for typ, fields := range metaFields {
		for name, mf := range fields {
			if !hasField(meta, typ, name) {
				if a.missing[typ] == nil {
					a.missing[typ] = map[string]metaField{}
				}
				a.missing[typ][name] = mf
			}
		}
	}
	if f := field(meta, "__Schema", "directives"); f != nil {
		a.directivesArgs = len(f.Arguments) > 0
	}
	for name, t := range meta.Types {
		if in, ok := t.(*gqlgoast.InputObject); ok {
			a.oneOf[name] = in.Directives.Get("oneOf") != nil
		}
	}
	for name, d := range meta.Directives {
		a.repeatable[name] = d.Repeatable
	}
	a.description = []byte("null")
	if sdl.Description != "" {
		a.description, _ = json.Marshal(sdl.Description)
	}
	return a
}

// errReservedAlias refuses a document that uses fillPrefix itself.
var errReservedAlias = errors.New("aliases beginning with " + fillPrefix + " are reserved")

// edit replaces text[start:end] with repl.
type edit struct {
	start, end int
	repl       string
}

// adapt rewrites doc, parsed from text, in place (see the top of this
// file), and returns text with the same changes: what graphql-go is to
// execute ("" when nothing changed); fill says the answer has placeholders
// for fillAnswer. text is canonical (canonical.go): ASCII, with only spaces
// and line feeds between tokens, so gqlparser's rune offsets are byte
// offsets. Every change keeps the positions of the tokens around it but
// the placeholders' aliases, which move what follows them on their line.
// It fails only for a document that uses the reserved alias prefix.
func (a *adapter) adapt(doc *ast.QueryDocument, text string) (string, bool, error) {
	var edits []edit
	var fill, reserved bool
	uses := map[*ast.VariableDefinition][]use{}
	// The walk meets a fragment's fields once per operation that spreads
	// it, and once more on its own.
	rewritten := map[*ast.Field]bool{}
	var events validator.Events
	events.OnField(func(_ *validator.Walker, f *ast.Field) {
		if rewritten[f] || f.ObjectDefinition == nil || f.Position == nil {
			return
		}
		rewritten[f] = true
		if strings.HasPrefix(f.Alias, fillPrefix) {
			reserved = true
			return
		}
		typ := f.ObjectDefinition.Name
		end, ok := fieldEnd(text, f.Position.Start, f.Alias, f.Name)
		if !ok {
			return // not where the parse said: left as it is
		}
		if mf, ok := a.missing[typ][f.Name]; ok {
			alias := fillPrefix + mf.kind + "__" + f.Alias
			edits = append(edits, edit{f.Position.Start, end, alias + ": " + mf.source})
			f.Alias, f.Name = alias, mf.source
			fill = true
			return
		}
		if typ == "__Schema" && f.Name == "directives" && !a.directivesArgs {
			// No directive is deprecated: includeDeprecated changes
			// nothing. A variable there is left to graphql-go to refuse,
			// since dropping its only use would make it unused.
			arg := f.Arguments.ForName("includeDeprecated")
			if arg == nil || len(f.Arguments) != 1 || arg.Value.Kind != ast.BooleanValue {
				return
			}
			open := skipSpace(text, end)
			if open < len(text) && text[open] == '(' {
				if n := strings.IndexByte(text[open:], ')'); n > 0 {
					edits = append(edits, edit{open, open + n + 1, strings.Repeat(" ", n+1)})
					f.Arguments = nil
				}
			}
		}
	})
	// Where each variable is used, and what is expected there. Values are
	// seen from the field or directive they are arguments of, so that an
	// input object's field is known by name. A fragment walked on its own
	// (no operation) is walked within each operation that spreads it too.
	var usesIn func(v *ast.Value, at string)
	usesIn = func(v *ast.Value, at string) {
		switch v.Kind {
		case ast.Variable:
			if v.VariableDefinition != nil && v.ExpectedType != nil {
				uses[v.VariableDefinition] = append(uses[v.VariableDefinition], use{v.ExpectedType, v.ExpectedTypeHasDefault, at})
			}
		case ast.ListValue:
			for _, c := range v.Children {
				usesIn(c.Value, at)
			}
		case ast.ObjectValue:
			for _, c := range v.Children {
				if v.Definition != nil {
					usesIn(c.Value, v.Definition.Name+"."+c.Name)
				}
			}
		}
	}
	events.OnField(func(w *validator.Walker, f *ast.Field) {
		if w.CurrentOperation == nil || f.ObjectDefinition == nil {
			return
		}
		for _, arg := range f.Arguments {
			usesIn(arg.Value, f.ObjectDefinition.Name+"."+f.Name+"("+arg.Name+")")
		}
	})
	events.OnDirective(func(w *validator.Walker, d *ast.Directive) {
		if w.CurrentOperation == nil {
			return
		}
		for _, arg := range d.Arguments {
			usesIn(arg.Value, "@"+d.Name+"("+arg.Name+")")
		}
	})
	validator.Walk(a.schema, doc, &events)
	if reserved {
		return "", false, errReservedAlias
	}
	for def, us := range uses {
		t := redeclared(def, us)
		if t == nil {
			continue
		}
		// The named type's token, in the innermost list: the new name is
		// never longer, and is padded to the old one's length.
		old, named := def.Type, t
		for old.Elem != nil {
			old, named = old.Elem, named.Elem
		}
		at := old.Position
		if at == nil || at.Start+len(old.NamedType) > len(text) || text[at.Start:at.Start+len(old.NamedType)] != old.NamedType || len(named.NamedType) > len(old.NamedType) {
			continue
		}
		edits = append(edits, edit{at.Start, at.Start + len(old.NamedType), named.NamedType + strings.Repeat(" ", len(old.NamedType)-len(named.NamedType))})
		def.Type = t
	}
	if len(edits) == 0 {
		return "", false, nil
	}
	slices.SortFunc(edits, func(x, y edit) int { return y.start - x.start })
	var b strings.Builder
	b.Grow(len(text) + 32*len(edits))
	last := len(text)
	out := make([]string, 0, 2*len(edits)+1)
	for _, e := range edits {
		out = append(out, text[e.end:last], e.repl)
		last = e.start
	}
	out = append(out, text[:last])
	for i := len(out) - 1; i >= 0; i-- {
		b.WriteString(out[i])
	}
	return b.String(), fill, nil
}

// fieldEnd returns where the field whose first token (its alias, or its
// name when it has none) starts at start ends in text: after its name.
func fieldEnd(text string, start int, alias, name string) (int, bool) {
	if start < 0 || start+len(alias) > len(text) || text[start:start+len(alias)] != alias {
		return 0, false
	}
	end := start + len(alias)
	if colon := skipSpace(text, end); colon < len(text) && text[colon] == ':' {
		n := skipSpace(text, colon+1)
		if n+len(name) > len(text) || text[n:n+len(name)] != name {
			return 0, false
		}
		return n + len(name), true
	}
	return end, alias == name
}

// skipSpace returns the index of the first byte of text at or after i
// that is not a space or a line feed: a canonical text has no other space
// between tokens.
func skipSpace(text string, i int) int {
	for i < len(text) && (text[i] == ' ' || text[i] == '\n') {
		i++
	}
	return i
}

// use is a place a variable is used: the type expected there, whether
// that place has a default value, and the place ("Type.field" for an
// input object's field).
type use struct {
	expected   *ast.Type
	hasDefault bool
	at         string
}

// redeclared returns the type def should be declared with to fit every
// use (declaredAs), or nil when it fits them already or no spelling fits.
func redeclared(def *ast.VariableDefinition, us []use) *ast.Type {
	fits := func(t *ast.Type) bool {
		for _, u := range us {
			if !usable(t, u.expected, def.DefaultValue != nil && def.DefaultValue.Kind != ast.NullValue, u.hasDefault) {
				return false
			}
		}
		return true
	}
	if fits(def.Type) {
		return nil
	}
	declared := def.Type.Name()
	target := ""
	for _, u := range us {
		want := u.expected.Name()
		if want == declared {
			continue
		}
		if declaredAs[declared] != want || (target != "" && target != want) || declared == "String" && !stringForID[u.at] {
			return nil
		}
		target = want
	}
	if target == "" {
		return nil
	}
	t := renamed(def.Type, target)
	if !fits(t) {
		return nil
	}
	return t
}

// renamed is a copy of t whose named type is name.
func renamed(t *ast.Type, name string) *ast.Type {
	c := *t
	if t.Elem != nil {
		c.Elem = renamed(t.Elem, name)
	} else {
		c.NamedType = name
	}
	return &c
}

// usable reports whether a variable of type v may be used where loc is
// expected, as the GraphQL specification's "All Variable Usages Are
// Allowed" says: a nullable variable may go where a non-null one is
// expected only if it, or the place, has a non-null default.
func usable(v, loc *ast.Type, varDefault, locDefault bool) bool {
	if loc.NonNull && !v.NonNull {
		if !varDefault && !locDefault {
			return false
		}
		l := *loc
		l.NonNull = false
		loc = &l
	}
	return subtype(v, loc)
}

// subtype reports whether a value of type v is always one of type l.
func subtype(v, l *ast.Type) bool {
	if l.NonNull && !v.NonNull {
		return false
	}
	if (v.Elem == nil) != (l.Elem == nil) {
		return false
	}
	if v.Elem != nil {
		return subtype(v.Elem, l.Elem)
	}
	return v.NamedType == l.NamedType
}

// field returns field name of object type typ of graphql-go's schema
// (its meta-types included), or nil.
func field(s *gqlgoast.Schema, typ, name string) *gqlgoast.FieldDefinition {
	if t, ok := s.Types[typ].(*gqlgoast.ObjectTypeDefinition); ok {
		return t.Fields.Get(name)
	}
	return nil
}

// hasField reports whether object type typ of graphql-go's schema has
// field name.
func hasField(s *gqlgoast.Schema, typ, name string) bool { return field(s, typ, name) != nil }

// apply adapts doc, which d describes, parsed from d.canon.text: the
// adapted text replaces it (what graphql-go executes), and d.fill says the
// answer needs filling in.
func (a *adapter) apply(d *Document, doc *ast.QueryDocument) {
	text, fill, err := a.adapt(doc, d.canon.text)
	if err != nil {
		d.invalid = err.Error()
		return
	}
	if text != "" {
		c := *d.canon
		c.text = text
		d.canon = &c
	}
	d.fill = fill
}

// Fill completes graphql-go's answer to a document that NeedsFill: it
// writes in resp.Data the values of the introspection fields graphql-go
// lacks, in place of the placeholders the document was adapted with. It
// cannot fail on graphql-go's JSON; if it did, resp would keep its
// placeholders and Fill returns why.
func (a *Analyzer) Fill(resp *graphql.Response) error {
	if len(resp.Data) == 0 || a.adapter == nil {
		return nil
	}
	data, err := a.adapter.fillAnswer(resp.Data)
	if err != nil {
		return err
	}
	resp.Data = data
	return nil
}

// fillAnswer replaces the placeholders of an adapted document's answer by
// their values (see the top of this file), keeping every other byte. It
// reads graphql-go's compact JSON ("key":value, no spaces) with a scan of
// its strings: a string that begins with the reserved prefix and is
// followed by a colon is a placeholder's key (a client cannot choose such
// an alias, and no value is followed by a colon). Measured in
// BenchmarkAdapt: a byte scan, where a json.Decoder took 25 times longer.
func (a *adapter) fillAnswer(data []byte) ([]byte, error) {
	var out []byte // made at the first placeholder
	done := 0      // data before this is in out
	for i := 0; i < len(data); i++ {
		if data[i] != '"' {
			continue
		}
		end := stringEnd(data, i)
		if end < 0 {
			return nil, errors.New("filling the answer: a string does not end")
		}
		if end >= len(data) || data[end] != ':' || !bytes.HasPrefix(data[i+1:], []byte(fillPrefix)) {
			i = end - 1
			continue
		}
		kind, key, _ := placeholder(string(data[i+1 : end-1]))
		v := end + 1
		var val json.Token
		var vend int
		switch {
		case bytes.HasPrefix(data[v:], []byte("null")):
			vend = v + 4
		case v < len(data) && data[v] == '"':
			if vend = stringEnd(data, v); vend < 0 {
				return nil, errors.New("filling the answer: a string does not end")
			}
			var name string
			if err := json.Unmarshal(data[v:vend], &name); err != nil {
				return nil, fmt.Errorf("filling the answer: %w", err)
			}
			val = name
		default:
			return nil, fmt.Errorf("filling the answer: placeholder %q has no name or null", key)
		}
		if out == nil {
			out = make([]byte, 0, len(data))
		}
		out = append(out, data[done:i]...)
		out = append(out, '"')
		out = append(out, key...) // a GraphQL name: nothing to escape
		out = append(out, '"', ':')
		out = append(out, a.fillValue(kind, val)...)
		done = vend
		i = vend - 1
	}
	if out == nil {
		return data, nil
	}
	return append(out, data[done:]...), nil
}

// stringEnd returns the index just past the JSON string that opens at
// data[i], or -1 when it does not end.
func stringEnd(data []byte, i int) int {
	for j := i + 1; j < len(data); j++ {
		switch data[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}

// placeholder splits a placeholder's key into its kind and the response
// key it stands for.
func placeholder(key string) (kind, real string, ok bool) {
	rest, ok := strings.CutPrefix(key, fillPrefix)
	if !ok {
		return "", "", false
	}
	return strings.Cut(rest, "__")
}

// fillValue is the JSON of a placeholder of kind whose source answered
// val.
func (a *adapter) fillValue(kind string, val json.Token) []byte {
	name, _ := val.(string)
	switch kind {
	case fillOneOf:
		if oneOf, ok := a.oneOf[name]; ok {
			return []byte(fmt.Sprint(oneOf))
		}
		return []byte("null") // not an input object, or a wrapping type
	case fillRepeatable:
		return []byte(fmt.Sprint(a.repeatable[name]))
	case fillDescription:
		return a.description
	case fillFalse:
		return []byte("false")
	}
	return []byte("null")
}
