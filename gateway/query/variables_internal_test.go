package query

import (
	"reflect"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/ipack-gateway/ipack-gateway/schema"
)

// TestVarCheckerCoerces: the values each scalar, list and input type takes
// from JSON, as coerced for graphql-go, and the GraphQL-worded refusal of
// those it does not take.
func TestVarCheckerCoerces(t *testing.T) {
	c, err := newVarChecker(schema.SDL())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		typ     string // the variable's declared type
		value   any    // as encoding/json decodes it
		want    any    // the value after coercion, when accepted
		wantErr string // a part of the refusal's message
	}{
		{"ID!", "abc", "abc", ""},
		{"ID!", float64(123), "123", ""},
		{"ID!", float64(-7), "-7", ""},
		{"ID!", float64(1e3), "1000", ""},
		{"ID!", float64(1 << 53), "9007199254740992", ""},
		{"ID!", float64(1<<53 + 2), nil, "integer past 2^53"},
		{"ID!", 1.5, nil, "got invalid value 1.5; ID cannot represent a non-string, non-integer value."},
		{"ID!", true, nil, "got invalid value true; ID cannot"},
		{"[ID!]", []any{float64(1), "a"}, []any{"1", "a"}, ""},
		{"[ID!]", float64(7), "7", ""}, // a single item for a list
		{"[ID!]!", []any{"a", nil}, nil, `got invalid value null at "v[1]"; Expected non-nullable type "ID!" not to be null.`},
		{"Int", float64(3), float64(3), ""},
		{"Int", 1.5, nil, "Int cannot represent non-integer value."},
		{"Int", float64(3e9), nil, "Int cannot represent non 32-bit signed integer value."},
		{"Int", "3", nil, `got invalid value "3"; Int cannot`},
		{"Float", "x", nil, "Float cannot represent non-numeric value."},
		{"Boolean", float64(1), nil, "Boolean cannot represent a non-boolean value."},
		{"String", float64(5), nil, "String cannot represent a non-string value."},
		{"DateTime", float64(5), nil, "DateTime cannot represent a non-string value."},
		{"Operator", "CONTAINS", "CONTAINS", ""},
		{"Operator", "NOPE", nil, `Value "NOPE" does not exist in "Operator" enum.`},
		{"Criteria", map[string]any{"operator": "CONTAINS", "argument": "a"}, map[string]any{"operator": "CONTAINS", "argument": "a"}, ""},
		{"Criteria", map[string]any{"operator": "CONTAINS", "argument": "a", "x": 1}, nil, `Field "x" is not defined by type "Criteria".`},
		{"Criteria", map[string]any{"operator": "CONTAINS"}, nil, `Field "argument" of required type "String!" was not provided.`},
		{"Criteria", "CONTAINS", nil, `Expected type "Criteria" to be an object.`},
		{"IntegrationPackEnvironmentAttachmentInput", map[string]any{"integrationPackInstanceId": float64(5), "environmentIds": []any{float64(6)}},
			map[string]any{"integrationPackInstanceId": "5", "environmentIds": []any{"6"}}, ""},
	}
	for _, tt := range tests {
		doc, err := parser.ParseQuery(&ast.Source{Input: "query($v: " + tt.typ + ") { __typename }"})
		if err != nil {
			t.Fatal(err)
		}
		vars := map[string]any{"v": tt.value}
		errs := c.check(doc.Operations[0].VariableDefinitions, vars)
		switch {
		case tt.wantErr == "" && len(errs) > 0:
			t.Errorf("%s %#v: %v, want %#v", tt.typ, tt.value, errs, tt.want)
		case tt.wantErr == "" && !reflect.DeepEqual(vars["v"], tt.want):
			t.Errorf("%s %#v: coerced to %#v, want %#v", tt.typ, tt.value, vars["v"], tt.want)
		case tt.wantErr != "" && (len(errs) != 1 || !strings.Contains(errs[0].Message, tt.wantErr)):
			t.Errorf("%s %#v: errors %v, want one with %q", tt.typ, tt.value, errs, tt.wantErr)
		}
	}
}

// TestVarCheckerPresence: absent and null variables, with and without
// defaults and non-null types.
func TestVarCheckerPresence(t *testing.T) {
	c, err := newVarChecker(schema.SDL())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		decl    string
		vars    map[string]any
		wantErr string
	}{
		{"$v: ID", nil, ""},
		{"$v: ID", map[string]any{"v": nil}, ""},
		{`$v: ID! = "a"`, nil, ""},
		{"$v: ID!", nil, `Variable "$v" of required type "ID!" was not provided.`},
		{"$v: ID!", map[string]any{"v": nil}, `Variable "$v" of non-null type "ID!" must not be null.`},
	}
	for _, tt := range tests {
		doc, err := parser.ParseQuery(&ast.Source{Input: "query(" + tt.decl + ") { __typename }"})
		if err != nil {
			t.Fatal(err)
		}
		errs := c.check(doc.Operations[0].VariableDefinitions, tt.vars)
		switch {
		case tt.wantErr == "" && len(errs) > 0:
			t.Errorf("%s with %v: %v, want none", tt.decl, tt.vars, errs)
		case tt.wantErr != "" && (len(errs) != 1 || errs[0].Message != tt.wantErr):
			t.Errorf("%s with %v: %v, want %q", tt.decl, tt.vars, errs, tt.wantErr)
		}
	}
}
