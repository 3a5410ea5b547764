// Package query is what the gateway knows of a GraphQL document before
// graphql-go executes it: its operations, their types, names, root fields
// and size once fragments are expanded; whether it is within the limits
// and the cost bounds; the text graphql-go is to execute; and whether the
// request's variables fit the types the operation declares. It knows
// nothing of HTTP: package gateway decodes the request, asks this package,
// and answers.
//
// # What executes is what was checked
//
// The limits are checked on gqlparser's parse of a document, and graphql-go
// executes its own parse. Two parsers of the same text can disagree (block
// strings, escapes, Unicode, comments), and a disagreement lets a document
// be one thing when checked and another when executed: a mutation measured
// as a query's string, sent over GET; 902 root fields past a limit of 10.
// So neither parser reads the client's text for what matters. The client's
// text is lexed once and its tokens are written out again in a canonical
// form (canonical.go) on which gqlparser, graphql-go and the GraphQL
// specification agree; that one text is both what gqlparser parses and
// measures and what graphql-go is given (Document.Text). What the Analyzer
// cannot lex, parse or measure, Check refuses: it never reaches graphql-go.
// Each token keeps the client's line and column where it can, and
// Document.LocateErrors maps the others back, so that the locations of
// graphql-go's errors are the client's.
//
// # One analysis per text
//
// Analyzer.Analyze does, once per query text (the result is cached: clients
// send the same few queries over and over):
//
//  1. canonicalize, refusing on the way a document of too many tokens, too
//     long a name, or brackets nested too deep (canonical.go, cost.go);
//  2. parse the canonical text with gqlparser and measure each operation,
//     fragments expanded and each measured once (analyze.go), keeping a
//     mutation's root selections, and their items' selections, for the
//     paths of its items' errors (rootkeys.go);
//  3. validate it with gqlparser's rules, without suggestions, and refuse
//     it when it has more errors than an answer reports (cost.go): what
//     graphql-go would spend finding them is unbounded;
//  4. adapt it to what graphql-go v1.11 executes: the introspection fields
//     it lacks and the vendor's second spellings of variable types
//     (adapt.go). Analyzer.Fill completes graphql-go's answer.
//
// Per request, Check holds the document and the selected operation against
// the configured limits, and Analyzer.CheckVariables coerces and checks the
// variables (variables.go), worded as graphql-js words its errors, as the
// vendor's endpoint does (so are syntax errors: syntaxmsg.go).
//
// docs/dependability.md and docs/cost-bounds.md say what the limits and
// bounds are for clients; docs/vendor-differences.md what the adaptation
// changes.
package query
