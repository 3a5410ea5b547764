package gateway

import (
	"encoding/json"
	"testing"
)

// TestJSONValues: the count is exact for valid JSON, however it is
// spaced, whatever its strings hold.
func TestJSONValues(t *testing.T) {
	tests := []struct {
		json string
		want int
	}{
		{`null`, 1},
		{`{}`, 1},
		{`[]`, 1},
		{`{"a": 1}`, 2},
		{`{"a": [1, 2, 3]}`, 5},
		{`{"ids": [[], [], []]}`, 5},
		{` { "a" : { "b" : [ ] , "c" : [ { } ] } } `, 5},
		{`{"s": "a, [b] {c} \" , \\", "t": ["\\\"", ","]}`, 5},
		{`{"a": {"b": {"c": {"d": [true, false, null, 1.5e3, -2]}}}}`, 10},
	}
	for _, tt := range tests {
		if !json.Valid([]byte(tt.json)) {
			t.Fatalf("%s is not JSON", tt.json)
		}
		if got := jsonValues([]byte(tt.json)); got != tt.want {
			t.Errorf("jsonValues(%s) = %d, want %d", tt.json, got, tt.want)
		}
	}
}

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
	long := make([]byte, maxNameLength+1)
	for i := range long {
		long[i] = 'a'
	}
	if d := v.screen("{ " + string(long[:maxNameLength]) + " }"); d != nil {
		t.Errorf("a name of %d bytes refused: %+v", maxNameLength, d)
	}
	if d := v.screen("{ x " + string(long) + " }"); d == nil || d.parseErr == "" || d.parseLine != 1 || d.parseCol != 5 {
		t.Errorf("a name of %d bytes: %+v, want a parse error at 1:5", maxNameLength+1, d)
	}
}
