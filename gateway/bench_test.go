package gateway

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ipack-gateway/ipack-gateway/config"
	"github.com/ipack-gateway/ipack-gateway/platformapi/simulator"
)

const (
	benchSpace = "bench-space"
	benchToken = "bench-token"
	// The vendor's attach sample (seed attach-integration-pack-instance.md).
	benchAttach = `{"query":"mutation attachIpackInstance { integrationPackInstanceEnvironmentAttachmentAttach(input: {integrationPackInstanceId: \"SW50ZWdyYXRpb25QYWNrSW5zdGFuY2UzNDQ4Ng\", environmentIds: [\"86b413a8-1ebf-4c95-bc5b-139573b77910\"]}) { id environmentId integrationPackInstanceId environmentExtensions } }"}`
)

// benchServer is a gateway whose upstream is the demo simulator, on
// loopback, without its rate limit; the gateway's own limits (pacing,
// per-token inbound rate) are off, so that only its work is measured.
func benchServer(b testing.TB) *Server {
	b.Helper()
	sim := httptest.NewServer(simulator.NewDemo(simulator.Options{RateLimit: -1}))
	b.Cleanup(sim.Close)
	sum := sha256.Sum256([]byte(benchToken))
	cfg, err := config.Parse([]byte(fmt.Sprintf(`
platform: {baseURL: %q, rateLimit: {requestsPerSecond: 0}}
clients: {requestsPerSecond: 0}
spaces:
  - guid: %s
    accountId: %s
    credentials: {username: %q, password: %q}
    clientTokens: ["sha256:%s"]
`, sim.URL, benchSpace, simulator.DemoAccountID, simulator.DemoUsername, simulator.DemoPassword, hex.EncodeToString(sum[:]))), func(string) string { return "" })
	if err != nil {
		b.Fatal(err)
	}
	// Logs are written, as in production, but to nowhere.
	s, err := Compose(cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)), ComposeOptions{})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func benchRequest(body string) *http.Request {
	r := httptest.NewRequest("POST", "/graphql", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Accept", "application/json")
	r.Header.Set("SPACE_GUID", benchSpace)
	r.Header.Set("Authorization", "Bearer "+benchToken)
	return r
}

// BenchmarkDecodeRequest is the GraphQL-over-HTTP decoding of the attach
// sample: media type, size limit, JSON.
func BenchmarkDecodeRequest(b *testing.B) {
	s := &Server{cfg: &config.Config{GraphQL: config.GraphQLConfig{MaxBodyBytes: config.DefaultMaxBodyBytes, MaxQueryLength: config.DefaultMaxQueryLength}}}
	body := []byte(benchAttach)
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

// BenchmarkServeAttach is one attach(1) through the whole gateway handler:
// middleware, authentication, decoding, GraphQL, one REST CREATE over
// loopback to the simulator (whose work is included), and the response.
func BenchmarkServeAttach(b *testing.B) {
	s := benchServer(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w := httptest.NewRecorder()
			s.ServeHTTP(w, benchRequest(benchAttach))
			if w.Code != http.StatusOK || strings.Contains(w.Body.String(), `"errors"`) {
				b.Fatalf("status %d: %s", w.Code, w.Body)
			}
		}
	})
}

// BenchmarkAnalyze is the gateway's own parse of a query (gqlparser, for
// the operation type and the root-field and alias limits): once per query
// text, then from its cache.
func BenchmarkAnalyze(b *testing.B) {
	var req struct{ Query string }
	if err := json.Unmarshal([]byte(benchAttach), &req); err != nil {
		b.Fatal(err)
	}
	b.Run("cached", func(b *testing.B) {
		a := newAnalyzer()
		a.analyze(req.Query)
		b.ReportAllocs()
		for b.Loop() {
			if d := a.analyze(req.Query); !d.parsed {
				b.Fatal("not parsed")
			}
		}
	})
	b.Run("uncached", func(b *testing.B) { // a fresh cache each time

		b.ReportAllocs()
		for b.Loop() {
			if d := newAnalyzer().analyze(req.Query); !d.parsed {
				b.Fatal("not parsed")
			}
		}
	})
}
