package query

import (
	"fmt"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/ipack-gateway/ipack-gateway/config"
	"github.com/ipack-gateway/ipack-gateway/errcode"
)

// What one request may cost before it is refused (docs/cost-bounds.md).
// graphql-go's parse and validation cost about 1 µs and 0.5 KB per token
// of the document, far more for each error they report (a "did you mean"
// compares the name with every candidate), and the gateway's own parse
// (gqlparser) about as much again; nothing in either bounds them. So a
// document is refused, at analysis and so once per text, when:
//   - it holds more than graphql.maxTokens tokens, counted on the token
//     stream as it is put in canonical form, before anything is parsed:
//     64 KiB of `[[]],` cost graphql-go 20 ms and 12 MB;
//   - a name is longer than MaxNameLength: each suggestion graphql-go
//     makes for an unknown name costs its length times the candidates';
//   - gqlparser's validation (without suggestions) finds more errors than
//     an answer reports (MaxRefusalErrors): 999 unknown fields, each
//     within every other limit, cost graphql-go 46 ms and 10 MB.
//
// Variables are bounded the same way, by package gateway:
// graphql.maxVariableValues, counted on the JSON text before it is
// decoded.

// MaxNameLength bounds a name (of a field, alias, argument, type,
// directive, variable, fragment or operation) in bytes. The schema's
// longest is 51 bytes; operationName is bounded at 256 on its own.
const MaxNameLength = 128

// MaxRefusalErrors bounds the errors of a response to a request that never
// executed (parse and validation errors): one per bad field of a large
// document would answer kilobytes to every few bytes sent. A document with
// more validation errors than that is refused whole, before graphql-go
// pays for finding them.
const MaxRefusalErrors = 20

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
	// validation, which has one (package gateway's SchemaOptions), stays
	// the only one.
	r.RemoveRule(rules.OverlappingFieldsCanBeMergedRule.Name)
	return &vetter{maxTokens: cfg.MaxTokens, maxSelections: cfg.MaxSelections, schema: schema, rules: r}
}

// lexLimits are the bounds canonicalize checks on the token stream, before
// anything is parsed.
func (v *vetter) lexLimits() lexLimits {
	return lexLimits{tokens: v.maxTokens, nameLength: MaxNameLength}
}

// validate returns why a document is refused for its count of validation
// errors, or "". canon is the document's canonical text, which graphql-go
// executes; it parses (parseAndMeasure parsed it) and is within maxTokens
// and maxSelections, which bound this second parse and the walk (each
// fragment is walked once per operation).
func (v *vetter) validate(canon string) string {
	doc, err := parser.ParseQuery(&ast.Source{Input: canon})
	if err != nil {
		return "" // parseAndMeasure parsed it; graphql-go says what is wrong
	}
	errs := validator.ValidateWithRules(v.schema, doc, v.rules)
	if len(errs) <= MaxRefusalErrors {
		return ""
	}
	return fmt.Sprintf("the document has %d errors, more than the %d an answer reports; the first: %s", len(errs), MaxRefusalErrors, errcode.Clip(errs[0].Message, errcode.MaxEchoed))
}
