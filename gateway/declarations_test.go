package gateway_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/ipack-gateway/ipack-gateway/platformapi/simulator"
)

// TestVendorDeclarations: for every operation the vendor documents and the
// gateway serves, the variable declarations a client writes from the
// vendor's page validate, and the operation runs: the type its input
// syntax gives, with and without "!" where the page does not settle it
// (its field table says Required, its syntax shows no "!", or no type at
// all for an input argument), the type its field table gives where that
// differs (String for ID), and the input type names its prose gives; and
// the gateway's former input type names, for its own clients.
func TestVendorDeclarations(t *testing.T) {
	e := newEnv(t, envOptions{})
	const (
		inst    = "SW50ZWdyYXRpb25QYWNrSW5zdGFuY2UyNzk3Mg"
		env     = "4c9d031e-408b-4903-a44e-5a4219e62b25"
		extID   = "Y2EyMjU5ZGQtZjM5NC00ZmYyLThlOTMtODg1OTZjOGFhNzJhOjJhZTY0MzEwLTc4ZWQtNDFhYy04Mzk0LTI5MDE4YjM0NjM0NA"
		mapID   = "Y2EyMjU5ZGQtZjM5NC00ZmYyLThlOTMtODg1OTZjOGFhNzJhOjZkNzcyYWY3LTUxNzgtNGEyZC1hODVhLTQ0ZWYwYzZlNmVlZDo2ZDc3MmFmNy01MTc4LTRhMmQtYTg1YS00NGVmMGM2ZTZlZWQ6MTY2MzI2MzMyODk3MjE2NjMyNjU0NzI0OTA"
		schedID = "Q1BTOGZhNTU3MTQtOGU1ZS00NWYxLWI3ZTEtZjU3ZjIwMDBmNDY0OjZlNzlhZWFkLTQwZDQtNDIyYi05MDM3LTQzNzBhODZjYzJmMQ"
	)
	// each expands {T} in a declaration template with every type listed.
	each := func(template string, types ...string) []string {
		var out []string
		for _, typ := range types {
			out = append(out, strings.ReplaceAll(template, "{T}", typ))
		}
		return out
	}
	type decl struct {
		op    string
		docs  []string
		vars  map[string]any
		field string // the root field, whose value must be in the answer
	}
	attachInput := map[string]any{"integrationPackInstanceId": seedInst, "environmentIds": []string{seedEnvA}}
	historyInput := map[string]any{"processId": simulator.DemoHistoryProcessID, "executionTime": "2016-01-31T15:32:00Z", "status": "ERROR"}
	execInput := map[string]any{"atomId": simulator.DemoUpdateAtomID, "processId": simulator.DemoUpdateProcessID}
	schedules := `{"Schedule":[],"Retry":{"Schedule":[],"maxRetry":3},"processId":"` + simulator.DemoUpdateProcessID + `","atomId":"` + simulator.DemoUpdateAtomID + `","id":"` + schedID + `"}`
	tests := []decl{
		{"attach, the input", each(`mutation($in: {T}) { integrationPackInstanceEnvironmentAttachmentAttach(input: $in) { id } }`,
			"IntegrationPackEnvironmentAttachmentInput", "IntegrationPackEnvironmentAttachmentInput!"),
			map[string]any{"in": attachInput}, "integrationPackInstanceEnvironmentAttachmentAttach"},
		{"attach, its fields", each(`mutation($id: ID!, $envs: {T}) { integrationPackInstanceEnvironmentAttachmentAttach(input: {integrationPackInstanceId: $id, environmentIds: $envs}) { id } }`,
			"[ID!]", "[ID!]!", "[String!]", "[String!]!"),
			map[string]any{"id": seedInst, "envs": []string{seedEnvB}}, "integrationPackInstanceEnvironmentAttachmentAttach"},
		{"unattach", []string{`mutation($id: ID!) { integrationPackInstanceEnvironmentAttachmentUnattach(id: $id) }`},
			map[string]any{"id": seedAttID}, "integrationPackInstanceEnvironmentAttachmentUnattach"},
		{"mappers and extensions", each(`query($id: String!, $envs: {T}) { integrationPackEnvironmentAttachments(ipackInstanceId: $id, environmentIds: $envs) { integrationPackInstanceId } }`,
			"[String!]", "[String!]!"),
			map[string]any{"id": inst, "envs": []string{env}}, "integrationPackEnvironmentAttachments"},
		{"instances", []string{`query ipackInstance { integrationPackInstances { id integrationPackOverrideName integrationPack { id name } } }`}, nil, "integrationPackInstances"},
		{"environments", []string{`query env { environments { id name classification integrationPackEnvironmentAttachment { environmentId id integrationPackInstanceId } atoms { id name } } }`}, nil, "environments"},
		{"install, the input", each(`mutation($in: {T}) { integrationPackInstanceInstall(input: $in) { id } }`, "IntegrationPackInstanceInput", "IntegrationPackInstanceInput!"),
			map[string]any{"in": map[string]any{"integrationPackId": simulator.DemoMultiPackID, "integrationPackOverrideName": "declared"}}, "integrationPackInstanceInstall"},
		{"install, its fields", each(`mutation($pack: ID!, $name: {T}) { integrationPackInstanceInstall(input: {integrationPackId: $pack, integrationPackOverrideName: $name}) { id } }`, "String", "String!"),
			map[string]any{"pack": simulator.DemoMultiPackID, "name": "declared"}, "integrationPackInstanceInstall"},
		{"uninstall", []string{`mutation($id: ID!) { integrationPackInstanceUninstall(id: $id) }`},
			map[string]any{"id": "SW50ZWdyYXRpb25QYWNrSW5zdGFuY2UyMA"}, "integrationPackInstanceUninstall"},
		{"processes", each(`query($id: {T}) { integrationPackInstanceProcesses(integrationPackInstanceId: $id) { id } }`, "ID", "ID!"),
			map[string]any{"id": inst}, "integrationPackInstanceProcesses"},
		{"history, the input", each(`query($in: {T}) { executionHistory(input: $in) { executionId } }`,
			"executionHistoryInput", "executionHistoryInput!", "ExecutionHistoryInput", "ExecutionHistoryInput!"),
			map[string]any{"in": historyInput}, "executionHistory"},
		{"history, its fields", []string{`query($p: ID!, $t: DateTime!, $s: ExecutionHistoryStatus!) { executionHistory(input: {processId: $p, executionTime: $t, status: $s}) { executionId } }`},
			map[string]any{"p": simulator.DemoHistoryProcessID, "t": "2016-01-31T15:32:00Z", "s": "ERROR"}, "executionHistory"},
		{"execute, the input", each(`mutation($in: {T}) { processExecute(input: $in) }`, "ProcessExecuteInput", "ProcessExecuteInput!"),
			map[string]any{"in": execInput}, "processExecute"},
		{"execute, its fields", []string{`mutation($atom: String!, $proc: String!) { processExecute(input: {atomId: $atom, processId: $proc}) }`},
			map[string]any{"atom": simulator.DemoUpdateAtomID, "proc": simulator.DemoUpdateProcessID}, "processExecute"},
		{"extensionsUpdate, the input", each(`mutation($in: {T}) { extensionsUpdate(input: $in) }`, "[ExtensionInput]", "[ExtensionInput!]", "[ExtensionInput]!", "[ExtensionInput!]!"),
			map[string]any{"in": []any{map[string]any{"extensions": "{}", "envExtensionId": extID}}}, "extensionsUpdate"},
		{"extensionsUpdate, its fields", each(`mutation($ext: String!, $id: {T}) { extensionsUpdate(input: [{extensions: $ext, envExtensionId: $id}]) }`, "ID!", "String!"),
			map[string]any{"ext": "{}", "id": extID}, "extensionsUpdate"},
		{"extendedMappersUpdate, the input", each(`mutation($in: {T}) { extendedMappersUpdate(input: $in) }`, "[ExtensionInput]", "[ExtensionInput!]!"),
			map[string]any{"in": []any{map[string]any{"extensions": "{}", "envExtensionId": mapID}}}, "extendedMappersUpdate"},
		{"extendedMappersUpdate, its fields", each(`mutation($ext: String!, $id: {T}) { extendedMappersUpdate(input: [{extensions: $ext, envExtensionId: $id}]) }`, "String!", "ID!"),
			map[string]any{"ext": "{}", "id": mapID}, "extendedMappersUpdate"},
		{"processSchedulesUpdate", []string{`mutation($s: String!, $id: String!) { processSchedulesUpdate(processSchedules: $s, processSchedulesId: $id) { atomId } }`},
			map[string]any{"s": schedules, "id": schedID}, "processSchedulesUpdate"},
		{"spaces", []string{`query spaces { spaces { id name accountGroup { id name } createdDate modifiedDate modifiedByAccountId } }`}, nil, "spaces"},
		{"Space", []string{`query Space($id: ID!) { Space(id: $id) { id } }`}, map[string]any{"id": testSpace}, "Space"},
		{"spaceAccounts, the criteria", each(`query($c: {T}) { spaceAccounts(criteria: $c) { id } }`, "Criteria", "Criteria!", "SpaceAccountCriteria"),
			map[string]any{"c": map[string]any{"operator": "CONTAINS", "argument": ""}}, "spaceAccounts"},
		{"spaceAccounts, its fields", []string{`query($op: Operator!, $arg: String!) { spaceAccounts(criteria: {operator: $op, argument: $arg}) { id } }`},
			map[string]any{"op": "STARTSWITH", "arg": ""}, "spaceAccounts"},
	}
	for _, tc := range tests {
		for _, doc := range tc.docs {
			r := e.post(t, doc, tc.vars)
			if r.Status != 200 || bytes.Contains(r.Raw, []byte("GRAPHQL_VALIDATION_FAILED")) ||
				!bytes.HasPrefix(r.Data, []byte(fmt.Sprintf(`{"%s":`, tc.field))) || bytes.HasPrefix(r.Data, []byte(fmt.Sprintf(`{"%s":null`, tc.field))) {
				t.Errorf("%s: %s\n→ %d %s", tc.op, doc, r.Status, r.Raw)
			}
		}
	}

	// Declarations that fit no place they are used are still refused: the
	// repair is no leniency beyond the vendor's own spellings.
	for _, doc := range []string{
		`mutation($id: Int!, $envs: [ID!]) { integrationPackInstanceEnvironmentAttachmentAttach(input: {integrationPackInstanceId: $id, environmentIds: $envs}) { id } }`,
		`mutation($id: ID, $envs: [ID!]) { integrationPackInstanceEnvironmentAttachmentAttach(input: {integrationPackInstanceId: $id, environmentIds: $envs}) { id } }`,
		`query($id: ID!) { integrationPackEnvironmentAttachments(ipackInstanceId: $id) { id } }`,
		`query($s: String!) { processSchedulesUpdate: spaces { id } Space(id: $s) { id } integrationPackInstanceProcesses(integrationPackInstanceId: $s) { id } }`,
	} {
		if r := e.post(t, doc, map[string]any{"id": "1", "envs": []string{seedEnvA}, "s": "x"}); r.code() != "GRAPHQL_VALIDATION_FAILED" {
			t.Errorf("%s: %s, want GRAPHQL_VALIDATION_FAILED", doc, r.Raw)
		}
	}
}
