// Package errcode is the gateway's error vocabulary: the codes clients see in
// a GraphQL error's extensions.code, and the one table between those codes and
// HTTP status codes, read in both directions.
//
// The REST client reports an upstream HTTP status; FromStatus turns it into a
// code. The HTTP server answers request-level errors (no token, body too large)
// with Code.HTTPStatus. Keeping both in one table means a change of mapping is
// made once.
package errcode

import "net/http"

// Code is a machine-readable error code, stable across releases.
type Code string

// The codes. The first group is the vendor's own vocabulary; the rest follow
// the common GraphQL server conventions for what the vendor does not name.
const (
	Unauthorized            Code = "UNAUTHORIZED"
	PlatformCallError       Code = "PLATFORM_CALL_ERROR"
	GenericSystemError      Code = "GENERIC_SYSTEM_ERROR"
	InstanceIDInvalid       Code = "IPACK_INSTANCE_ID_INVALID"
	MissingSpaceID          Code = "MISSING_SPACE_ID"
	SpaceNotFound           Code = "SPACE_NOT_FOUND"
	BadUserInput            Code = "BAD_USER_INPUT"
	NotFound                Code = "NOT_FOUND"
	Forbidden               Code = "FORBIDDEN"
	RateLimited             Code = "RATE_LIMITED"
	UpstreamTimeout         Code = "UPSTREAM_TIMEOUT"
	BadRequest              Code = "BAD_REQUEST"
	PayloadTooLarge         Code = "PAYLOAD_TOO_LARGE"
	MethodNotAllowed        Code = "METHOD_NOT_ALLOWED"
	UnsupportedMediaType    Code = "UNSUPPORTED_MEDIA_TYPE"
	GraphQLParseFailed      Code = "GRAPHQL_PARSE_FAILED"
	GraphQLValidationFailed Code = "GRAPHQL_VALIDATION_FAILED"
	// UpstreamCredentialsRefused is the REST API refusing (401) the
	// credentials the gateway holds for a space's account: the gateway's
	// configuration is at fault, not the client's token, and a new token
	// will not help. Unauthorized is kept for the client's own token.
	UpstreamCredentialsRefused Code = "UPSTREAM_CREDENTIALS_REFUSED"
	// Unavailable is the gateway's own capacity: a request that waited
	// too long for a turn to execute. Retry later.
	Unavailable Code = "SERVICE_UNAVAILABLE"
	// IdempotencyKeyInUse: a request with the same Idempotency-Key is
	// still running (package idempotency).
	IdempotencyKeyInUse Code = "IDEMPOTENCY_KEY_IN_USE"
	// IdempotencyKeyReused: the Idempotency-Key was used with another
	// request.
	IdempotencyKeyReused Code = "IDEMPOTENCY_KEY_REUSED"
	// IdempotentResponseNotKept: the request with the Idempotency-Key was
	// carried out, but its response was too large to keep for a repeat.
	IdempotentResponseNotKept Code = "IDEMPOTENT_RESPONSE_NOT_KEPT"
)

// table maps each code to the HTTP status it is answered with. Where several
// upstream statuses share a code, the first status listed in upstream is the
// one HTTPStatus gives.
var table = []struct {
	code     Code
	status   int   // what the gateway answers with at the HTTP level
	upstream []int // REST statuses that map to this code
}{
	{BadUserInput, http.StatusBadRequest, []int{http.StatusBadRequest, http.StatusUnprocessableEntity}},
	{InstanceIDInvalid, http.StatusBadRequest, nil},
	{BadRequest, http.StatusBadRequest, nil},
	{GraphQLParseFailed, http.StatusBadRequest, nil},
	{GraphQLValidationFailed, http.StatusBadRequest, nil},
	{Unauthorized, http.StatusUnauthorized, []int{http.StatusUnauthorized, http.StatusForbidden}},
	{MissingSpaceID, http.StatusUnauthorized, nil},
	{SpaceNotFound, http.StatusUnauthorized, nil},
	{Forbidden, http.StatusForbidden, nil},
	{NotFound, http.StatusNotFound, []int{http.StatusNotFound, http.StatusGone}},
	{MethodNotAllowed, http.StatusMethodNotAllowed, nil},
	{PayloadTooLarge, http.StatusRequestEntityTooLarge, nil},
	{UnsupportedMediaType, http.StatusUnsupportedMediaType, nil},
	{RateLimited, http.StatusTooManyRequests, []int{http.StatusTooManyRequests, http.StatusServiceUnavailable}},
	{GenericSystemError, http.StatusInternalServerError, nil},
	{Unavailable, http.StatusServiceUnavailable, nil}, // the REST API's 503 is RateLimited's
	{PlatformCallError, http.StatusBadGateway, nil},   // every other upstream status
	// Not from a status alone: which credentials the 401 refused decides
	// (resolver's fromPlatform).
	{UpstreamCredentialsRefused, http.StatusBadGateway, nil},
	{UpstreamTimeout, http.StatusGatewayTimeout, []int{http.StatusGatewayTimeout, http.StatusRequestTimeout}},
	// The Idempotency-Key draft's answers.
	{IdempotencyKeyInUse, http.StatusConflict, nil},
	{IdempotencyKeyReused, http.StatusUnprocessableEntity, nil},
	// A repeat of a request that was carried out: answered like its
	// execution would be, with a GraphQL error.
	{IdempotentResponseNotKept, http.StatusOK, nil},
}

// FromStatus returns the code for an upstream (REST) HTTP status that is not
// a success.
func FromStatus(status int) Code {
	for _, row := range table {
		for _, s := range row.upstream {
			if s == status {
				return row.code
			}
		}
	}
	return PlatformCallError
}

// HTTPStatus returns the status the gateway answers with when c ends a
// request before GraphQL execution. Unknown codes give 500.
func (c Code) HTTPStatus() int {
	for _, row := range table {
		if row.code == c {
			return row.status
		}
	}
	return http.StatusInternalServerError
}

// Error is an error a client may see. Message is safe to show; Err, the
// cause, is for logs only and never rendered.
type Error struct {
	Code    Code
	Message string
	// Fields are extra extensions shown next to the code, such as the
	// environmentId an attach failed for or the upstream status.
	Fields map[string]any
	Err    error
}

// New returns an Error with the given code and client-safe message.
func New(code Code, message string) *Error {
	return &Error{Code: code, Message: message}
}

// Error returns the client-safe message.
func (e *Error) Error() string { return e.Message }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// With returns a copy of e with one more extension field.
func (e *Error) With(key string, value any) *Error {
	c := *e
	c.Fields = make(map[string]any, len(e.Fields)+1)
	for k, v := range e.Fields {
		c.Fields[k] = v
	}
	c.Fields[key] = value
	return &c
}

// Extensions renders the error's GraphQL extensions: code and Fields.
// graph-gophers/graphql-go calls it for errors returned by resolvers.
func (e *Error) Extensions() map[string]any {
	ext := make(map[string]any, len(e.Fields)+1)
	for k, v := range e.Fields {
		ext[k] = v
	}
	ext["code"] = string(e.Code)
	return ext
}
