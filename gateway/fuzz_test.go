package gateway_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

// FuzzGraphQLHandler sends arbitrary bodies to /graphql and checks that
// every answer is a well-formed GraphQL response: JSON, no 500, and an
// extensions.code on every error.
func FuzzGraphQLHandler(f *testing.F) {
	for _, s := range []string{
		`{"query":"mutation { integrationPackInstanceEnvironmentAttachmentAttach(input: {integrationPackInstanceId: \"SW50ZWdyYXRpb25QYWNrSW5zdGFuY2UzNDQ4Ng\", environmentIds: [\"86b413a8-1ebf-4c95-bc5b-139573b77910\"]}) { id } }"}`,
		`{"query":"mutation { integrationPackInstanceEnvironmentAttachmentUnattach(id: \"x\") }"}`,
		`{"query":"query($i: String!) { integrationPackEnvironmentAttachments(ipackInstanceId: $i) { id } }","variables":{"i":5}}`,
		`{"query":"{ __schema { types { name } } }"}`,
		`{"query":"{ ...F } fragment F on Query { ...F }"}`,
		`{"query":"mutation($e: [ID!]!) { integrationPackInstanceEnvironmentAttachmentAttach(input: {integrationPackInstanceId: \"SW50ZWdyYXRpb25QYWNrSW5zdGFuY2UzNDQ4Ng\", environmentIds: $e}) { __typename } }","variables":{"e":["", "x"]}}`,
		`{"query":"{ a`, `[]`, `null`, `{"query":null}`, `{"query":"{ __typename }","operationName":"nope"}`,
	} {
		f.Add([]byte(s))
	}
	e := newEnv(f, envOptions{})
	f.Fuzz(func(t *testing.T, body []byte) {
		req, _ := http.NewRequest(http.MethodPost, e.url+"/graphql", bytes.NewReader(body))
		req.Header["SPACE_GUID"] = []string{testSpace}
		req.Header.Set("Authorization", "Bearer "+testToken)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("POST: %v", err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode >= 500 {
			t.Fatalf("body %q: status %d %s", body, res.StatusCode, raw)
		}
		var r struct {
			Data   json.RawMessage `json:"data"`
			Errors []struct {
				Message    string         `json:"message"`
				Extensions map[string]any `json:"extensions"`
			} `json:"errors"`
		}
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatalf("body %q: answer is not JSON: %s", body, raw)
		}
		if r.Data == nil && len(r.Errors) == 0 {
			t.Fatalf("body %q: neither data nor errors: %s", body, raw)
		}
		for _, e := range r.Errors {
			if c, _ := e.Extensions["code"].(string); c == "" || e.Message == "" {
				t.Fatalf("body %q: error without code or message: %s", body, raw)
			}
		}
	})
}
