package gateway_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestCheckedIsExecuted replays issue 17's repros against the real schema
// and the demo simulator. gqlparser and graphql-go end a block string
// followed by a run of quotes at different places: gqlparser reads the
// operation M below as part of a string of query Q, graphql-go (given the
// client's text) read it as an operation. Main executed an install over
// GET that way, and a query of 902 root fields (the limit is 10) with one
// REST call each. Now graphql-go executes the text the gateway measured,
// which holds no operation M: nothing runs, and no REST call is made.
func TestCheckedIsExecuted(t *testing.T) {
	const (
		head = `query Q{a:integrationPackEnvironmentAttachments(ipackInstanceId:"x",environmentIds:["""a"""""" """]){id}} `
		tail = ` query R{b:integrationPackEnvironmentAttachments(ipackInstanceId:"x",environmentIds:["""""" "e"]){id}}`
	)
	install := head + `mutation M{integrationPackInstanceInstall(input:{integrationPackId:"3c2f3cc9-6a8e-4ee1-9b5e-5a3b4b5c0001",integrationPackOverrideName:"viaGET"}){id}}` + tail
	var many strings.Builder
	for i := range 30 {
		fmt.Fprintf(&many, "f%d:integrationPackInstances{id} ", i)
	}
	wide := head + "query M{" + many.String() + "}" + tail

	tests := []struct {
		name, method, query string
	}{
		{"install over GET", http.MethodGet, install},
		{"install over POST", http.MethodPost, install},
		{"30 root fields over POST", http.MethodPost, wide},
		{"30 root fields over GET", http.MethodGet, wide},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envOptions{})
			var req *http.Request
			if tt.method == http.MethodGet {
				v := url.Values{"query": {tt.query}, "operationName": {"M"}}
				req, _ = http.NewRequest(http.MethodGet, e.url+"/graphql?"+v.Encode(), nil)
			} else {
				body, _ := json.Marshal(map[string]string{"query": tt.query, "operationName": "M"})
				req, _ = http.NewRequest(http.MethodPost, e.url+"/graphql", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
			}
			req.Header["SPACE_GUID"] = []string{testSpace}
			req.Header.Set("Authorization", "Bearer "+testToken)
			r := send(t, req)
			if n := len(e.sim.Requests()); n != 0 {
				t.Errorf("%d REST calls, want none; answer %s", n, r.Raw)
			}
			if data := string(r.Data); data != "" && data != "null" {
				t.Errorf("data = %s, want none", data)
			}
			if len(r.Errors) == 0 || r.code() == "" {
				t.Errorf("answer %s, want an error with a code", r.Raw)
			}
		})
	}
}
