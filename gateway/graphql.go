package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	graphql "github.com/graph-gophers/graphql-go"
	gqlerrors "github.com/graph-gophers/graphql-go/errors"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/ipack-gateway/ipack-gateway/errcode"
)

// gqlRequest is a GraphQL-over-HTTP request.
type gqlRequest struct {
	Query         string         `json:"query"`
	OperationName string         `json:"operationName"`
	Variables     map[string]any `json:"variables"`
	Extensions    map[string]any `json:"extensions"`
}

const (
	mediaJSON            = "application/json"
	mediaGraphQLResponse = "application/graphql-response+json"
)

// serveGraphQL answers POST (queries and mutations) and GET (queries only)
// as the GraphQL-over-HTTP specification says.
func (s *Server) serveGraphQL(w http.ResponseWriter, r *http.Request) {
	req, e := s.decodeRequest(w, r)
	if e != nil {
		writeError(w, e)
		return
	}
	info := infoFrom(r.Context())
	info.space = spaceFrom(r.Context())
	info.operation = req.OperationName

	ctx := r.Context()
	if s.cfg.GraphQL.RequestTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.cfg.GraphQL.RequestTimeout)
		defer cancel()
	}
	resp := s.schema.Exec(ctx, req.Query, req.OperationName, req.Variables)
	classify(resp.Errors)
	info.outcome = outcome(resp)

	media := responseMedia(r.Header.Get("Accept"))
	status := http.StatusOK
	if media == mediaGraphQLResponse && resp.Data == nil && len(resp.Errors) > 0 {
		// The request never reached execution (parse or validation error).
		status = http.StatusBadRequest
	}
	w.Header().Set("Content-Type", media+"; charset=utf-8")
	writeJSON(w, status, resp)
}

// decodeRequest reads the GraphQL request of r, or says which HTTP error
// answers it.
func (s *Server) decodeRequest(w http.ResponseWriter, r *http.Request) (*gqlRequest, *errcode.Error) {
	var req gqlRequest
	switch r.Method {
	case http.MethodPost:
		ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || ct != mediaJSON {
			return nil, errcode.New(errcode.UnsupportedMediaType, "Content-Type must be application/json")
		}
		body := http.MaxBytesReader(w, r.Body, s.cfg.GraphQL.MaxBodyBytes)
		dec := json.NewDecoder(body)
		if err := dec.Decode(&req); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return nil, errcode.New(errcode.PayloadTooLarge, fmt.Sprintf("request body exceeds %d bytes", s.cfg.GraphQL.MaxBodyBytes))
			}
			return nil, errcode.New(errcode.BadRequest, "request body is not a GraphQL request: "+jsonProblem(err))
		}
		if _, err := dec.Token(); err != io.EOF {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return nil, errcode.New(errcode.PayloadTooLarge, fmt.Sprintf("request body exceeds %d bytes", s.cfg.GraphQL.MaxBodyBytes))
			}
			return nil, errcode.New(errcode.BadRequest, "request body holds more than one JSON value")
		}
	case http.MethodGet:
		q := r.URL.Query()
		req.Query = q.Get("query")
		req.OperationName = q.Get("operationName")
		if v := q.Get("variables"); v != "" {
			if err := json.Unmarshal([]byte(v), &req.Variables); err != nil {
				return nil, errcode.New(errcode.BadRequest, "variables must be a JSON object: "+jsonProblem(err))
			}
		}
	default:
		w.Header().Set("Allow", "GET, POST")
		return nil, errcode.New(errcode.MethodNotAllowed, "use POST, or GET for queries")
	}
	if strings.TrimSpace(req.Query) == "" {
		return nil, errcode.New(errcode.BadRequest, "the request has no query")
	}
	if r.Method == http.MethodGet && isMutation(req.Query, req.OperationName) {
		w.Header().Set("Allow", "POST")
		return nil, errcode.New(errcode.MethodNotAllowed, "mutations must be sent with POST")
	}
	return &req, nil
}

// isMutation reports whether the operation the request selects is a
// mutation. A document that does not parse is not: execution reports it.
func isMutation(query, operationName string) bool {
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		return false
	}
	for _, op := range doc.Operations {
		if (operationName == "" || op.Name == operationName) && op.Operation == ast.Mutation {
			return true
		}
	}
	return false
}

// jsonProblem describes a JSON decoding error without echoing the input.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("malformed JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		if typ.Field != "" {
			return fmt.Sprintf("%q must not be a JSON %s", typ.Field, typ.Value)
		}
		return "want a JSON object"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the body is empty or cut short"
	}
	return "malformed JSON"
}

// responseMedia picks the response media type: the GraphQL one when the
// client asks for it first, else application/json, which every client of
// the vendor's endpoint sends.
func responseMedia(accept string) string {
	for _, part := range strings.Split(accept, ",") {
		mt, _, _ := mime.ParseMediaType(strings.TrimSpace(part))
		switch mt {
		case mediaGraphQLResponse:
			return mediaGraphQLResponse
		case mediaJSON:
			return mediaJSON
		}
	}
	return mediaJSON
}

// classify gives every error an extensions.code: graphql-go leaves its own
// parse and validation errors without one.
func classify(errs []*gqlerrors.QueryError) {
	for _, e := range errs {
		if _, ok := e.Extensions["code"]; ok {
			continue
		}
		code := errcode.GenericSystemError
		switch {
		case errors.Is(e, gqlerrors.ErrSyntax):
			code = errcode.GraphQLParseFailed
		case e.Rule != "" || (e.Path == nil && e.ResolverError == nil):
			code = errcode.GraphQLValidationFailed
		}
		if e.Extensions == nil {
			e.Extensions = map[string]any{}
		}
		e.Extensions["code"] = string(code)
	}
}

// outcome summarises a response for logs and metrics.
func outcome(resp *graphql.Response) string {
	switch {
	case len(resp.Errors) == 0:
		return "ok"
	case resp.Data == nil || bytes.Equal(resp.Data, []byte("null")):
		return "error"
	}
	return "partial"
}
