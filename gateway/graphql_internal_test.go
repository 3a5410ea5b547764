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
