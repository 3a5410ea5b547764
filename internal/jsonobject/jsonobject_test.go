package jsonobject_test

import (
	"encoding/json"
	"testing"

	"github.com/ipack-gateway/ipack-gateway/internal/jsonobject"
)

func TestMembersRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		in, want string // want "" for an error
	}{
		{`{}`, `{}`},
		{` { "b" : 1, "a" : [1, {"x": null}] } `, `{"b":1,"a":[1,{"x":null}]}`},
		{"{\"k\":\"v\"}\n", `{"k":"v"}`},
		{`{"dup":1,"dup":2}`, `{"dup":1,"dup":2}`}, // kept as sent
		// Not one object: each was accepted by one of the two copies this
		// package replaces.
		{`{}x`, ""},
		{`{}}`, ""},
		{`{}{}`, ""},
		{`{} 1`, ""},
		{`[]`, ""},
		{`"s"`, ""},
		{``, ""},
		{`{"a":}`, ""},
		{`{"a":1`, ""},
	} {
		ms, err := jsonobject.Members([]byte(tc.in))
		switch {
		case tc.want == "" && err == nil:
			t.Errorf("Members(%q) = %v, want an error", tc.in, ms)
		case tc.want != "" && err != nil:
			t.Errorf("Members(%q) = %v", tc.in, err)
		case tc.want != "":
			if got := string(jsonobject.Encode(ms)); got != tc.want {
				t.Errorf("Encode(Members(%q)) = %s, want %s", tc.in, got, tc.want)
			}
		}
	}
}

func TestIndexAndEncode(t *testing.T) {
	ms := []jsonobject.Member{{"a", json.RawMessage(`1`)}, {"b", json.RawMessage(` [ 2 ] `)}}
	if i := jsonobject.Index(ms, "b"); i != 1 {
		t.Errorf("Index(b) = %d, want 1", i)
	}
	if i := jsonobject.Index(ms, "c"); i != -1 {
		t.Errorf("Index(c) = %d, want -1", i)
	}
	if got := string(jsonobject.Encode(ms)); got != `{"a":1,"b":[2]}` {
		t.Errorf("Encode = %s", got)
	}
}
