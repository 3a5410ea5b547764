package gateway_test

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestAuth: each missing or wrong credential gets its status and code, and
// no REST call is made.
func TestAuth(t *testing.T) {
	e := newEnv(t, envOptions{})
	tests := []struct {
		name    string
		headers map[string]string
		status  int
		code    string
	}{
		{"no SPACE_GUID", map[string]string{"Authorization": "Bearer " + testToken}, 401, "MISSING_SPACE_ID"},
		{"no Authorization", map[string]string{"SPACE_GUID": testSpace}, 401, "UNAUTHORIZED"},
		{"not Bearer", map[string]string{"SPACE_GUID": testSpace, "Authorization": "Basic " + testToken}, 401, "UNAUTHORIZED"},
		{"empty Bearer", map[string]string{"SPACE_GUID": testSpace, "Authorization": "Bearer "}, 401, "UNAUTHORIZED"},
		{"unknown space", map[string]string{"SPACE_GUID": "nope", "Authorization": "Bearer " + testToken}, 401, "SPACE_NOT_FOUND"},
		{"wrong token", map[string]string{"SPACE_GUID": testSpace, "Authorization": "Bearer " + testToken + "x"}, 401, "UNAUTHORIZED"},
		{"canonical header spelling", map[string]string{"Space_guid": testSpace, "Authorization": "bearer " + testToken}, 200, ""},
	}
	for _, tt := range tests {
		h := map[string]string{"Content-Type": "application/json"}
		for k, v := range tt.headers {
			h[k] = v
		}
		before := len(e.sim.Requests())
		r := e.do(t, http.MethodPost, attachQuery(seedInst, seedEnvB), nil, h)
		if r.Status != tt.status || r.code() != tt.code {
			t.Errorf("%s: %d %s, want %d %s", tt.name, r.Status, r.Raw, tt.status, tt.code)
		}
		if tt.status != 200 {
			if n := len(e.sim.Requests()) - before; n != 0 {
				t.Errorf("%s: %d REST calls, want none", tt.name, n)
			}
			if strings.Contains(string(r.Raw), testToken) {
				t.Errorf("%s: the response echoes the token", tt.name)
			}
		}
		if tt.status == 401 && r.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: 401 without WWW-Authenticate", tt.name)
		}
		// A token that was sent but is not valid says so (RFC 6750).
		if invalid := strings.Contains(r.Header.Get("WWW-Authenticate"), `error="invalid_token"`); invalid != (tt.name == "wrong token") {
			t.Errorf("%s: WWW-Authenticate %q, want error=\"invalid_token\" only for the wrong token", tt.name, r.Header.Get("WWW-Authenticate"))
		}
	}
}

// TestBadInput: invalid ids and list sizes are refused before any REST call.
func TestBadInput(t *testing.T) {
	e := newEnv(t, envOptions{})
	many := make([]string, 101)
	for i := range many {
		many[i] = seedEnvB
	}
	tests := []struct {
		name  string
		query string
		code  string
	}{
		{"instance id not base64", attachQuery("not an id!", seedEnvB), "IPACK_INSTANCE_ID_INVALID"},
		{"instance id of another type", attachQuery(seedAttID, seedEnvB), "IPACK_INSTANCE_ID_INVALID"},
		{"instance REST number", attachQuery("34486", seedEnvB), "IPACK_INSTANCE_ID_INVALID"},
		{"empty environmentIds", attachQuery(seedInst), "BAD_USER_INPUT"},
		{"101 environmentIds", attachQuery(seedInst, many...), "BAD_USER_INPUT"},
		{"unattach id not base64", `mutation { integrationPackInstanceEnvironmentAttachmentUnattach(id: "<IpackinstanceID>") }`, "BAD_USER_INPUT"},
		{"unattach with an instance id", `mutation { integrationPackInstanceEnvironmentAttachmentUnattach(id: "` + seedInst + `") }`, "BAD_USER_INPUT"},
		{"query instance id", `{ integrationPackEnvironmentAttachments(ipackInstanceId: "x") { id } }`, "IPACK_INSTANCE_ID_INVALID"},
		{"wrong argument type", `mutation { integrationPackInstanceEnvironmentAttachmentUnattach(id: 12.5) }`, "GRAPHQL_VALIDATION_FAILED"},
		{"unknown field", `mutation { nope }`, "GRAPHQL_VALIDATION_FAILED"},
		{"syntax error", `mutation { `, "GRAPHQL_PARSE_FAILED"},
	}
	for _, tt := range tests {
		before := len(e.sim.Requests())
		r := e.post(t, tt.query, nil)
		if r.Status != 200 || r.code() != tt.code {
			t.Errorf("%s: %d %s, want code %s", tt.name, r.Status, r.Raw, tt.code)
		}
		if n := len(e.sim.Requests()) - before; n != 0 {
			t.Errorf("%s: %d REST calls, want none", tt.name, n)
		}
	}

	// The offending argument is named.
	r := e.post(t, attachQuery("x", seedEnvB), nil)
	if len(r.Errors) != 1 || r.Errors[0].Extensions["argument"] != "input.integrationPackInstanceId" || !bytes.Equal(r.Data, []byte(`{"`+attachField+`":null}`)) {
		t.Errorf("bad instance id: %s", r.Raw)
	}
	// Variables of the wrong type are refused too.
	// A single value is coerced to a one-item list, as the spec says; it
	// then fails as a malformed environment id, at index 0.
	r = e.post(t, `mutation($ids: [ID!]!) { `+attachField+`(input: {integrationPackInstanceId: "`+seedInst+`", environmentIds: $ids}) { id } }`, map[string]any{"ids": "not-a-list-of-one"})
	if er := r.errorAt(0); er == nil || er.Extensions["code"] != "BAD_USER_INPUT" || er.Extensions["environmentId"] != "not-a-list-of-one" {
		t.Errorf("variable coercion: %s", r.Raw)
	}
	r = e.post(t, `mutation($ids: [ID!]!) { `+attachField+`(input: {integrationPackInstanceId: "`+seedInst+`", environmentIds: $ids}) { id } }`, map[string]any{"ids": map[string]any{"a": 1}})
	if r.code() != "GRAPHQL_VALIDATION_FAILED" {
		t.Errorf("object for a list variable: %s, want GRAPHQL_VALIDATION_FAILED", r.Raw)
	}
}

// TestHTTPProtocol covers GraphQL-over-HTTP framing.
func TestHTTPProtocol(t *testing.T) {
	e := newEnv(t, envOptions{})
	auth := func(req *http.Request) *http.Request {
		req.Header["SPACE_GUID"] = []string{testSpace}
		req.Header.Set("Authorization", "Bearer "+testToken)
		return req
	}
	post := func(ct, body string) *http.Request {
		req, _ := http.NewRequest(http.MethodPost, e.url+"/graphql", strings.NewReader(body))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		return auth(req)
	}
	get := func(q url.Values) *http.Request {
		req, _ := http.NewRequest(http.MethodGet, e.url+"/graphql?"+q.Encode(), nil)
		return auth(req)
	}
	listQuery := `{ integrationPackEnvironmentAttachments(ipackInstanceId: "` + seedInst + `") { id } }`
	tests := []struct {
		name   string
		req    *http.Request
		status int
		code   string
	}{
		{"malformed JSON", post("application/json", `{"query":`), 400, "BAD_REQUEST"},
		{"query not a string", post("application/json", `{"query":5}`), 400, "BAD_REQUEST"},
		{"variables not an object", post("application/json", `{"query":"{ __typename }","variables":[1]}`), 400, "BAD_REQUEST"},
		{"no query", post("application/json", `{}`), 400, "BAD_REQUEST"},
		{"two JSON values", post("application/json", `{"query":"{ __typename }"} {}`), 400, "BAD_REQUEST"},
		{"no content type", post("", `{"query":"{ __typename }"}`), 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"text/plain", post("text/plain", `{"query":"{ __typename }"}`), 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"too large", post("application/json", `{"query":"{ __typename }","extensions":{"pad":"`+strings.Repeat("x", 1<<20)+`"}}`), 413, "PAYLOAD_TOO_LARGE"},
		{"charset is fine", post("application/json; charset=utf-8", `{"query":"{ __typename }"}`), 200, ""},
		{"GET query", get(url.Values{"query": {listQuery}}), 200, ""},
		{"GET with variables", get(url.Values{"query": {"query($i: String!) { integrationPackEnvironmentAttachments(ipackInstanceId: $i) { id } }"}, "variables": {`{"i":"` + seedInst + `"}`}}), 200, ""},
		{"GET bad variables", get(url.Values{"query": {listQuery}, "variables": {"{"}}), 400, "BAD_REQUEST"},
		{"GET mutation", get(url.Values{"query": {attachQuery(seedInst, seedEnvB)}}), 405, "METHOD_NOT_ALLOWED"},
		{"GET named mutation", get(url.Values{"query": {"query a { __typename } mutation b { __typename }"}, "operationName": {"b"}}), 405, "METHOD_NOT_ALLOWED"},
	}
	for _, tt := range tests {
		before := len(e.sim.Requests())
		r := send(t, tt.req)
		if r.Status != tt.status || r.code() != tt.code {
			t.Errorf("%s: %d %.300s, want %d %s", tt.name, r.Status, r.Raw, tt.status, tt.code)
		}
		if tt.status == 405 && len(e.sim.Requests()) != before {
			t.Errorf("%s: a REST call was made", tt.name)
		}
	}

	req, _ := http.NewRequest(http.MethodDelete, e.url+"/graphql", nil)
	if r := send(t, auth(req)); r.Status != 405 || r.Header.Get("Allow") == "" {
		t.Errorf("DELETE /graphql: %d, Allow %q", r.Status, r.Header.Get("Allow"))
	}

	// application/graphql-response+json: validation errors are HTTP 400.
	req = post("application/json", `{"query":"{ nope }"}`)
	req.Header.Set("Accept", "application/graphql-response+json")
	r := send(t, req)
	if r.Status != 400 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/graphql-response+json") {
		t.Errorf("graphql-response+json validation error: %d %s", r.Status, r.Header.Get("Content-Type"))
	}

	// X-Request-Id is honoured and returned.
	req = post("application/json", `{"query":"{ __typename }"}`)
	req.Header.Set("X-Request-Id", "abc-123")
	if r := send(t, req); r.Header.Get("X-Request-Id") != "abc-123" {
		t.Errorf("X-Request-Id = %q, want abc-123", r.Header.Get("X-Request-Id"))
	}
}

// TestTrustedProxies (server.trustedProxies): behind a load balancer,
// the limits kept per address are each client's, the address the
// balancer appended to X-Forwarded-For, not the balancer's: one client's
// guesses do not lock out the others, nor do its fresh passthrough tokens
// spend theirs. A client cannot choose its address: entries it writes
// itself are left of the one the balancer appends, and a peer that is not
// a trusted proxy is its own address, whatever it sends.
func TestTrustedProxies(t *testing.T) {
	// The test's requests come from 127.0.0.1, the "balancer"; the
	// untrusted client dials from 127.0.0.2.
	e := newEnvYAML(t, nil, "", "server: {trustedProxies: [127.0.0.1/32]}\nclients: {requestsPerSecond: 0.01, burst: 3, authFailuresPerMinute: 5}\n")
	via := func(space, token, xff string) map[string]string {
		return map[string]string{"SPACE_GUID": space, "Authorization": "Bearer " + token, "Content-Type": "application/json", "X-Forwarded-For": xff}
	}
	// Five guesses from 198.51.100.7, each with an entry of its own
	// choosing left of the balancer's.
	for i := range 5 {
		xff := fmt.Sprintf("203.0.113.%d, 198.51.100.7", i)
		if r := e.do(t, http.MethodPost, `{ __typename }`, nil, via(testSpace, "guess", xff)); r.Status != 401 {
			t.Fatalf("guess %d: %d %s", i, r.Status, r.Raw)
		}
	}
	if r := e.do(t, http.MethodPost, `{ __typename }`, nil, via(testSpace, testToken, "203.0.113.99, 198.51.100.7")); r.Status != 429 {
		t.Errorf("the guessing client, with the right token: %d %s, want 429", r.Status, r.Raw)
	}
	if r := e.do(t, http.MethodPost, `{ __typename }`, nil, via(testSpace, testToken, "198.51.100.8")); r.Status != 200 {
		t.Errorf("another client behind the same balancer: %d %s, want 200", r.Status, r.Raw)
	}
	// Passthrough: a client's fresh tokens share its address's budget (3),
	// and another client behind the balancer has its own.
	for i := range 3 {
		if r := e.do(t, http.MethodPost, `{ __typename }`, nil, via(passthroughSpace, fmt.Sprintf("fresh-%d", i), "198.51.100.20")); r.Status != 200 {
			t.Fatalf("passthrough %d: %d %s", i, r.Status, r.Raw)
		}
	}
	if r := e.do(t, http.MethodPost, `{ __typename }`, nil, via(passthroughSpace, "fresh-3", "198.51.100.20")); r.Status != 429 {
		t.Errorf("passthrough, a 4th fresh token: %d %s, want 429", r.Status, r.Raw)
	}
	if r := e.do(t, http.MethodPost, `{ __typename }`, nil, via(passthroughSpace, "fresh-4", "198.51.100.21")); r.Status != 200 {
		t.Errorf("passthrough, another client behind the balancer: %d %s, want 200", r.Status, r.Raw)
	}

	// A client that is not a trusted proxy: its X-Forwarded-For is
	// ignored, so naming a fresh address on each guess gains nothing.
	direct := &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}).DialContext}}
	t.Cleanup(direct.CloseIdleConnections)
	post := func(token, xff string) *response {
		req, _ := http.NewRequest(http.MethodPost, e.url+"/graphql", strings.NewReader(`{"query":"{ __typename }"}`))
		for k, v := range via(testSpace, token, xff) {
			req.Header[k] = []string{v}
		}
		return sendWith(t, direct, req)
	}
	for i := range 5 {
		if r := post("guess", fmt.Sprintf("192.0.2.%d", i)); r.Status != 401 {
			t.Fatalf("direct guess %d: %d %s", i, r.Status, r.Raw)
		}
	}
	if r := post(testToken, "192.0.2.200"); r.Status != 429 {
		t.Errorf("the direct client after 5 guesses, naming yet another address: %d %s, want 429", r.Status, r.Raw)
	}
}

// TestAuthAbuse: guessing tokens is throttled per address, fresh tokens
// on a passthrough space are no fresh budgets, and headers that a proxy
// could read differently are refused.
func TestAuthAbuse(t *testing.T) {
	e := newEnvYAML(t, nil, "", "clients: {requestsPerSecond: 0.01, burst: 3, authFailuresPerMinute: 5}\n")
	h := func(space, token string) map[string]string {
		return map[string]string{"SPACE_GUID": space, "Authorization": "Bearer " + token, "Content-Type": "application/json"}
	}
	// Passthrough: 3 requests with 3 different tokens use up the address's
	// burst; the 4th, with yet another token, is refused before any REST call.
	var statuses []int
	for i := range 4 {
		r := e.do(t, http.MethodPost, `{ __typename }`, nil, h(passthroughSpace, "random-"+string(rune('a'+i))))
		statuses = append(statuses, r.Status)
	}
	if statuses[3] != 429 || statuses[0] != 200 {
		t.Errorf("passthrough with fresh tokens: statuses %v, want 200 200 200 429", statuses)
	}

	// Five wrong tokens are answered 401; the sixth attempt, even with the
	// right token, waits: the address guessed too often.
	for i := range 5 {
		if r := e.do(t, http.MethodPost, `{ __typename }`, nil, h(testSpace, "guess")); r.Status != 401 {
			t.Fatalf("guess %d: %d %s", i, r.Status, r.Raw)
		}
	}
	r := e.do(t, http.MethodPost, `{ __typename }`, nil, h(testSpace, testToken))
	if r.Status != 429 || r.code() != "RATE_LIMITED" || r.Header.Get("Retry-After") == "" {
		t.Errorf("after 5 failures: %d %s, want 429 with Retry-After", r.Status, r.Raw)
	}

	req, _ := http.NewRequest(http.MethodPost, e.url+"/graphql", strings.NewReader(`{"query":"{ __typename }"}`))
	req.Header["SPACE_GUID"] = []string{"other-space", testSpace}
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", "application/json")
	if r := send(t, req); r.Status != 400 || r.code() != "BAD_REQUEST" {
		t.Errorf("two SPACE_GUID values: %d %s, want 400 BAD_REQUEST", r.Status, r.Raw)
	}
}
