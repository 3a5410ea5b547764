package platformapi

import (
	"context"
	"fmt"
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

// Like matches objects whose property matches pattern, with % as wildcard.
func Like(property, pattern string) Expression {
	return Expression{Operator: "LIKE", Property: property, Argument: []string{pattern}}
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

// query runs POST {object}/query and then POST {object}/queryMore with the
// raw token as a text/plain body, until no token remains.
func query[T any](ctx context.Context, c *Client, acct Account, object string, filter *Expression) ([]T, error) {
	var req QueryRequest
	if filter != nil {
		req.QueryFilter = &QueryFilter{Expression: *filter}
	}
	var all []T
	cl := call{method: "POST", object: object, path: object + "/query", body: marshal(req)}
	for page := 1; ; page++ {
		var res QueryResult[T]
		if err := c.do(ctx, acct, cl, &res); err != nil {
			return nil, err
		}
		all = append(all, res.Result...)
		if res.QueryToken == "" {
			return all, nil
		}
		if page == c.maxPages {
			return nil, &Error{Method: "POST", Object: object, Message: fmt.Sprintf("more than %d pages", c.maxPages), Err: ErrTooManyPages}
		}
		cl = call{method: "POST", object: object, path: object + "/queryMore", body: []byte(res.QueryToken), contentType: "text/plain"}
	}
}
