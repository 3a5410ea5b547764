// Package graphiql serves GraphiQL, the in-browser GraphQL IDE, from assets
// embedded in the binary: self-hosted gateways often run where no CDN can be
// reached. The page is public; the GraphQL requests it sends carry the
// headers the user sets in its Headers editor, prefilled from Options.
//
//	ui, err := graphiql.New(graphiql.Options{Endpoint: "/graphql", AssetPath: "/graphiql/"})
//	r.Get("/graphiql/*", ui.Assets().ServeHTTP)
//	r.Get("/graphql", func(w http.ResponseWriter, r *http.Request) {
//		if graphiql.WantsHTML(r) {
//			ui.ServeHTTP(w, r)
//			return
//		}
//		...
//	})
package graphiql

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// The licences travel with the code they cover (MIT asks for that) and are
// served beside it.
//
//go:embed assets/*.js assets/*.css assets/LICENSE.*
var assets embed.FS

// The vendored files, in the order the page loads them (see assets/README.md).
const (
	graphiqlCSS = "graphiql-4.1.2.min.css"
	reactJS     = "react-18.3.1.production.min.js"
	reactDOMJS  = "react-dom-18.3.1.production.min.js"
	graphiqlJS  = "graphiql-4.1.2.min.js"
	initJS      = "init.js"
)

// Options configure the page.
type Options struct {
	// Endpoint is the URL (usually a path) the page sends GraphQL to.
	Endpoint string
	// AssetPath is the URL path the assets are served under, ending in "/".
	AssetPath string
	// Headers prefill the Headers editor, e.g. SPACE_GUID and Authorization.
	Headers map[string]string
	// Query prefills the query editor.
	Query string
	// Title is the page title. Default "GraphiQL".
	Title string
}

// Handler serves the GraphiQL page; Assets serves its files.
type Handler struct {
	page   []byte
	assets http.Handler
}

// ContentSecurityPolicy is the page's policy: everything from the gateway
// itself, no inline or remote script. Styles may be inline because GraphiQL
// sets some at run time; fonts and icons are data: URLs in its CSS.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<link rel="stylesheet" href="{{index .Assets "css"}}">
<style>body { margin: 0; } #graphiql { height: 100vh; }</style>
</head>
<body>
<div id="graphiql" data-endpoint="{{.Endpoint}}" data-headers="{{.Headers}}" data-query="{{.Query}}">Loading GraphiQL…</div>
<script src="{{index .Assets "react"}}"></script>
<script src="{{index .Assets "reactDOM"}}"></script>
<script src="{{index .Assets "graphiql"}}"></script>
<script src="{{index .Assets "init"}}"></script>
</body>
</html>
`))

// hashAsset is the SHA-256 of an embedded asset, read through a small
// buffer: a copy of the 1.6 MB of assets on the heap (embed.FS.ReadFile)
// stayed in the process's memory long after (docs/performance.md).
func hashAsset(name string) ([]byte, error) {
	f, err := assets.Open("assets/" + name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}

// New renders the page for opts once; serving it costs nothing more.
func New(opts Options) (*Handler, error) {
	if opts.Endpoint == "" {
		return nil, errors.New("graphiql: Endpoint is required")
	}
	if !strings.HasPrefix(opts.AssetPath, "/") || !strings.HasSuffix(opts.AssetPath, "/") {
		return nil, errors.New(`graphiql: AssetPath must start and end with "/"`)
	}
	if opts.Title == "" {
		opts.Title = "GraphiQL"
	}
	headers := "{}"
	if len(opts.Headers) > 0 {
		// The template escapes the attribute; JSON's own HTML escaping
		// would show as \u003c in the editor.
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(opts.Headers); err != nil {
			return nil, err
		}
		headers = strings.TrimSpace(b.String())
	}
	// Each asset URL carries a hash of its content, so browsers may cache
	// it for good and still see a new build's files.
	urls := map[string]string{}
	for key, name := range map[string]string{"css": graphiqlCSS, "react": reactJS, "reactDOM": reactDOMJS, "graphiql": graphiqlJS, "init": initJS} {
		sum, err := hashAsset(name)
		if err != nil {
			return nil, err
		}
		urls[key] = opts.AssetPath + name + "?v=" + hex.EncodeToString(sum[:6])
	}
	var buf bytes.Buffer
	err := pageTemplate.Execute(&buf, map[string]any{
		"Title": opts.Title, "Endpoint": opts.Endpoint, "Headers": headers, "Query": opts.Query, "Assets": urls,
	})
	if err != nil {
		return nil, err
	}
	sub, _ := fs.Sub(assets, "assets") // cannot fail: the directory is embedded
	return &Handler{
		page:   buf.Bytes(),
		assets: http.StripPrefix(opts.AssetPath, assetServer{http.FileServerFS(sub)}),
	}, nil
}

// ServeHTTP serves the page.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Security-Policy", ContentSecurityPolicy)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cache-Control", "no-cache")
	hd.Set("Content-Length", strconv.Itoa(len(h.page)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(h.page)
	}
}

// Assets serves the page's files; mount it at Options.AssetPath.
func (h *Handler) Assets() http.Handler { return h.assets }

// assetServer adds caching and security headers to the embedded files.
type assetServer struct{ files http.Handler }

func (a assetServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") {
		http.NotFound(w, r) // no directory listings
		return
	}
	hd := w.Header()
	hd.Set("X-Content-Type-Options", "nosniff")
	if r.URL.Query().Get("v") != "" {
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		hd.Set("Cache-Control", "no-cache")
	}
	a.files.ServeHTTP(w, r)
}

// WantsHTML reports whether a GET request prefers an HTML page to a GraphQL
// response: a browser opening the endpoint, not a GraphQL client. A client
// that names a JSON type at least as high as text/html gets JSON; "*/*"
// alone counts for neither.
func WantsHTML(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	var html, json float64
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if v, ok := params["q"]; ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		switch mt {
		case "text/html", "application/xhtml+xml":
			html = max(html, q)
		case "application/json", "application/graphql-response+json":
			json = max(json, q)
		}
	}
	return html > 0 && html > json
}
