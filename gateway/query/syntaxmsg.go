package query

import (
	"regexp"
	"strings"
)

// syntaxErrorMessage words a gqlparser syntax error as graphql-js does,
// which is how the vendor's endpoint words them: its "400: Validation error"
// sample (Get All Accounts) reads `Syntax Error: Unexpected "}".`, where
// gqlparser says `Unexpected }`. graphql-js prefixes "Syntax Error: ",
// quotes punctuators ("}", "..."; not <EOF> nor `Name "x"`, which gqlparser
// already writes as graphql-js does) and ends with a period.
func syntaxErrorMessage(msg string) string {
	if m := unexpectedToken.FindStringSubmatch(msg); m != nil {
		msg = "Unexpected " + tokenDesc(m[1]) + "."
	} else if m := expectedFound.FindStringSubmatch(msg); m != nil {
		msg = "Expected " + tokenDesc(m[1]) + ", found " + tokenDesc(m[2]) + "."
	} else if m := emptyList.FindStringSubmatch(msg); m != nil {
		// An empty selection set (or argument list): graphql-js wants the
		// name the list must start with.
		msg = "Expected Name, found " + tokenDesc(m[1]) + "."
	} else if m := unexpectedChar.FindStringSubmatch(msg); m != nil {
		msg = "Unexpected character: " + m[1] + "."
	} else if m := invalidChar.FindStringSubmatch(msg); m != nil {
		msg = "Invalid character: U+" + strings.ToUpper(m[1]) + "."
	}
	// gqlparser's other messages are graphql-js's already.
	return "Syntax Error: " + msg
}

// token is how gqlparser describes a token: its kind, then its value in
// quotes when it has one (Name "x", String "y").
const token = `(\S+(?: "(?:[^"\\]|\\.)*")?)`

var (
	unexpectedToken = regexp.MustCompile(`^Unexpected ` + token + `$`)
	expectedFound   = regexp.MustCompile(`^Expected ` + token + `, found ` + token + `$`)
	emptyList       = regexp.MustCompile(`^expected at least one definition, found ` + token + `$`)
	unexpectedChar  = regexp.MustCompile(`^Cannot parse the unexpected character ("(?:[^"\\]|\\.)*")\.$`)
	invalidChar     = regexp.MustCompile(`^Cannot contain the invalid character "\\u([0-9a-fA-F]{4})"$`)
)

// tokenDesc is graphql-js's description of a token gqlparser described as
// desc: a punctuator in quotes, anything else as it is.
func tokenDesc(desc string) string {
	switch desc {
	case "!", "$", "&", "(", ")", "...", ":", "=", "@", "[", "]", "{", "|", "}":
		return `"` + desc + `"`
	}
	return desc
}
