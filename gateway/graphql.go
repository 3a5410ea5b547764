package gateway

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	graphql "github.com/graph-gophers/graphql-go"
	gqlerrors "github.com/graph-gophers/graphql-go/errors"

	"github.com/ipack-gateway/ipack-gateway/errcode"
	"github.com/ipack-gateway/ipack-gateway/gateway/admission"
	"github.com/ipack-gateway/ipack-gateway/gateway/auth"
	"github.com/ipack-gateway/ipack-gateway/gateway/query"
	"github.com/ipack-gateway/ipack-gateway/gateway/reqlog"
	"github.com/ipack-gateway/ipack-gateway/platformapi"
	"github.com/ipack-gateway/ipack-gateway/resolver"
)

// gqlRequest is a GraphQL-over-HTTP request.
type gqlRequest struct {
	Query         string `json:"query"`
	OperationName string `json:"operationName"`
	// Variables is decoded only once its size is known to be within
	// graphql.maxVariablesBytes: decoding JSON into maps costs about 50
	// times its length in memory.
	Variables json.RawMessage `json:"variables"`
	// Extensions are not used; kept raw, they are never built as maps.
	Extensions json.RawMessage `json:"extensions"`
	vars       map[string]any
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
	info := reqlog.InfoFrom(r.Context())
	if p := auth.PrincipalFrom(r.Context()); p != nil {
		info.Space = p.Space
	}
	doc := s.analyzer.Analyze(req.Query)
	op, _ := doc.Operation(req.OperationName)
	info.Operation, info.OperationType, info.OperationLabel = op.Name(), op.Type(), op.MetricLabel(s.fields)
	if ref := query.Check(doc, op, r.Method, s.cfg.GraphQL); ref != nil {
		writeGraphQLRefusal(w, r, ref)
		return
	}
	if e := auth.SpaceGUIDRequired(r.Context(), op.Fields()); e != nil {
		s.auth.Refuse(w, r, e)
		return
	}

	var resp *graphql.Response
	if errs := s.analyzer.CheckVariables(doc, op, req.vars); len(errs) > 0 {
		// Nothing runs: a request error, with no data.
		resp = &graphql.Response{Errors: errs}
	} else if s.keyed(r, op) {
		s.serveOnce(w, r, req, op, doc, info) // at most once per Idempotency-Key
		return
	} else if resp = s.execute(w, r, req, doc, op); resp == nil {
		return // refused, and answered
	} else if doc.NeedsFill() {
		s.fill(r.Context(), resp)
	}
	s.respond(w, r, resp, doc, info)
}

// fill completes the answer to a document adapted for graphql-go
// (query.Analyzer.Fill). It cannot fail on graphql-go's JSON; if it did,
// the answer would keep its placeholders, and the failure is logged.
func (s *Server) fill(ctx context.Context, resp *graphql.Response) {
	if err := s.analyzer.Fill(resp); err != nil {
		s.log.LogAttrs(ctx, slog.LevelError, "introspection answer not filled in", slog.String("err", err.Error()))
	}
}

// respond completes a GraphQL response and writes it. It is a function of
// its own, as are the refusals, so that serveGraphQL's stack frame, which
// stays for the whole execution, holds only what execution needs: every
// request in flight keeps its goroutine's stack, and the deepest point of
// an attach decides whether that is 16 or 32 KiB (docs/performance.md).
func (s *Server) respond(w http.ResponseWriter, r *http.Request, resp *graphql.Response, doc *query.Document, info *reqlog.Info) {
	classify(resp.Errors)
	doc.LocateErrors(resp.Errors) // from the canonical text to the client's
	sortErrors(resp.Errors)
	resp.Errors = boundErrors(resp.Errors, resp.Data != nil)
	info.Outcome = outcome(resp)

	media := responseMedia(r.Header.Get("Accept"))
	status := http.StatusOK
	if media == mediaGraphQLResponse && resp.Data == nil && len(resp.Errors) > 0 {
		// The request never reached execution (parse or validation error,
		// or a variable that does not fit its type).
		status = http.StatusBadRequest
	}
	w.Header().Set("Content-Type", media+"; charset=utf-8")
	writeResponse(w, status, resp)
}

// execute runs the request's operation under the account's fair queue and
// the request's deadline. It returns nil when it refused the request and
// answered it itself.
func (s *Server) execute(w http.ResponseWriter, r *http.Request, req *gqlRequest, doc *query.Document, op *query.Operation) *graphql.Response {
	key := platformapi.FlowKey{}
	if p := auth.PrincipalFrom(r.Context()); p != nil {
		key = platformapi.FlowKey{Space: p.Space, Client: string(p.Client[:])}
		if full, wait := s.queueFull(p.Account, key); full {
			s.refuseQueued(w, r, wait)
			return nil
		}
	}

	// REST calls run under the request's deadline and end when the client
	// goes away or the server shuts down; execution itself runs to the end
	// so that every environment's outcome reaches the response. The flow
	// is the request's place in the account's fair queue.
	var flowCtx context.Context
	var endFlow func()
	if t := admission.TicketFrom(r.Context()); t != nil {
		// Its calls that wait for the budget tell the admission that the
		// request only waits (package admission).
		flowCtx, endFlow = platformapi.WithFlowObserver(r.Context(), key, t)
	} else {
		flowCtx, endFlow = platformapi.WithFlow(r.Context(), key)
	}
	defer endFlow()
	call, cancel := context.WithTimeout(flowCtx, s.cfg.GraphQL.RequestTimeout)
	defer cancel()
	ctx := resolver.WithItemErrors(resolver.WithCallContext(context.WithoutCancel(call), call))
	// The canonical text, not the client's: what executes is the
	// document the limits measured (package query).
	resp := s.schema.Exec(ctx, doc.Text(), req.OperationName, req.vars)
	resp.Errors = append(resp.Errors, itemErrors(ctx, op, req.vars)...)
	return resp
}

// retryAfterSeconds rounds d up to whole seconds for Retry-After.
func retryAfterSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

// refuseQueued answers a request whose client has too many requests
// waiting for the account's REST budget. Nothing has run: the request is
// refused whole rather than let the client's queue grow without bound.
func (s *Server) refuseQueued(w http.ResponseWriter, r *http.Request, wait time.Duration) {
	e := errcode.New(errcode.RateLimited, fmt.Sprintf("Too many requests from this client are waiting for the account's REST budget (at most %d)", s.cfg.Clients.MaxQueued)).With("retryAfter", retryAfterSeconds(wait))
	s.requests.Rejected(r.Context(), string(e.Code))
	w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(wait)))
	writeError(w, e)
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
		req.Variables = json.RawMessage(q.Get("variables"))
		req.Extensions = json.RawMessage(q.Get("extensions"))
	default:
		w.Header().Set("Allow", "GET, POST")
		return nil, errcode.New(errcode.MethodNotAllowed, "use POST, or GET for queries")
	}
	if len(req.OperationName) > maxOperationName {
		return nil, errcode.New(errcode.BadRequest, fmt.Sprintf("operationName is %d bytes long; at most %d are allowed", len(req.OperationName), maxOperationName))
	}
	if len(req.Variables) > s.cfg.GraphQL.MaxVariablesBytes {
		return nil, errcode.New(errcode.PayloadTooLarge, fmt.Sprintf("variables are %d bytes long; at most %d are allowed", len(req.Variables), s.cfg.GraphQL.MaxVariablesBytes))
	}
	if n := jsonValues(req.Variables); len(req.Variables) > 0 && n > s.cfg.GraphQL.MaxVariableValues {
		return nil, errcode.New(errcode.PayloadTooLarge, fmt.Sprintf("variables hold %d values; at most %d are allowed", n, s.cfg.GraphQL.MaxVariableValues))
	}
	if len(req.Variables) > 0 {
		if err := json.Unmarshal(req.Variables, &req.vars); err != nil {
			msg := "variables must be a JSON object"
			var syn *json.SyntaxError
			if errors.As(err, &syn) {
				msg += ": " + jsonProblem(err)
			}
			return nil, errcode.New(errcode.BadRequest, msg)
		}
	}
	if !objectOrNull(req.Extensions) {
		return nil, errcode.New(errcode.BadRequest, "extensions must be a JSON object")
	}
	if strings.TrimSpace(req.Query) == "" {
		return nil, errcode.New(errcode.BadRequest, "the request has no query")
	}
	if len(req.Query) > s.cfg.GraphQL.MaxQueryLength {
		return nil, errcode.New(errcode.PayloadTooLarge, fmt.Sprintf("the query is %d bytes long; at most %d are allowed", len(req.Query), s.cfg.GraphQL.MaxQueryLength))
	}
	return &req, nil
}

// objectOrNull reports whether raw is absent, JSON null or a JSON object:
// the GraphQL-over-HTTP spec's extensions are a map, and a request with
// anything else is refused (graphql-http's audit checks for 400) rather
// than executed as if the client's extensions were understood. It checks
// the JSON without building it.
func objectOrNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return true
	}
	return raw[0] == '{' && json.Valid(raw)
}

// jsonValues counts the values of JSON text (every list item and object
// field, nested ones too, and the text's own value) in one pass, without
// decoding or allocating, for graphql.maxVariableValues
// (docs/cost-bounds.md): a list of 21,000 empty lists, 64 KiB of
// variables, cost 2 MB to decode and 27 MB to check. It counts commas and
// non-empty lists and objects outside strings, and so is exact for valid
// JSON; for text that is not JSON it returns some count, and decoding
// refuses the text.
func jsonValues(b []byte) int {
	n := 1
	opened, inString, escaped := false, false, false
	for _, c := range b {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		}
		if opened && c != ']' && c != '}' {
			n++ // the first item of a non-empty list or object
		}
		opened = false
		switch c {
		case '"':
			inString = true
		case '[', '{':
			opened = true
		case ',':
			n++
		}
	}
	return n
}

// writeGraphQLRefusal answers a request refused before execution, with the
// location in the query when the refusal has one; a GET of a mutation is
// an HTTP error.
func writeGraphQLRefusal(w http.ResponseWriter, r *http.Request, ref *query.Refusal) {
	if ref.Err.Code == errcode.MethodNotAllowed {
		w.Header().Set("Allow", "POST")
		writeError(w, ref.Err)
		return
	}
	item := errorItem{Message: ref.Err.Message, Extensions: ref.Err.Extensions()}
	if ref.Line > 0 {
		item.Locations = []errorLocation{{Line: ref.Line, Column: ref.Column}}
	}
	media := responseMedia(r.Header.Get("Accept"))
	status := http.StatusOK
	if media == mediaGraphQLResponse {
		status = http.StatusBadRequest
	}
	w.Header().Set("Content-Type", media+"; charset=utf-8")
	writeJSON(w, status, errorBody{Errors: []errorItem{item}})
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
		return reqlog.OutcomeOK
	case resp.Data == nil || bytes.Equal(resp.Data, []byte("null")):
		return reqlog.OutcomeError
	}
	return reqlog.OutcomePartial
}
