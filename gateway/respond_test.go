package gateway

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	graphql "github.com/graph-gophers/graphql-go"
	gqlerrors "github.com/graph-gophers/graphql-go/errors"
)

// respondRoot answers strings that JSON encoders treat specially.
type respondRoot struct{}

func (*respondRoot) Texts() *[]*string {
	s := func(v string) *string { return &v }
	return &[]*string{s(`<b>&amp;</b>`), s("line\u2028sep\u2029para"), s(`"quoted" \ back\slash`), s("tab\tnew\nline\x01"), s("ünïcødé ✓ 😀"), nil}
}
func (*respondRoot) Num() float64 { return 1.5e300 }
func (*respondRoot) Flag() bool   { return true }
func (*respondRoot) Id() graphql.ID {
	return graphql.ID("a<b>&c")
}

// TestWriteResponseMatchesEncoder: written as graphql-go made it, a
// response is byte for byte what encoding it with writeJSON gives, headers
// and status included; one with errors is encoded.
func TestWriteResponseMatchesEncoder(t *testing.T) {
	schema := graphql.MustParseSchema(`type Query { texts: [String] num: Float! flag: Boolean! id: ID! }`, &respondRoot{})
	data := schema.Exec(context.Background(), `{ texts num flag id a: texts }`, "", nil)
	if len(data.Errors) > 0 {
		t.Fatal(data.Errors)
	}
	for name, resp := range map[string]*graphql.Response{
		"data":   data,
		"errors": {Data: data.Data, Errors: []*gqlerrors.QueryError{{Message: "<oops>", Path: []any{"texts", 1}}}},
		"null":   {Data: []byte("null")},
		"empty":  {},
	} {
		for _, status := range []int{200, 400} {
			want := httptest.NewRecorder()
			writeJSON(want, status, resp)
			got := httptest.NewRecorder()
			writeResponse(got, status, resp)
			if got.Body.String() != want.Body.String() || got.Code != want.Code || got.Header().Get("Content-Type") != want.Header().Get("Content-Type") {
				t.Errorf("%s, %d: writeResponse wrote %d %q %s\nwriteJSON wrote %d %q %s", name, status,
					got.Code, got.Header().Get("Content-Type"), got.Body, want.Code, want.Header().Get("Content-Type"), want.Body)
			}
		}
	}
}

// BenchmarkWriteResponse is the answer to attach(1).
func BenchmarkWriteResponse(b *testing.B) {
	resp := &graphql.Response{Data: []byte(`{"integrationPackInstanceEnvironmentAttachmentAttach":[{"id":"QVRUQUNIX0lQQUNLX0VOVlNXNTBaV2R5WVhScGIyNVFZV05yU1c1emRHRnVZMlV6TkRRNE5nOjg2YjQxM2E4LTFlYmYtNGM5NS1iYzViLTEzOTU3M2I3NzkxMA","environmentId":"86b413a8-1ebf-4c95-bc5b-139573b77910","integrationPackInstanceId":"SW50ZWdyYXRpb25QYWNrSW5zdGFuY2UzNDQ4Ng","environmentExtensions":null}]}`)}
	rec := httptest.NewRecorder()
	// Wrapped, as the access log hands it on.
	w := struct{ http.ResponseWriter }{rec}
	b.ReportAllocs()
	for b.Loop() {
		rec.Body.Reset()
		writeResponse(w, 200, resp)
	}
}
