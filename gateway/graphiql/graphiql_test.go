package graphiql_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ipack-gateway/ipack-gateway/gateway/graphiql"
)

func TestWantsHTML(t *testing.T) {
	tests := []struct {
		method, accept string
		want           bool
	}{
		{"GET", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", true}, // Chromium, Firefox
		{"GET", "text/html", true},
		{"HEAD", "text/html", true},
		{"GET", "", false},
		{"GET", "*/*", false}, // curl
		{"GET", "application/json", false},
		{"GET", "application/graphql-response+json, application/json, multipart/mixed", false}, // GraphiQL's own fetches
		{"GET", "application/json, text/html", false},                                          // a tie goes to JSON
		{"GET", "application/json;q=0.5, text/html", true},
		{"GET", "text/html;q=0", false},
		{"GET", "text/html;q=bogus", true},
		{"POST", "text/html", false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(tt.method, "/graphql", nil)
		r.Header.Set("Accept", tt.accept)
		if got := graphiql.WantsHTML(r); got != tt.want {
			t.Errorf("WantsHTML(%s, %q) = %v, want %v", tt.method, tt.accept, got, tt.want)
		}
	}
}

func TestNewEscapesSettings(t *testing.T) {
	h, err := graphiql.New(graphiql.Options{
		Endpoint:  "/graphql",
		AssetPath: "/ui/",
		Headers:   map[string]string{"X": `"><script>alert(1)</script>`},
		Query:     `</div><script>alert(2)</script>`,
	})
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/graphql", nil))
	body := w.Body.String()
	if strings.Contains(body, "<script>alert") {
		t.Errorf("settings reached the page unescaped:\n%s", body)
	}
	if !strings.Contains(body, `src="/ui/react-18.3.1.production.min.js?v=`) {
		t.Errorf("assets are not under AssetPath:\n%s", body)
	}
	for _, bad := range []graphiql.Options{{AssetPath: "/ui/"}, {Endpoint: "/graphql", AssetPath: "ui"}} {
		if _, err := graphiql.New(bad); err == nil {
			t.Errorf("New(%+v) succeeded", bad)
		}
	}
}
