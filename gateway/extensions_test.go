package gateway_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestExtensionsParameter: a request's extensions are a JSON object, null
// or absent; anything else is refused with 400 before it runs, over POST
// (what graphql-http's audit checks) and GET alike.
func TestExtensionsParameter(t *testing.T) {
	e := newEnv(t, envOptions{})
	tests := []struct {
		name       string
		extensions string // JSON; "" leaves it out
		status     int
	}{
		{"string", `"str"`, 400},
		{"number", `0`, 400},
		{"boolean", `false`, 400},
		{"array", `["array"]`, 400},
		{"object", `{"some":"value"}`, 200},
		{"empty object", `{}`, 200},
		{"null", `null`, 200},
		{"absent", ``, 200},
	}
	for _, tt := range tests {
		body := `{"query":"{ __typename }"}`
		q := url.Values{"query": {"{ __typename }"}}
		if tt.extensions != "" {
			body = `{"query":"{ __typename }","extensions":` + tt.extensions + `}`
			q.Set("extensions", tt.extensions)
		}
		post, _ := http.NewRequest(http.MethodPost, e.url+"/graphql", strings.NewReader(body))
		post.Header.Set("Content-Type", "application/json")
		get, _ := http.NewRequest(http.MethodGet, e.url+"/graphql?"+q.Encode(), nil)
		for _, req := range []*http.Request{post, get} {
			for _, accept := range []string{"", "application/json", "application/graphql-response+json"} {
				req.Header["SPACE_GUID"] = []string{testSpace}
				req.Header.Set("Authorization", "Bearer "+testToken)
				if accept != "" {
					req.Header.Set("Accept", accept)
				}
				if req.Method == http.MethodPost {
					req.Body.Close()
					req.Body, _ = req.GetBody()
				}
				r := send(t, req)
				if r.Status != tt.status {
					t.Errorf("%s %s, Accept %q: %d %s, want %d", req.Method, tt.name, accept, r.Status, r.Raw, tt.status)
					continue
				}
				if tt.status == 400 && (r.code() != "BAD_REQUEST" || !strings.Contains(string(r.Raw), "extensions must be a JSON object")) {
					t.Errorf("%s %s: %s, want BAD_REQUEST naming extensions", req.Method, tt.name, r.Raw)
				}
				if tt.status == 200 && (len(r.Errors) > 0 || string(r.Data) != `{"__typename":"Query"}`) {
					t.Errorf("%s %s: %s, want the query's data and no errors", req.Method, tt.name, r.Raw)
				}
			}
		}
	}
	// A GET whose extensions are not JSON at all is refused too.
	req, _ := http.NewRequest(http.MethodGet, e.url+"/graphql?"+url.Values{"query": {"{ __typename }"}, "extensions": {"{"}}.Encode(), nil)
	req.Header["SPACE_GUID"] = []string{testSpace}
	req.Header.Set("Authorization", "Bearer "+testToken)
	if r := send(t, req); r.Status != 400 || r.code() != "BAD_REQUEST" {
		t.Errorf("GET extensions not JSON: %d %s, want 400 BAD_REQUEST", r.Status, r.Raw)
	}
}
