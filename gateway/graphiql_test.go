package gateway_test

import (
	"encoding/json"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

func TestGraphiQLPage(t *testing.T) {
	e := newOpsEnv(t, opsOptions{})
	browser := map[string]string{"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
	// No SPACE_GUID, no Authorization: the page itself is public.
	page := e.get(t, "/graphql", browser)
	if page.status != 200 || !strings.HasPrefix(page.header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /graphql as a browser = %d %s", page.status, page.header.Get("Content-Type"))
	}
	if csp := page.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("Content-Security-Policy = %q, want scripts from the gateway only", csp)
	}
	body := string(page.body)
	for _, want := range []string{`data-endpoint="/graphql"`, "SPACE_GUID", "Authorization", "Bearer &lt;your token&gt;"} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(body, "http://") || strings.Contains(body, "https://") {
		t.Errorf("page refers to another origin (a CDN?):\n%s", body)
	}
	// Every asset the page loads is served, from the binary, cacheable.
	srcs := regexp.MustCompile(`(?:src|href)="(/graphiql/[^"]+)"`).FindAllStringSubmatch(body, -1)
	if len(srcs) != 5 {
		t.Fatalf("page loads %d assets, want 5 (css, react, react-dom, graphiql, init)", len(srcs))
	}
	for _, m := range srcs {
		url := strings.ReplaceAll(m[1], "&amp;", "&")
		r := e.get(t, url, nil)
		ct := r.header.Get("Content-Type")
		if r.status != 200 || !(strings.HasPrefix(ct, "text/javascript") || strings.HasPrefix(ct, "text/css")) || len(r.body) < 100 {
			t.Errorf("GET %s = %d %s, %d bytes", url, r.status, ct, len(r.body))
		}
		if cc := r.header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
			t.Errorf("GET %s Cache-Control = %q, want immutable (the URL carries a content hash)", url, cc)
		}
	}
	if r := e.get(t, "/graphiql/", nil); r.status != 404 {
		t.Errorf("GET /graphiql/ = %d, want 404: no listing", r.status)
	}
	if r := e.get(t, "/graphiql/LICENSE.graphiql", nil); r.status != 200 || !strings.Contains(string(r.body), "MIT License") {
		t.Errorf("GraphiQL's licence is not served: %d", r.status)
	}

	// GraphQL clients still get GraphQL, and must authenticate.
	tests := []struct {
		accept string
		want   int
	}{
		{"application/json", http.StatusUnauthorized},
		{"*/*", http.StatusUnauthorized},
		{"application/graphql-response+json, text/html;q=0.5", http.StatusUnauthorized},
	}
	for _, tt := range tests {
		r := e.get(t, "/graphql?query=%7B__typename%7D", map[string]string{"Accept": tt.accept})
		if r.status != tt.want || strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
			t.Errorf("GET /graphql Accept %q = %d %s, want %d JSON", tt.accept, r.status, r.header.Get("Content-Type"), tt.want)
		}
	}
}

func TestGraphiQLDisabled(t *testing.T) {
	e := newOpsEnv(t, opsOptions{extraYAML: "graphiql: {enabled: false}\nmetrics: {enabled: false}\n"})
	if r := e.get(t, "/graphql", map[string]string{"Accept": "text/html"}); r.status != http.StatusUnauthorized {
		t.Errorf("GET /graphql as a browser with GraphiQL off = %d, want 401 (the API)", r.status)
	}
	if r := e.get(t, "/metrics", nil); r.status != http.StatusNotFound {
		t.Errorf("GET /metrics with metrics off = %d, want 404", r.status)
	}
}

// TestGraphiQLQueryShowsData: the query GraphiQL opens on answers data on
// a fresh demo account, not an empty list.
func TestGraphiQLQueryShowsData(t *testing.T) {
	e := newOpsEnv(t, opsOptions{})
	page := e.get(t, "/graphql", map[string]string{"Accept": "text/html"})
	m := regexp.MustCompile(`data-query="([^"]*)"`).FindSubmatch(page.body)
	if m == nil {
		t.Fatalf("no data-query in the page:\n%s", page.body)
	}
	query := html.UnescapeString(string(m[1]))
	r := e.authed(t, query)
	var body struct {
		Data struct {
			IntegrationPackInstances []struct {
				ID              string
				IntegrationPack struct{ Name string }
			}
		}
		Errors []any
	}
	if err := json.Unmarshal(r.body, &body); err != nil || r.status != 200 || len(body.Errors) > 0 {
		t.Fatalf("the prefilled query answered %d %s", r.status, r.body)
	}
	insts := body.Data.IntegrationPackInstances
	if len(insts) != 4 || insts[0].ID == "" || insts[0].IntegrationPack.Name == "" { // 1950, 34486, 20, 27972
		t.Errorf("the prefilled query answered %s, want the demo's 4 instances with their packs", r.body)
	}
}

// TestFavicon: browsers' icon request gets no content, cacheable, rather
// than a 404 on every page.
func TestFavicon(t *testing.T) {
	e := newOpsEnv(t, opsOptions{})
	r := e.get(t, "/favicon.ico", nil)
	if r.status != http.StatusNoContent || len(r.body) != 0 || !strings.Contains(r.header.Get("Cache-Control"), "max-age=") {
		t.Errorf("GET /favicon.ico = %d, %d bytes, Cache-Control %q; want 204, cacheable", r.status, len(r.body), r.header.Get("Cache-Control"))
	}
}
