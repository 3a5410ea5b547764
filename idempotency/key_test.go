package idempotency_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ipack-gateway/ipack-gateway/idempotency"
)

func TestParseKey(t *testing.T) {
	long := strings.Repeat("k", idempotency.MaxKeyLength)
	tests := []struct {
		name   string
		values []string
		want   string // "" for an error
	}{
		{"sf-string, as the draft sends it", []string{`"8e03978e-40d5-43e8-bc93-6894a57f9324"`}, "8e03978e-40d5-43e8-bc93-6894a57f9324"},
		{"bare token", []string{"8e03978e-40d5-43e8-bc93-6894a57f9324"}, "8e03978e-40d5-43e8-bc93-6894a57f9324"},
		{"escapes", []string{`"a\"b\\c"`}, `a"b\c`},
		{"spaces around", []string{`  "k1"  `}, "k1"},
		{"longest", []string{long}, long},
		{"too long", []string{long + "k"}, ""},
		{"empty", []string{""}, ""},
		{"empty string", []string{`""`}, ""},
		{"two headers", []string{"a", "b"}, ""},
		{"unterminated", []string{`"abc`}, ""},
		{"bad escape", []string{`"a\nb"`}, ""},
		{"quote inside", []string{`"a"b"`}, ""},
		{"not ASCII", []string{"clé"}, ""},
		{"control character", []string{"a\tb"}, ""},
	}
	for _, tt := range tests {
		got, err := idempotency.ParseKey(tt.values)
		if tt.want == "" {
			if err == nil {
				t.Errorf("%s: ParseKey(%q) = %q, want an error", tt.name, tt.values, got)
			} else if len(tt.values) == 1 && tt.values[0] != "" && strings.Contains(err.Error(), strings.TrimSpace(tt.values[0])) {
				t.Errorf("%s: the error quotes the key: %v", tt.name, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: ParseKey(%q) = %q, %v; want %q", tt.name, tt.values, got, err, tt.want)
		}
	}
}

// TestFingerprint: requests that ask the same thing share a fingerprint,
// whatever their variables' key order and whitespace; any difference in
// what is asked gives another.
func TestFingerprint(t *testing.T) {
	base := idempotency.Request{Query: "mutation M { a }", OperationName: "M", Variables: json.RawMessage(`{"x": 1, "y": {"b": [1, 2], "a": "s"}}`)}
	fp := func(r idempotency.Request) idempotency.Fingerprint {
		t.Helper()
		f, err := r.Fingerprint()
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	want := fp(base)
	same := []idempotency.Request{
		{Query: base.Query, OperationName: "M", Variables: json.RawMessage(`{"y":{"a":"s","b":[1,2]},"x":1}`)},
		{Query: base.Query, OperationName: "M", Variables: json.RawMessage("\n{ \"x\" : 1 ,\"y\":{\"b\":[1,2],\"a\":\"s\"} }\n")},
	}
	for _, r := range same {
		if fp(r) != want {
			t.Errorf("%s: another fingerprint than %s", r.Variables, base.Variables)
		}
	}
	differ := []idempotency.Request{
		{Query: base.Query + " ", OperationName: "M", Variables: base.Variables},
		{Query: base.Query, OperationName: "", Variables: base.Variables},
		{Query: base.Query, OperationName: "M", Variables: json.RawMessage(`{"x": 2, "y": {"b": [1, 2], "a": "s"}}`)},
		{Query: base.Query, OperationName: "M", Variables: json.RawMessage(`{"x": 1.0, "y": {"b": [1, 2], "a": "s"}}`)},
		{Query: base.Query, OperationName: "M", Variables: json.RawMessage(`{"x": 1, "y": {"b": [2, 1], "a": "s"}}`)},
		// The fields are length-prefixed: moving text between them counts.
		{Query: "mutation M { a }M", OperationName: "", Variables: base.Variables},
	}
	for i, r := range differ {
		if fp(r) == want {
			t.Errorf("differ[%d] (%q, %q, %s): the same fingerprint", i, r.Query, r.OperationName, r.Variables)
		}
	}
	none := fp(idempotency.Request{Query: "q"})
	for _, v := range []string{"null", "{}", " { } "} {
		if fp(idempotency.Request{Query: "q", Variables: json.RawMessage(v)}) != none {
			t.Errorf("variables %q differ from none", v)
		}
	}
	if _, err := (idempotency.Request{Query: "q", Variables: json.RawMessage(`{"x":`)}).Fingerprint(); err == nil {
		t.Error("malformed variables: no error")
	}
}

// TestScopeID: the record's id depends on the space, the client and the
// key, and holds none of them.
func TestScopeID(t *testing.T) {
	a := idempotency.Scope{Space: "s1", Client: []byte("c1")}
	ids := map[string]string{
		"base":         a.ID("key-1"),
		"other key":    a.ID("key-2"),
		"other client": idempotency.Scope{Space: "s1", Client: []byte("c2")}.ID("key-1"),
		"other space":  idempotency.Scope{Space: "s2", Client: []byte("c1")}.ID("key-1"),
		"shifted":      idempotency.Scope{Space: "s1c", Client: []byte("1")}.ID("key-1"),
	}
	seen := map[string]string{}
	for name, id := range ids {
		if other, dup := seen[id]; dup {
			t.Errorf("%s and %s share an id", name, other)
		}
		seen[id] = name
		if strings.Contains(id, "key-") || len(id) != 64 {
			t.Errorf("%s: id %q", name, id)
		}
	}
}
