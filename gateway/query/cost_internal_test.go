package query

import "testing"

// TestVetterScreen: the token bound is exact, names are bounded, and a
// lexical error is left to the parser.
func TestVetterScreen(t *testing.T) {
	v := &vetter{maxTokens: 5}
	tests := []struct {
		query   string
		refused bool
	}{
		{"{ a b c }", false},      // 5 tokens
		{"{ a, b, c, }", false},   // commas are no tokens
		{"# c\n{ a b c }", false}, // nor comments
		{"{ a b c d }", true},
		{"{ \"unterminated }", false},
	}
	for _, tt := range tests {
		if d := v.screen(tt.query); (d != nil) != tt.refused {
			t.Errorf("screen(%q) = %+v, want refused %v", tt.query, d, tt.refused)
		}
	}
	v.maxTokens = 100
	long := make([]byte, MaxNameLength+1)
	for i := range long {
		long[i] = 'a'
	}
	if d := v.screen("{ " + string(long[:MaxNameLength]) + " }"); d != nil {
		t.Errorf("a name of %d bytes refused: %+v", MaxNameLength, d)
	}
	if d := v.screen("{ x " + string(long) + " }"); d == nil || d.parseErr == "" || d.parseLine != 1 || d.parseCol != 5 {
		t.Errorf("a name of %d bytes: %+v, want a parse error at 1:5", MaxNameLength+1, d)
	}
}
