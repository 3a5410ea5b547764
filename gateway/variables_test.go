package gateway_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestVariablesSpeakGraphQL: a variable of the wrong type is a request
// error (no data) in GraphQL's terms, never Go's, located at the
// variable's definition in the client's document; an integer given for an
// ID is coerced to its decimal string, at the top, in input objects and in
// lists (the GraphQL specification's input coercion of ID).
func TestVariablesSpeakGraphQL(t *testing.T) {
	e := newEnv(t, envOptions{})
	const (
		spaceQuery  = `query($id: ID!) { Space(id: $id) { id } }`
		attachQuery = `mutation($in: IntegrationPackEnvironmentAttachmentInput) { integrationPackInstanceEnvironmentAttachmentAttach(input: $in) { id } }`
	)
	tests := []struct {
		name  string
		query string
		vars  map[string]any
		// want is the first error's message, or a part of it; wantData
		// says whether the request executed.
		want     string
		wantCode string
		wantData bool
		wantLoc  []int // line, column of the first error; nil: none
	}{
		{"integer ID coerced", spaceQuery, map[string]any{"id": 123},
			`Space "123" was not found`, "NOT_FOUND", true, nil},
		{"integer ID in an input object's list coerced", attachQuery, map[string]any{"in": map[string]any{"integrationPackInstanceId": seedInst, "environmentIds": []any{123}}},
			`123`, "BAD_USER_INPUT", true, nil},
		{"fractional ID", spaceQuery, map[string]any{"id": 1.5},
			`Variable "$id" got invalid value 1.5; ID cannot represent a non-string, non-integer value.`, "GRAPHQL_VALIDATION_FAILED", false, []int{1, 7}},
		{"object for an ID", spaceQuery, map[string]any{"id": map[string]any{"a": 1}},
			`Variable "$id" got invalid value {"a":1}; ID cannot represent a non-string, non-integer value.`, "GRAPHQL_VALIDATION_FAILED", false, []int{1, 7}},
		{"integer for a String", `query($i: String!) { integrationPackEnvironmentAttachments(ipackInstanceId: $i) { id } }`, map[string]any{"i": 5},
			`Variable "$i" got invalid value 5; String cannot represent a non-string value.`, "GRAPHQL_VALIDATION_FAILED", false, []int{1, 7}},
		{"fractional ID inside an input object's list", attachQuery, map[string]any{"in": map[string]any{"integrationPackInstanceId": seedInst, "environmentIds": []any{"a", 2.5}}},
			`Variable "$in" got invalid value 2.5 at "in.environmentIds[1]"; ID cannot represent a non-string, non-integer value.`, "GRAPHQL_VALIDATION_FAILED", false, []int{1, 10}},
		{"missing field of an input object", attachQuery, map[string]any{"in": map[string]any{"environmentIds": []any{"x"}}},
			`Variable "$in" got invalid value {"environmentIds":["x"]}; Field "integrationPackInstanceId" of required type "ID!" was not provided.`, "GRAPHQL_VALIDATION_FAILED", false, []int{1, 10}},
		{"missing field, document over three lines", "mutation attach(\n  $in: IntegrationPackEnvironmentAttachmentInput\n) { integrationPackInstanceEnvironmentAttachmentAttach(input: $in) { id } }", map[string]any{"in": map[string]any{"environmentIds": []any{"x"}}},
			`Field "integrationPackInstanceId" of required type "ID!" was not provided.`, "GRAPHQL_VALIDATION_FAILED", false, []int{2, 3}},
		{"required variable not provided", spaceQuery, map[string]any{},
			`Variable "$id" of required type "ID!" was not provided.`, "GRAPHQL_VALIDATION_FAILED", false, []int{1, 7}},
		// graphql-go checks every operation's variables; the gateway the
		// executed one's, so this error is graphql-go's, its schema-text
		// location dropped.
		{"missing field for an operation not executed", "query other($in: IntegrationPackEnvironmentAttachmentInput) { integrationPackEnvironmentAttachments(ipackInstanceId: \"x\") { id } } query run { __typename }", map[string]any{"in": map[string]any{"environmentIds": []any{"x"}}},
			`integrationPackInstanceId`, "GRAPHQL_VALIDATION_FAILED", false, nil},
		{"a document error comes before the variables'", `query($id: ID!) { Space(id: $id) { nope } }`, map[string]any{"id": 1.5},
			`Cannot query field "nope"`, "GRAPHQL_VALIDATION_FAILED", false, []int{1, 36}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.post(t, tt.query, tt.vars)
			raw := string(r.Raw)
			if len(r.Errors) == 0 {
				t.Fatalf("no error: %s", raw)
			}
			got := r.Errors[0]
			if !strings.Contains(got.Message, tt.want) || got.Extensions["code"] != tt.wantCode {
				t.Errorf("error = %q (%v), want %q (%s)", got.Message, got.Extensions["code"], tt.want, tt.wantCode)
			}
			for _, goName := range []string{"float64", "int32", "map[", "interface {}", "unmarshal"} {
				if strings.Contains(raw, goName) {
					t.Errorf("the answer speaks Go (%q): %s", goName, raw)
				}
			}
			var body map[string]json.RawMessage
			_ = json.Unmarshal(r.Raw, &body)
			if _, hasData := body["data"]; hasData != tt.wantData {
				t.Errorf("data present = %v, want %v: %s", hasData, tt.wantData, raw)
			}
			var locs struct {
				Errors []struct {
					Locations []struct{ Line, Column int }
				}
			}
			_ = json.Unmarshal(r.Raw, &locs)
			lines := strings.Count(tt.query, "\n") + 1
			for _, e := range locs.Errors {
				for _, l := range e.Locations {
					if l.Line > lines {
						t.Errorf("location line %d of a %d-line document: %s", l.Line, lines, raw)
					}
				}
			}
			first := locs.Errors[0].Locations
			switch {
			case tt.wantLoc == nil && len(first) > 0 && !tt.wantData:
				t.Errorf("locations %v, want none", first)
			case tt.wantLoc != nil && (len(first) == 0 || first[0].Line != tt.wantLoc[0] || first[0].Column != tt.wantLoc[1]):
				t.Errorf("locations %v, want line %d column %d", first, tt.wantLoc[0], tt.wantLoc[1])
			}
		})
	}
}

// TestVariableErrorStatus: with the GraphQL response media type, a request
// refused for its variables never executed, so it is answered 400.
func TestVariableErrorStatus(t *testing.T) {
	e := newEnv(t, envOptions{})
	r := e.do(t, http.MethodPost, `query($id: ID!) { Space(id: $id) { id } }`, map[string]any{"id": true}, map[string]string{
		"SPACE_GUID":    testSpace,
		"Authorization": "Bearer " + testToken,
		"Accept":        "application/graphql-response+json",
		"Content-Type":  "application/json",
	})
	if r.Status != http.StatusBadRequest || len(r.Errors) != 1 || r.Data != nil {
		t.Errorf("got %d %s, want 400 with one error and no data", r.Status, r.Raw)
	}
}
