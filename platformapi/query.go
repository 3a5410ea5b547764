package platformapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// Expression is a REST query filter expression: a simple comparison of one
// property, or a group ("and", "or") of nested expressions.
type Expression struct {
	Operator         string       `json:"operator"`
	Property         string       `json:"property,omitempty"`
	Argument         []string     `json:"argument,omitempty"`
	NestedExpression []Expression `json:"nestedExpression,omitempty"`
}

// Equals matches objects whose property equals arg.
func Equals(property string, arg string) Expression {
	return Expression{Operator: "EQUALS", Property: property, Argument: []string{arg}}
}

// And groups expressions that must all match.
func And(exprs ...Expression) Expression {
	return Expression{Operator: "and", NestedExpression: exprs}
}

// Or groups expressions of which one must match.
func Or(exprs ...Expression) Expression {
	return Expression{Operator: "or", NestedExpression: exprs}
}

// QueryRequest is the body of a REST query.
type QueryRequest struct {
	QueryFilter *QueryFilter `json:"QueryFilter,omitempty"`
}

// QueryFilter wraps the expression of a QueryRequest.
type QueryFilter struct {
	Expression Expression `json:"expression"`
}

// QueryResult is one page of a REST query answer.
type QueryResult[T any] struct {
	Type            string `json:"@type,omitempty"`
	NumberOfResults int    `json:"numberOfResults"`
	QueryToken      string `json:"queryToken,omitempty"`
	Result          []T    `json:"result"`
}

// PageSize is the vendor's page size for queries.
const PageSize = 100

// ErrTooManyPages is wrapped by the error a query returns when its result
// has more pages than Options.MaxQueryPages allows.
var ErrTooManyPages = fmt.Errorf("platformapi: query result exceeds the page limit")

// ErrQueryTokenRefused is wrapped by the error of a query whose queryMore
// token the vendor kept refusing, even after the query was started over
// maxQueryRestarts times. The token is the vendor's own, so this is an
// upstream failure, never the client's.
var ErrQueryTokenRefused = errors.New("platformapi: the Platform API refused its own queryMore token")

// maxQueryRestarts bounds how often one query starts over from its first
// page after a queryMore token was refused.
const maxQueryRestarts = 2

// query runs POST {object}/query and then POST {object}/queryMore with the
// raw token as a text/plain body, until no token remains.
//
// A token is taken to be good for one queryMore (inferred: the vendor does
// not say; the simulator forgets a token once used). So a queryMore whose
// answer was lost and that was tried again finds its token refused (400),
// as does one whose token expired: either way the vendor has the pages and
// the gateway does not, so the whole query starts over from page 1, at most
// maxQueryRestarts times; then the refusal is reported as the upstream's
// (ErrQueryTokenRefused).
func query[T any](ctx context.Context, c *Client, acct Account, object string, filter *Expression) ([]T, error) {
	var req QueryRequest
	if filter != nil {
		req.QueryFilter = &QueryFilter{Expression: *filter}
	}
	first := call{method: "POST", object: object, path: object + "/query", body: marshal(req), read: true}
	for restart := 0; ; restart++ {
		all, more, err := queryPages[T](ctx, c, acct, first)
		if err == nil || !more || !tokenRefused(err) {
			return all, err
		}
		var pe *Error
		errors.As(err, &pe) // tokenRefused saw one
		if restart == maxQueryRestarts {
			pe.Err = ErrQueryTokenRefused
			return nil, pe
		}
		c.log.WarnContext(ctx, "queryMore token refused: query started over", "object", object,
			"status", pe.StatusCode, "retried", pe.Attempts > 1, "restart", restart+1)
	}
}

// queryPages reads every page of one query. more reports whether err came
// from a queryMore call.
func queryPages[T any](ctx context.Context, c *Client, acct Account, cl call) (all []T, more bool, err error) {
	for page := 1; ; page++ {
		var res QueryResult[T]
		if err := c.do(ctx, acct, cl, &res); err != nil {
			return nil, page > 1, err
		}
		all = append(all, res.Result...)
		if res.QueryToken == "" {
			return all, false, nil
		}
		if page == c.maxPages {
			return nil, false, &Error{Method: "POST", Object: cl.object, Message: fmt.Sprintf("more than %d pages", c.maxPages), Err: ErrTooManyPages}
		}
		cl = call{method: "POST", object: cl.object, path: cl.object + "/queryMore", body: []byte(res.QueryToken), contentType: "text/plain", read: true}
	}
}

// tokenRefused reports whether a queryMore failed because the vendor would
// not take its token: 400 (invalid), 404 or 410 (gone).
func tokenRefused(err error) bool {
	var pe *Error
	if !errors.As(err, &pe) {
		return false
	}
	switch pe.StatusCode {
	case http.StatusBadRequest, http.StatusNotFound, http.StatusGone:
		return true
	}
	return false
}
