package gateway

import (
	"encoding/json"
	"net/http"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/ipack-gateway/ipack-gateway/errcode"
)

// errorBody is a GraphQL response that carries only errors: the shape of
// every error the gateway answers before GraphQL execution.
type errorBody struct {
	Errors []errorItem `json:"errors"`
}

type errorItem struct {
	Message    string          `json:"message"`
	Locations  []errorLocation `json:"locations,omitempty"`
	Extensions map[string]any  `json:"extensions,omitempty"`
}

// errorLocation is where in the query an error is, as GraphQL reports it.
type errorLocation struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

// writeError answers a request-level error: the HTTP status from errcode's
// table and a GraphQL error body with extensions.code.
func writeError(w http.ResponseWriter, e *errcode.Error) {
	writeJSON(w, e.Code.HTTPStatus(), errorBody{Errors: []errorItem{{Message: e.Message, Extensions: e.Extensions()}}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client went away; nothing to do
}

// writeResponse writes a GraphQL response. The common one, data without
// errors or extensions, is written as graphql-go made it: its data is
// compact JSON already (it writes every scalar with json.Marshal), so
// encoding it again would only scan it once more, byte by byte, to the
// same bytes (TestWriteResponseMatchesEncoder).
func writeResponse(w http.ResponseWriter, status int, resp *graphql.Response) {
	if len(resp.Errors) > 0 || len(resp.Extensions) > 0 || len(resp.Data) == 0 {
		writeJSON(w, status, resp)
		return
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	w.WriteHeader(status)
	// Three writes into the server's buffer: no copy of the data, and no
	// conversion of a string (the middleware's writers have no
	// WriteString).
	_, _ = w.Write(dataOpen)
	_, _ = w.Write(resp.Data)
	_, _ = w.Write(dataClose)
}

// What writeResponse writes around the data, as json.Encoder would.
var dataOpen, dataClose = []byte(`{"data":`), []byte("}\n")
