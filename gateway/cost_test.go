package gateway_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/ipack-gateway/ipack-gateway/config"
	"github.com/ipack-gateway/ipack-gateway/gateway"
)

// TestCostBoundsRefused (issue 17, item 2): requests that cost graphql-go
// (or the gateway's checks) 10 to 60 ms and 5 to 27 MB each are refused
// before graphql-go sees them, with one error and no REST call.
func TestCostBoundsRefused(t *testing.T) {
	e := newEnv(t, envOptions{})
	attach := func(items string) string {
		return `mutation { ` + attachField + `(input: {integrationPackInstanceId: "` + seedInst + `", environmentIds: [` + items + `]}) { id } }`
	}
	fill := func(unit string) string { return strings.Repeat(unit, (config.DefaultMaxQueryLength-300)/len(unit)) }
	tests := []struct {
		name, query string
		vars        map[string]any
		status      int
		code        string
	}{
		// The issue's: 64 KB of list literals where IDs belong.
		{"invalid list literals", attach(strings.TrimSuffix(fill("[[]],"), ",")), nil, http.StatusOK, "GRAPHQL_VALIDATION_FAILED"},
		{"one token past maxTokens", attach(strings.Repeat(`"e" `, config.DefaultMaxTokens)), nil, http.StatusOK, "GRAPHQL_VALIDATION_FAILED"},
		{"unknown directives", "{ __typename " + fill("@a ") + "}", nil, http.StatusOK, "GRAPHQL_VALIDATION_FAILED"},
		// Within maxTokens and maxSelections: more errors than reported.
		{"21 unknown fields", "{ executionHistory { " + repeat(21, func(i int) string { return fmt.Sprintf("f%d", i) }) + " } }", nil, http.StatusOK, "GRAPHQL_VALIDATION_FAILED"},
		{"a name of 129 bytes", "{ " + strings.Repeat("a", gateway.MaxNameLength+1) + " }", nil, http.StatusOK, "GRAPHQL_PARSE_FAILED"},
		{"variables past maxVariableValues", `mutation($ids: [ID!]!) { ` + attachField + `(input: {integrationPackInstanceId: "` + seedInst + `", environmentIds: $ids}) { id } }`,
			map[string]any{"ids": make([][]any, config.DefaultMaxVariableValues)}, http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE"},
	}
	for _, tt := range tests {
		before := len(e.sim.Requests())
		r := e.post(t, tt.query, tt.vars)
		if r.Status != tt.status || r.code() != tt.code || r.Data != nil || len(r.Errors) != 1 {
			t.Errorf("%s: %d %.300s, want %d and one %s error before execution", tt.name, r.Status, r.Raw, tt.status, tt.code)
		}
		if n := len(e.sim.Requests()) - before; n != 0 {
			t.Errorf("%s: %d REST calls, want none", tt.name, n)
		}
	}
}

// TestCostBoundsAccepted: what clients send stays within the new bounds:
// an attach of attach.maxEnvironments environments, by literal and by
// variables; a document of exactly maxTokens tokens; 20 unknown fields
// are graphql-go's to report, each; a name of maxNameLength bytes.
func TestCostBoundsAccepted(t *testing.T) {
	e := newEnv(t, envOptions{})
	envs := demoEnvs(1, 100)
	q := attachQuery(seedInst, envs...)
	r := e.post(t, q, nil)
	if len(r.Errors) != 0 || len(r.attachments(t)) != 100 {
		t.Errorf("attach of 100 by literal: %.300s", r.Raw)
	}
	vq := `mutation($input: IntegrationPackEnvironmentAttachmentInput) { ` + attachField + `(input: $input) { id } }`
	r = e.post(t, vq, map[string]any{"input": map[string]any{"integrationPackInstanceId": seedInst, "environmentIds": envs}})
	if len(r.Errors) != 0 || len(r.attachments(t)) != 100 {
		t.Errorf("attach of 100 by variables: %.300s", r.Raw)
	}

	// "{ __typename" and "}" are 3 tokens; each "@skip(if: false)" 7.
	n := (config.DefaultMaxTokens - 3) / 7
	exact := "# a comment is no token\n{ __typename " + strings.Repeat("@skip(if: false) ", n) + strings.Repeat("a ", config.DefaultMaxTokens-3-7*n) + "}"
	if r := e.post(t, exact, nil); strings.Contains(string(r.Raw), "tokens") {
		t.Errorf("a document of maxTokens tokens: %.300s", r.Raw)
	}

	r = e.post(t, "{ executionHistory { "+repeat(20, func(i int) string { return fmt.Sprintf("f%d", i) })+" } }", nil)
	if len(r.Errors) != 20 || r.code() != "GRAPHQL_VALIDATION_FAILED" {
		t.Errorf("20 unknown fields: %d errors, want graphql-go's 20: %.300s", len(r.Errors), r.Raw)
	}
	r = e.post(t, "{ "+strings.Repeat("a", gateway.MaxNameLength)+" }", nil)
	if r.code() != "GRAPHQL_VALIDATION_FAILED" || !strings.Contains(r.Errors[0].Message, "Cannot query field") {
		t.Errorf("a name of maxNameLength bytes: %.300s, want graphql-go's unknown field", r.Raw)
	}
}
