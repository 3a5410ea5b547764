package gateway

import (
	"fmt"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/lexer"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/ipack-gateway/ipack-gateway/config"
)

// What one request may cost before it is refused (docs/cost-bounds.md).
// graphql-go's parse and validation cost about 1 µs and 0.5 KB per token
// of the document, far more for each error they report (a "did you mean"
// compares the name with every candidate), and the gateway's own parse
// (gqlparser) about as much again; nothing in either bounds them. So a
// document is refused, at analysis and so once per text, when:
//   - it holds more than graphql.maxTokens tokens, counted on the token
//     stream before anything is parsed: 64 KiB of `[[]],` cost graphql-go
//     20 ms and 12 MB;
//   - a name is longer than maxNameLength: each suggestion graphql-go
//     makes for an unknown name costs its length times the candidates';
//   - gqlparser's validation (without suggestions) finds more errors than
//     an answer reports (maxRefusalErrors): 999 unknown fields, each
//     within every other limit, cost graphql-go 46 ms and 10 MB.
//
// Variables are bounded the same way: graphql.maxVariableValues, counted
// on the JSON text before it is decoded (jsonValues).

// maxNameLength bounds a name (of a field, alias, argument, type,
// directive, variable, fragment or operation) in bytes. The schema's
// longest is 51 bytes; operationName is bounded at 256 on its own.
const maxNameLength = 128

// vetter refuses, once per document text, the documents whose parse or
// validation would cost more than the bounds above. It is read only.
type vetter struct {
	maxTokens     int
	maxSelections int
	schema        *ast.Schema  // the gateway's schema, as gqlparser reads it
	rules         *rules.Rules // gqlparser's, without suggestions or overlap
}

// newVetter returns the vetter of cfg's bounds, for documents against
// schema.
func newVetter(cfg config.GraphQLConfig, schema *ast.Schema) *vetter {
	r := rules.NewDefaultRules()
	// Suggestions cost what they cost graphql-go; only the count matters
	// here, and only once it exceeds what is reported.
	r.ReplaceRule(rules.FieldsOnCorrectTypeRule.Name, rules.FieldsOnCorrectTypeRuleWithoutSuggestions.RuleFunc)
	r.ReplaceRule(rules.KnownArgumentNamesRule.Name, rules.KnownArgumentNamesRuleWithoutSuggestions.RuleFunc)
	r.ReplaceRule(rules.KnownTypeNamesRule.Name, rules.KnownTypeNamesRuleWithoutSuggestions.RuleFunc)
	r.ReplaceRule(rules.ScalarLeafsRule.Name, rules.ScalarLeafsRuleWithoutSuggestions.RuleFunc)
	r.ReplaceRule(rules.ValuesOfCorrectTypeRule.Name, rules.ValuesOfCorrectTypeRuleWithoutSuggestions.RuleFunc)
	// gqlparser compares every pair of fields of a response name, with no
	// bound: 999 "id"s are half a million pairs. graphql-go's overlap
	// validation, which has one (overlapPairLimit), stays the only one.
	r.RemoveRule(rules.OverlappingFieldsCanBeMergedRule.Name)
	return &vetter{maxTokens: cfg.MaxTokens, maxSelections: cfg.MaxSelections, schema: schema, rules: r}
}

// measure is measureDocument for an analyzer with a vetter: the document
// is refused first for its tokens and names, without parsing it, and after
// measuring for its count of errors.
func (a *analyzer) measure(query string) *docInfo {
	v := a.vet
	if v != nil {
		if d := v.screen(query); d != nil {
			return d
		}
	}
	d, doc := parseAndMeasure(query)
	if d.parseErr != "" || d.invalid != "" {
		return d // refused (admit)
	}
	if v != nil {
		if d.selections > v.maxSelections {
			return d // refused anyway (admit)
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

// screen reads query's tokens, up to one past maxTokens, and returns the
// refusal of a document with too many or with too long a name; nil when
// neither. Lexical errors are left to the parser.
func (v *vetter) screen(query string) *docInfo {
	lx := lexer.New(&ast.Source{Input: query})
	for n := 0; ; {
		tok, err := lx.ReadToken()
		if err != nil || tok.Kind == lexer.EOF {
			return nil
		}
		if tok.Kind == lexer.Comment {
			continue // as graphql-js's maxTokens: the canonical text drops them
		}
		if n++; n > v.maxTokens {
			return &docInfo{invalid: fmt.Sprintf("the document holds more than %d tokens; at most %d are allowed", v.maxTokens, v.maxTokens)}
		}
		if tok.Kind == lexer.Name && len(tok.Value) > maxNameLength {
			return &docInfo{
				parseErr:  fmt.Sprintf("syntax error: a name of %d bytes; at most %d are allowed", len(tok.Value), maxNameLength),
				parseLine: tok.Pos.Line, parseCol: tok.Pos.Column,
			}
		}
	}
}

// validate returns why a document is refused for its count of validation
// errors, or "". canon is the document's canonical text, which graphql-go
// executes; it parses (measureDocument parsed it) and is within maxTokens
// and maxSelections, which bound this second parse and the walk (each
// fragment is walked once per operation).
func (v *vetter) validate(canon string) string {
	doc, err := parser.ParseQuery(&ast.Source{Input: canon})
	if err != nil {
		return "" // measureDocument parsed it; graphql-go says what is wrong
	}
	errs := validator.ValidateWithRules(v.schema, doc, v.rules)
	if len(errs) <= maxRefusalErrors {
		return ""
	}
	return fmt.Sprintf("the document has %d errors, more than the %d an answer reports; the first: %s", len(errs), maxRefusalErrors, clip(errs[0].Message, maxEchoed))
}

// jsonValues counts the values of JSON text (every list item and object
// field, nested ones too, and the text's own value) in one pass, without
// decoding or allocating: a list of 21,000 empty lists, 64 KiB of
// variables, cost 2 MB to decode and 27 MB to check. It counts commas and
// non-empty lists and objects outside strings, and so is exact for valid
// JSON; for text that is not JSON it returns some count, and decoding
// refuses the text.
func jsonValues(b []byte) int {
	n := 1
	opened, inString, escaped := false, false, false
	for _, c := range b {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		}
		if opened && c != ']' && c != '}' {
			n++ // the first item of a non-empty list or object
		}
		opened = false
		switch c {
		case '"':
			inString = true
		case '[', '{':
			opened = true
		case ',':
			n++
		}
	}
	return n
}
