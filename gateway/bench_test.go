package gateway

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ipack-gateway/ipack-gateway/config"
)

// The bench space, its token, and the vendor's attach sample (seed
// attach-integration-pack-instance.md), exported for gateway_test.
const (
	BenchSpace  = "bench-space"
	BenchToken  = "bench-token"
	BenchAttach = `{"query":"mutation attachIpackInstance { integrationPackInstanceEnvironmentAttachmentAttach(input: {integrationPackInstanceId: \"SW50ZWdyYXRpb25QYWNrSW5zdGFuY2UzNDQ4Ng\", environmentIds: [\"86b413a8-1ebf-4c95-bc5b-139573b77910\"]}) { id environmentId integrationPackInstanceId environmentExtensions } }"}`
)

// BenchRequest is a POST of body to /graphql with the bench space's
// headers (exported for the gateway_test benchmarks).
func BenchRequest(body string) *http.Request {
	return benchRequest(body)
}

func benchRequest(body string) *http.Request {
	r := httptest.NewRequest("POST", "/graphql", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Accept", "application/json")
	r.Header.Set("SPACE_GUID", BenchSpace)
	r.Header.Set("Authorization", "Bearer "+BenchToken)
	return r
}

// BenchmarkDecodeRequest is the GraphQL-over-HTTP decoding of the attach
// sample: media type, size limit, JSON.
func BenchmarkDecodeRequest(b *testing.B) {
	s := &Server{cfg: &config.Config{GraphQL: config.GraphQLConfig{MaxBodyBytes: config.DefaultMaxBodyBytes, MaxQueryLength: config.DefaultMaxQueryLength}}}
	body := []byte(BenchAttach)
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		r := benchRequest("")
		r.Body = io.NopCloser(bytes.NewReader(body))
		if _, e := s.decodeRequest(w, r); e != nil {
			b.Fatal(e)
		}
	}
}
