package gateway

import (
	"fmt"
	"net/http"

	"github.com/ipack-gateway/ipack-gateway/errcode"
)

// refusal is why a request is answered before execution, and where in the
// query, when that is known.
type refusal struct {
	err       *errcode.Error
	line, col int
}

func refuse(code errcode.Code, format string, args ...any) *refusal {
	return &refusal{err: errcode.New(code, fmt.Sprintf(format, args...))}
}

// admit checks a request's document against the limits before graphql-go
// parses, validates or executes it. What the gateway cannot measure it
// refuses: a document gqlparser cannot lex or parse never reaches
// graphql-go, and one it can reaches graphql-go as the canonical text it
// measured (canonical.go). The limits apply to the document
// as it expands (fragments spread in place); the selection bound applies to
// all its operations, since graphql-go validates them all, and the others
// to the operation that executes.
func (s *Server) admit(doc *docInfo, op *operation, found bool, method string) *refusal {
	lim := s.cfg.GraphQL
	switch {
	case doc.parseErr != "":
		return &refusal{err: errcode.New(errcode.GraphQLParseFailed, doc.parseErr), line: doc.parseLine, col: doc.parseCol}
	case doc.invalid != "":
		return refuse(errcode.GraphQLValidationFailed, "%s", doc.invalid)
	case doc.selections > lim.MaxSelections:
		return refuse(errcode.GraphQLValidationFailed, "the document selects %s fields and fragments, fragments expanded; at most %d are allowed", count(doc.selections), lim.MaxSelections)
	case !found:
		return nil // graphql-go says which operation is missing; nothing executes
	case method == http.MethodGet && op.mutation():
		return refuse(errcode.MethodNotAllowed, "mutations must be sent with POST")
	case op.rootFields > lim.MaxRootFields:
		return refuse(errcode.GraphQLValidationFailed, "the operation selects %s root fields; at most %d are allowed", count(op.rootFields), lim.MaxRootFields)
	case op.aliases > lim.MaxAliases:
		return refuse(errcode.GraphQLValidationFailed, "the operation selects %s aliased fields, fragments expanded; at most %d are allowed", count(op.aliases), lim.MaxAliases)
	case op.depth > lim.MaxDepth:
		return refuse(errcode.GraphQLValidationFailed, "the operation nests fields %d deep; at most %d are allowed", op.depth, lim.MaxDepth)
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

// overlapPairLimit caps the pairs of selections graphql-go's validation
// compares for "fields can be merged" in one document; past it the
// document is refused (GRAPHQL_VALIDATION_FAILED). Only fields of the same
// response name, and fragments, are compared: GraphiQL's introspection
// query and the vendor's samples examine none; 2,000 pairs cost graphql-go
// about 1.5 ms and 0.4 MB.
const overlapPairLimit = 2000
