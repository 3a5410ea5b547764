package gateway

import (
	"fmt"

	gqlerrors "github.com/graph-gophers/graphql-go/errors"

	"github.com/ipack-gateway/ipack-gateway/errcode"
	"github.com/ipack-gateway/ipack-gateway/gateway/query"
)

// Client text that reaches a log line, a span or an error message is
// clipped, so that what a request costs to log and to answer does not grow
// with what it sends: a 1 MB operation name is neither logged nor echoed.
// (errcode.MaxEchoed bounds client text quoted in an error message, and
// package query clips operation names for logs.)
const (
	// maxMessage bounds one error message of a response; graphql-go's
	// validation messages quote names from the query.
	maxMessage = 512
	// maxOperationName is the longest operationName a request may carry.
	// GraphQL names are identifiers; clients use a few dozen bytes.
	maxOperationName = 256
)

// boundErrors clips long messages, and when the request never executed
// (no data) keeps the first query.MaxRefusalErrors errors and one that
// says how many more there were. Execution errors are never dropped: each
// environment of an attach must reach the client.
func boundErrors(errs []*gqlerrors.QueryError, executed bool) []*gqlerrors.QueryError {
	const limit = query.MaxRefusalErrors
	for _, e := range errs {
		e.Message = errcode.Clip(e.Message, maxMessage)
	}
	if executed || len(errs) <= limit {
		return errs
	}
	more := &gqlerrors.QueryError{
		Message:    fmt.Sprintf("%d more errors not shown", len(errs)-limit),
		Extensions: errs[limit].Extensions,
	}
	return append(errs[:limit:limit], more)
}
