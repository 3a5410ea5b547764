package query

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipack-gateway/ipack-gateway/resolver"
	"github.com/ipack-gateway/ipack-gateway/schema"
)

func testAdapter(tb testing.TB) *adapter {
	tb.Helper()
	gs, err := resolver.NewSchema(resolver.New(nil, resolver.DefaultOptions()), nil)
	if err != nil {
		tb.Fatal(err)
	}
	vc, err := newVarChecker(schema.SDL())
	if err != nil {
		tb.Fatal(err)
	}
	return newAdapter(gs, vc.schema)
}

// TestAdapterRewritesOnlyWhatGraphQLGoLacks: the introspection fields the
// adapter stands in for are exactly those graphql-go v1.11 lacks; once a
// graphql-go has one, the adapter leaves it to graphql-go.
func TestAdapterRewritesOnlyWhatGraphQLGoLacks(t *testing.T) {
	a := testAdapter(t)
	var got []string
	for typ, fields := range a.missing {
		for f := range fields {
			got = append(got, typ+"."+f)
		}
	}
	want := []string{"__Directive.deprecationReason", "__Directive.isDeprecated", "__Directive.isRepeatable", "__Schema.description", "__Type.isOneOf"}
	if strings.Join(sorted(got), " ") != strings.Join(want, " ") || a.directivesArgs {
		t.Errorf("rewritten: %v (directives takes arguments: %v), want %v", sorted(got), a.directivesArgs, want)
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// Costs of the adaptation (README's numbers in docs/vendor-differences.md):
// analysing a document with and without it (a cache miss: analyses are
// cached by query text), and filling in an introspection answer.
func BenchmarkAdapt(b *testing.B) {
	a := testAdapter(b)
	read := func(name string) string {
		// Package gateway's: its tests send the same documents.
		data, err := os.ReadFile(filepath.Join("..", "testdata", name))
		if err != nil {
			b.Fatal(err)
		}
		return string(data)
	}
	attach := `mutation attachIpackInstance { integrationPackInstanceEnvironmentAttachmentAttach(input: {integrationPackInstanceId: "SW50ZWdyYXRpb25QYWNrSW5zdGFuY2UzNDQ4Ng", environmentIds: ["86b413a8-1ebf-4c95-bc5b-139573b77910"]}) { id environmentId integrationPackInstanceId environmentExtensions } }`
	for _, doc := range []struct{ name, query string }{
		{"attach", attach},
		{"graphiql-introspection", read("introspection.graphql")},
		{"all-options-introspection", read("introspection-all-options.graphql")},
	} {
		b.Run("analyze/"+doc.name+"/plain", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				(&Analyzer{}).measure(doc.query)
			}
		})
		b.Run("analyze/"+doc.name+"/adapted", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				(&Analyzer{adapter: a}).measure(doc.query)
			}
		})
	}
	// graphql-go's answer to the adapted all-options query, placeholders
	// and all.
	d := (&Analyzer{adapter: a}).measure(read("introspection-all-options.graphql"))
	resp := a.gs.Exec(context.Background(), d.canon.text, "", nil)
	if len(resp.Errors) != 0 || !d.fill {
		b.Fatalf("adapted query: %v", resp.Errors)
	}
	data := []byte(resp.Data)
	// For scale: graphql-go executing it (a cached analysis skips the
	// analyze rows above; every such request pays this and fill).
	b.Run("exec-all-options-introspection", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			a.gs.Exec(context.Background(), d.canon.text, "", nil)
		}
	})
	b.Run("fill", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := a.fillAnswer(data); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestFillAnswer: placeholders are replaced where they are keys, and only
// there; every other byte stays.
func TestFillAnswer(t *testing.T) {
	a := testAdapter(t)
	in := `{"a":"x\"__gw_oneOf__k\":\"Criteria","__gw_oneOf__k":"Criteria","b":["__gw_null__z"],"t":{"__gw_oneOf__o":null,"__gw_oneOf__e":"Operator"},` +
		`"__gw_repeatable__r":"skip","__gw_description__d":"Query","__gw_false__f":"__Directive","__gw_null__n":"__Directive","z":"\u003c\\"}`
	want := `{"a":"x\"__gw_oneOf__k\":\"Criteria","k":false,"b":["__gw_null__z"],"t":{"o":null,"e":null},` +
		`"r":false,"d":null,"f":false,"n":null,"z":"\u003c\\"}`
	got, err := a.fillAnswer([]byte(in))
	if err != nil || string(got) != want {
		t.Errorf("fillAnswer =\n%s, %v\nwant\n%s", got, err, want)
	}
	if got, err := a.fillAnswer([]byte(`{"a":"b"}`)); err != nil || string(got) != `{"a":"b"}` {
		t.Errorf("no placeholder: %s %v", got, err)
	}
	if _, err := a.fillAnswer([]byte(`{"a":"b`)); err == nil {
		t.Error("an unterminated string passed")
	}
}
