package query

import "testing"

// TestSyntaxErrorMessage: gqlparser's syntax errors read as graphql-js's,
// the vendor's endpoint's, do.
func TestSyntaxErrorMessage(t *testing.T) {
	for _, tc := range []struct{ query, want string }{
		// The vendor's sample message (Get All Accounts, "400: Validation
		// error").
		{"{ a(b: { c: }) }", `Syntax Error: Unexpected "}".`},
		{"{ a(b: ...) }", `Syntax Error: Unexpected "...".`},
		{"{ a ", `Syntax Error: Expected Name, found <EOF>.`},
		{"{ }", `Syntax Error: Expected Name, found "}".`},
		{"query q(", `Syntax Error: Expected "$", found <EOF>.`},
		{"fragment f { a }", `Syntax Error: Expected "on", found "{".`},
		{"{ a(b: 'c') }", `Syntax Error: Unexpected single quote character ('), did you mean to use a double quote (")?`},
		{`{ a(b: "c) }`, `Syntax Error: Unterminated string.`},
		{"{ a(b: 01) }", `Syntax Error: Invalid number, unexpected digit after 0: "1".`},
		{"x", `Syntax Error: Unexpected Name "x".`},
		{"{ a(b: \u0001) }", `Syntax Error: Invalid character: U+0001.`},
		{"{ a(b: ~) }", `Syntax Error: Unexpected character: "~".`},
	} {
		d := measureDocument(tc.query)
		if d.parseErr != tc.want {
			t.Errorf("%q: %q, want %q", tc.query, d.parseErr, tc.want)
		}
	}
}
