package gateway

import (
	"encoding/json"
	"net/http"

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
