package query

import (
	"fmt"
	"net/http"

	"github.com/ipack-gateway/ipack-gateway/config"
	"github.com/ipack-gateway/ipack-gateway/errcode"
)

// Refusal is why a request is answered before graphql-go parses, validates
// or executes its document, and where in the client's text, when that is
// known.
type Refusal struct {
	// Err is the refusal's error: GRAPHQL_PARSE_FAILED or
	// GRAPHQL_VALIDATION_FAILED, answered as a GraphQL error, or
	// METHOD_NOT_ALLOWED (a mutation over GET), an HTTP error.
	Err *errcode.Error
	// Line and Column locate it in the client's text (1-based); 0 when it
	// has no place there.
	Line, Column int
}

func refuse(code errcode.Code, format string, args ...any) *Refusal {
	return &Refusal{Err: errcode.New(code, fmt.Sprintf(format, args...))}
}

// Check checks a request's document against the limits lim before
// graphql-go parses, validates or executes it, and returns why it is
// refused, or nil. op is what doc.Operation returned for the request's
// operation name, and method the request's HTTP method.
//
// What the gateway cannot measure it refuses: a document gqlparser cannot
// lex or parse never reaches graphql-go, and one it can reaches graphql-go
// as the canonical text it measured (Document.Text). The limits apply to
// the document as it expands (fragments spread in place); the selection
// bound applies to all its operations, since graphql-go validates them
// all, and the others to the operation that executes. A document without
// the operation asked for is not refused: graphql-go says which operation
// is missing, and nothing executes.
func Check(doc *Document, op *Operation, method string, lim config.GraphQLConfig) *Refusal {
	switch {
	case doc.parseErr != "":
		return &Refusal{Err: errcode.New(errcode.GraphQLParseFailed, doc.parseErr), Line: doc.parseLine, Column: doc.parseCol}
	case doc.invalid != "":
		return refuse(errcode.GraphQLValidationFailed, "%s", doc.invalid)
	case doc.selections > lim.MaxSelections:
		return refuse(errcode.GraphQLValidationFailed, "the document selects %s fields and fragments, fragments expanded; at most %d are allowed", count(doc.selections), lim.MaxSelections)
	case op.typ == "":
		return nil // not in the document: graphql-go says so; nothing executes
	case method == http.MethodGet && op.IsMutation():
		return refuse(errcode.MethodNotAllowed, "mutations must be sent with POST")
	case op.size.RootFields > lim.MaxRootFields:
		return refuse(errcode.GraphQLValidationFailed, "the operation selects %s root fields; at most %d are allowed", count(op.size.RootFields), lim.MaxRootFields)
	case op.size.Aliases > lim.MaxAliases:
		return refuse(errcode.GraphQLValidationFailed, "the operation selects %s aliased fields, fragments expanded; at most %d are allowed", count(op.size.Aliases), lim.MaxAliases)
	case op.size.Depth > lim.MaxDepth:
		return refuse(errcode.GraphQLValidationFailed, "the operation nests fields %d deep; at most %d are allowed", op.size.Depth, lim.MaxDepth)
	}
	return nil
}

// count renders a measured count, which saturates.
func count(n int) string {
	if n >= saturate {
		return fmt.Sprintf("over %d", saturate)
	}
	return fmt.Sprint(n)
}
