package gateway_test

import (
	"strings"
	"testing"
)

// Every operation that puts an id the client sent into a REST path, filter
// or body refuses a malformed one with BAD_USER_INPUT and makes no REST
// call: not the non-idempotent ExecutionRequest CREATE either. (Instance,
// attachment, environment and pack ids are checked by package ids.)
func TestClientIDsAreCheckedBeforeREST(t *testing.T) {
	e := newEnvYAML(t, nil, "")
	const good = "Q1BTOGZhNTU3MTQtOGU1ZS00NWYxLWI3ZTEtZjU3ZjIwMDBmNDY0"
	bad := map[string]string{
		"empty":          "",
		"dot":            ".",
		"dot dot":        "..",
		"slash":          "a/b",
		"dot dot slash":  "../update",
		"backslash":      `a\b`,
		"newline":        "a\nb",
		"NUL":            "a\x00b",
		"DEL":            "a\x7fb",
		"space":          "a b",
		"query":          "a?b=c",
		"percent":        "a%2Fb",
		"non-ASCII":      "ä",
		"257 bytes":      strings.Repeat("a", 257),
		"257 bytes, =":   strings.Repeat("=", 257),
		"long and dotty": strings.Repeat(".", 300),
	}
	ops := []struct {
		name, query string
	}{
		{"extensionsUpdate", `mutation($id: ID!) { extensionsUpdate(input: [{extensions: "{}", envExtensionId: $id}]) }`},
		{"extendedMappersUpdate", `mutation($id: ID!) { extendedMappersUpdate(input: [{extensions: "{}", envExtensionId: $id}]) }`},
		{"processSchedulesUpdate", `mutation($id: String!) { processSchedulesUpdate(processSchedules: "{}", processSchedulesId: $id) { id } }`},
		{"processExecute atomId", `mutation($id: String!) { processExecute(input: {atomId: $id, processId: "` + good + `"}) }`},
		{"processExecute processId", `mutation($id: String!) { processExecute(input: {atomId: "` + good + `", processId: $id}) }`},
		{"executionHistory processId", `query($id: ID!) { executionHistory(input: {processId: $id, executionTime: "2023-01-01T00:00:00Z", status: ERROR}) { executionId } }`},
	}
	for _, op := range ops {
		for name, id := range bad {
			e.sim.ResetRequests()
			r := e.post(t, op.query, map[string]any{"id": id})
			if r.code() != "BAD_USER_INPUT" {
				t.Errorf("%s with id %s (%q) = %s, want BAD_USER_INPUT", op.name, name, clipID(id), r.Raw)
			}
			if n := len(e.sim.Requests()); n != 0 {
				t.Errorf("%s with id %s: %d REST calls, want none", op.name, name, n)
			}
		}
	}
	// The vendor's ids pass: a base64 id and a GUID reach REST.
	for _, op := range ops {
		for _, id := range []string{good, "6e79aead-40d4-422b-9037-4370a86cc2f1"} {
			e.sim.ResetRequests()
			r := e.post(t, op.query, map[string]any{"id": id})
			if r.code() == "BAD_USER_INPUT" && strings.Contains(string(r.Raw), "\"argument\"") || len(e.sim.Requests()) == 0 {
				t.Errorf("%s with id %s = %s after %d REST calls, want it sent", op.name, id, r.Raw, len(e.sim.Requests()))
			}
		}
	}
}

func clipID(s string) string {
	if len(s) > 20 {
		return s[:20] + "…"
	}
	return s
}
