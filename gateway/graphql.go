package gateway

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"

	graphql "github.com/graph-gophers/graphql-go"
	gqlerrors "github.com/graph-gophers/graphql-go/errors"

	"github.com/ipack-gateway/ipack-gateway/errcode"
	"github.com/ipack-gateway/ipack-gateway/platformapi"
	"github.com/ipack-gateway/ipack-gateway/resolver"
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
	info.op = operation{name: req.OperationName}
	doc := s.analyzer.analyze(req.Query)
	op, ok := doc.operation(req.OperationName)
	if ok {
		info.op = op.describe()
		if r.Method == http.MethodGet && op.mutation {
			w.Header().Set("Allow", "POST")
			writeError(w, errcode.New(errcode.MethodNotAllowed, "mutations must be sent with POST"))
			return
		}
		if op.rootFields > s.cfg.GraphQL.MaxRootFields {
			writeGraphQLError(w, r, errcode.New(errcode.GraphQLValidationFailed, fmt.Sprintf("the operation selects %d root fields; at most %d are allowed", op.rootFields, s.cfg.GraphQL.MaxRootFields)))
			return
		}
	}
	if doc.aliases > s.cfg.GraphQL.MaxAliases {
		writeGraphQLError(w, r, errcode.New(errcode.GraphQLValidationFailed, fmt.Sprintf("the document has %d aliases; at most %d are allowed", doc.aliases, s.cfg.GraphQL.MaxAliases)))
		return
	}

	// REST calls run under the request's deadline and end when the client
	// goes away or the server shuts down; execution itself runs to the end
	// so that every environment's outcome reaches the response.
	call, cancel := context.WithTimeout(platformapi.WithFlow(r.Context()), s.cfg.GraphQL.RequestTimeout)
	defer cancel()
	ctx := resolver.WithItemErrors(resolver.WithCallContext(context.WithoutCancel(call), call))
	resp := s.schema.Exec(ctx, req.Query, req.OperationName, req.Variables)
	resp.Errors = append(resp.Errors, itemErrors(ctx, op)...)
	classify(resp.Errors)
	sortErrors(resp.Errors)
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
	if len(req.Query) > s.cfg.GraphQL.MaxQueryLength {
		return nil, errcode.New(errcode.PayloadTooLarge, fmt.Sprintf("the query is %d bytes long; at most %d are allowed", len(req.Query), s.cfg.GraphQL.MaxQueryLength))
	}
	return &req, nil
}

// writeGraphQLError answers a request refused before execution with a
// GraphQL error: HTTP 200 for application/json, as clients of that media
// type expect, 400 for application/graphql-response+json.
func writeGraphQLError(w http.ResponseWriter, r *http.Request, e *errcode.Error) {
	media := responseMedia(r.Header.Get("Accept"))
	status := http.StatusOK
	if media == mediaGraphQLResponse {
		status = http.StatusBadRequest
	}
	w.Header().Set("Content-Type", media+"; charset=utf-8")
	writeJSON(w, status, errorBody{Errors: []errorItem{{Message: e.Message, Extensions: e.Extensions()}}})
}

// sortErrors orders errors by path, so that a response does not depend on
// which of a fan-out's calls finished first. Errors without a path keep
// their place ahead of the others.
func sortErrors(errs []*gqlerrors.QueryError) {
	slices.SortStableFunc(errs, func(a, b *gqlerrors.QueryError) int {
		return comparePaths(a.Path, b.Path)
	})
}

func comparePaths(a, b []any) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if c := comparePathElem(a[i], b[i]); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

func comparePathElem(a, b any) int {
	ai, aInt := a.(int)
	bi, bInt := b.(int)
	switch {
	case aInt && bInt:
		return cmp.Compare(ai, bi)
	case aInt:
		return -1
	case bInt:
		return 1
	}
	return cmp.Compare(fmt.Sprint(a), fmt.Sprint(b))
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
