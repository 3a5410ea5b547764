package query

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/lexer"
)

func TestCanonicalize(t *testing.T) {
	tests := []struct {
		name, query, want string
		moved             bool // some token is not where the client wrote it
	}{
		{"canonical already: the client's text", "{ n a { n } }", "{ n a { n } }", false},
		{"commas and tabs become spaces", "{ s(y: [\"a\",\t\"b\"]) }", "{ s(y: [\"a\"  \"b\"]) }", false},
		{"a comment becomes spaces", "{ n # c \" }\n a }", "{ n\n a }", false},
		{"carriage returns become line feeds", "{ n\r\n a\r b }", "{ n\n a\n b }", false},
		{"a byte order mark becomes nothing", "\ufeff{ n }", " { n }", false},
		{"escapes are written once", `{ s(x: "\u0041\/\"") n }`, `{ s(x: "A/\""` + strings.Repeat(" ", 6) + `) n }`, false},
		{"a block string becomes a plain one, lines kept", "{ s(x: \"\"\"\n  a \"q\"\n  b\"\"\")\n n }", "{ s(x: \"a \\\"q\\\"\\nb\"\n\n      )\n n }", false},
		{"beyond ASCII: escaped, and the rest of the line moves", `{ s(x: "é") n }`, `{ s(x: "\u00E9") n }`, true},
		{"beyond the BMP: braced, as graphql-go rewrites it", `{ s(x: "😀") }`, `{ s(x: "\u{01F600}") }`, true},
		{"a Go escape is refused", `{ s(x: "\x41") }`, "", false},
		{"a non-ASCII name is refused", `{ é: n }`, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := canonicalize(tt.query, lexLimits{})
			if tt.want == "" {
				if err == nil {
					t.Fatalf("canonicalize(%q) = %q, want a syntax error", tt.query, d.text)
				}
				return
			}
			if err != nil {
				t.Fatalf("canonicalize(%q): %v", tt.query, err)
			}
			if d.text != tt.want || (d.moved != nil) != tt.moved {
				t.Errorf("canonicalize(%q) = %q (moved %v), want %q (moved %v)", tt.query, d.text, d.moved != nil, tt.want, tt.moved)
			}
		})
	}
}

// TestCanonicalLocations: a location graphql-go reports in the canonical
// text maps back to the client's text, also after a string that took more
// room, and lines are the client's. (Package gateway's
// TestErrorLocationsAreTheClients checks the same through the handler.)
func TestCanonicalLocations(t *testing.T) {
	// Line 1 of the canonical text is `{ s(x: "\u00E9\u00E9") nope`: nope
	// moves from column 14 to 24. Line 2 is `  s(x: "\u{01F600}") b }`:
	// b moves from 13 to 22.
	q := "{ s(x: \"éé\") nope\r\n  s(x: \"😀\") b }"
	d, err := canonicalize(q, lexLimits{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ at, want place }{
		{place{1, 1}, place{1, 1}},   // {, where it was
		{place{1, 8}, place{1, 8}},   // the string, where it was
		{place{1, 22}, place{1, 12}}, // )
		{place{1, 24}, place{1, 14}}, // nope
		{place{1, 26}, place{1, 16}}, // inside nope
		{place{2, 3}, place{2, 3}},   // s
		{place{2, 22}, place{2, 13}}, // b
		{place{3, 1}, place{3, 1}},   // no such line: as it is
	} {
		if l, c := d.locate(tt.at.line, tt.at.col); l != tt.want.line || c != tt.want.col {
			t.Errorf("locate(%d:%d) = %d:%d, want %d:%d", tt.at.line, tt.at.col, l, c, tt.want.line, tt.want.col)
		}
	}
}

// FuzzQuote: every string value, written by quote, reads back as itself.
func FuzzQuote(f *testing.F) {
	for _, s := range []string{"", "a", `"\`, "é😀\u2028\x00\x7f\t\n", "\\u0041", "\ufffd"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if !utf8.ValidString(v) {
			v = strings.ToValidUTF8(v, "\ufffd") // gqlparser's values are valid UTF-8
		}
		q := quote(v)
		for i := 0; i < len(q); i++ {
			if q[i] < 0x20 || q[i] >= 0x7f {
				t.Fatalf("quote(%q) = %q holds a byte outside printable ASCII", v, q)
			}
		}
		tok, err := (func() (lexer.Token, error) { lx := lexer.New(&ast.Source{Input: q}); return lx.ReadToken() })()
		if err != nil || tok.Kind != lexer.String || tok.Value != v {
			t.Fatalf("quote(%q) = %q reads back as %q (%v)", v, q, tok.Value, err)
		}
	})
}
