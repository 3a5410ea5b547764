package query

import (
	"strings"
	"testing"
)

// TestCanonicalizeScreens: as it lexes, canonicalize bounds tokens exactly
// and names, and leaves a lexical error to be reported as one.
func TestCanonicalizeScreens(t *testing.T) {
	lim := lexLimits{tokens: 5, nameLength: MaxNameLength}
	tests := []struct {
		query   string
		tooMany bool
	}{
		{"{ a b c }", false},      // 5 tokens
		{"{ a, b, c, }", false},   // commas are no tokens
		{"# c\n{ a b c }", false}, // nor comments
		{"{ a b c d }", true},
		{"{ \"unterminated }", false},
	}
	for _, tt := range tests {
		_, lerr := canonicalize(tt.query, lim)
		if got := lerr != nil && lerr.tooMany; got != tt.tooMany {
			t.Errorf("canonicalize(%q) = %+v, want too many tokens %v", tt.query, lerr, tt.tooMany)
		}
	}
	if _, lerr := canonicalize("{ \"unterminated }", lim); lerr == nil || lerr.msg != "Syntax Error: Unterminated string." {
		t.Errorf("a lexical error: %+v, want it reported as one", lerr)
	}

	lim.tokens = 100
	long := strings.Repeat("a", MaxNameLength+1)
	if _, lerr := canonicalize("{ "+long[:MaxNameLength]+" }", lim); lerr != nil {
		t.Errorf("a name of %d bytes refused: %+v", MaxNameLength, lerr)
	}
	if _, lerr := canonicalize("{ x "+long+" }", lim); lerr == nil || lerr.tooMany || !strings.HasPrefix(lerr.msg, "syntax error: a name of") || lerr.line != 1 || lerr.col != 5 {
		t.Errorf("a name of %d bytes: %+v, want a parse error at 1:5", MaxNameLength+1, lerr)
	}
}

// TestCanonicalizeScreenFirst: the bounds on tokens and names are checked
// on every token up to a lexical error, whatever comes before, as when
// they were checked in a pass of their own before the canonical text was
// written: a document too deep, then past a bound, is refused for the
// bound; too deep, then not lexing, for its depth.
func TestCanonicalizeScreenFirst(t *testing.T) {
	deep := strings.Repeat("{a", MaxNesting+1)
	lim := lexLimits{tokens: 1000, nameLength: MaxNameLength}
	tests := []struct {
		name, query string
		want        string // the start of the refusal's message
		tooMany     bool
	}{
		{"deep", deep, "syntax error: nested more than 64 levels deep", false},
		{"deep, then a long name", deep + " " + strings.Repeat("b", MaxNameLength+1), "syntax error: a name of 129 bytes", false},
		{"deep, then too many tokens", deep + strings.Repeat(" b", 1000), "the document holds more than 1000 tokens", true},
		{"deep, then a lexical error", deep + ` "unterminated`, "syntax error: nested more than 64 levels deep", false},
		{"a lexical error, then a long name", `{ "unterminated` + "\n" + strings.Repeat("b", MaxNameLength+1), "Syntax Error: Unterminated string.", false},
	}
	for _, tt := range tests {
		_, lerr := canonicalize(tt.query, lim)
		if lerr == nil || !strings.HasPrefix(lerr.msg, tt.want) || lerr.tooMany != tt.tooMany {
			t.Errorf("%s: %+v, want %q", tt.name, lerr, tt.want)
		}
	}
	// Without bounds, depth is refused at once.
	if _, lerr := canonicalize(deep+" "+strings.Repeat("b", MaxNameLength+1), lexLimits{}); lerr == nil || !strings.HasPrefix(lerr.msg, "syntax error: nested") {
		t.Errorf("no bounds: %+v, want the depth refused", lerr)
	}
}
