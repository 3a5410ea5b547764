package gateway

import (
	"fmt"

	gqlerrors "github.com/graph-gophers/graphql-go/errors"

	"github.com/ipack-gateway/ipack-gateway/errcode"
)

// Client text that reaches a log line, a span or an error message is
// clipped, so that what a request costs to log and to answer does not grow
// with what it sends: a 1 MB operation name is neither logged nor echoed.
const (
	// maxEchoed bounds client text quoted in an error message.
	maxEchoed = 64
	// maxLoggedName bounds an operation's name (or its root fields) in
	// logs, spans and metrics.
	maxLoggedName = 128
	// maxMessage bounds one error message of a response; graphql-go's
	// validation messages quote names from the query.
	maxMessage = 512
	// maxRefusalErrors bounds the errors of a response to a request that
	// never executed (parse and validation errors): one per bad field of a
	// large document would answer kilobytes to every few bytes sent.
	// Execution errors are never dropped: each environment of an attach
	// must reach the client.
	maxRefusalErrors = 20
	// maxOperationName is the longest operationName a request may carry.
	// GraphQL names are identifiers; clients use a few dozen bytes.
	maxOperationName = 256
)

// clip is errcode.Clip, under the short name this package's many callers
// use.
func clip(s string, n int) string { return errcode.Clip(s, n) }

// boundErrors clips long messages, and when the request never executed
// (no data) keeps the first maxRefusalErrors errors and one that says how
// many more there were.
func boundErrors(errs []*gqlerrors.QueryError, executed bool) []*gqlerrors.QueryError {
	for _, e := range errs {
		e.Message = clip(e.Message, maxMessage)
	}
	if executed || len(errs) <= maxRefusalErrors {
		return errs
	}
	more := &gqlerrors.QueryError{
		Message:    fmt.Sprintf("%d more errors not shown", len(errs)-maxRefusalErrors),
		Extensions: errs[maxRefusalErrors].Extensions,
	}
	return append(errs[:maxRefusalErrors:maxRefusalErrors], more)
}
