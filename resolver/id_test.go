package resolver

import (
	"bytes"
	"encoding/json"
	"testing"

	graphql "github.com/graph-gophers/graphql-go"
)

// TestIDEncodesAsGraphQLID: the ids REST and the gateway make (GUIDs,
// base64 of the ids package, numbers) and ids with characters JSON escapes
// are written as graphql.ID wrote them; an id with a control character,
// which graphql.ID cannot write as JSON, is written as JSON.
func TestIDEncodesAsGraphQLID(t *testing.T) {
	for _, id := range []string{
		"86b413a8-1ebf-4c95-bc5b-139573b77910",
		"SW50ZWdyYXRpb25QYWNrSW5zdGFuY2UzNDQ4Ng",
		"QVRUQUNIX0lQQUNLX0VOVlNXNTBaV2R5WVhScGIyNVFZV05yU1c1emRHRnVZMlV6TkRRNE5nOjg2YjQxM2E4",
		"12345", "", `a"b\c`, "<b>&amp;</b>", "ünïcødé ✓", "line\u2028sep",
	} {
		// graphql-go writes a scalar with json.Marshal.
		want, err := json.Marshal(graphql.ID(id))
		if err != nil {
			t.Fatal(err)
		}
		got, err := json.Marshal(ID(id))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("json.Marshal(ID(%q)) = %s, %v; graphql.ID gives %s", id, got, err, want)
		}
	}
	got, err := json.Marshal(ID("bell\a"))
	if err != nil || string(got) != `"bell\u0007"` {
		t.Errorf(`json.Marshal(ID("bell\a")) = %s, %v; want "bell\u0007"`, got, err)
	}
	var in ID
	if err := in.UnmarshalGraphQL(int32(42)); err != nil || in != "42" {
		t.Errorf("UnmarshalGraphQL(42) = %q, %v", in, err)
	}
	if err := in.UnmarshalGraphQL(1.5); err == nil {
		t.Error("UnmarshalGraphQL(1.5) accepted a float")
	}
}

// BenchmarkIDMarshal is how graphql-go writes an ID field: json.Marshal of
// the resolver's value.
func BenchmarkIDMarshal(b *testing.B) {
	const id = "SW50ZWdyYXRpb25QYWNrSW5zdGFuY2UzNDQ4Ng"
	b.Run("graphql.ID", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = json.Marshal(graphql.ID(id))
		}
	})
	b.Run("ID", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = json.Marshal(ID(id))
		}
	})
}
