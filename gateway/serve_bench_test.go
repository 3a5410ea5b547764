package gateway_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ipack-gateway/ipack-gateway/config"
	"github.com/ipack-gateway/ipack-gateway/gateway"
	"github.com/ipack-gateway/ipack-gateway/internal/compose"
	"github.com/ipack-gateway/ipack-gateway/platformapi/simulator"
)

// benchServer is a gateway whose upstream is the demo simulator, on
// loopback, without its rate limit; the gateway's own limits (pacing,
// per-token inbound rate) are off, so that only its work is measured.
func benchServer(b testing.TB) *gateway.Server {
	b.Helper()
	sim := httptest.NewServer(simulator.NewDemo(simulator.Options{RateLimit: -1}))
	b.Cleanup(sim.Close)
	sum := sha256.Sum256([]byte(gateway.BenchToken))
	cfg, err := config.Parse([]byte(fmt.Sprintf(`
platform: {baseURL: %q, rateLimit: {requestsPerSecond: 0}}
clients: {requestsPerSecond: 0}
spaces:
  - guid: %s
    accountId: %s
    credentials: {username: %q, password: %q}
    clientTokens: ["sha256:%s"]
`, sim.URL, gateway.BenchSpace, simulator.DemoAccountID, simulator.DemoUsername, simulator.DemoPassword, hex.EncodeToString(sum[:]))), func(string) string { return "" })
	if err != nil {
		b.Fatal(err)
	}
	// Logs are written, as in production, but to nowhere.
	s, err := compose.Gateway(cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)), compose.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return s
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
			s.ServeHTTP(w, gateway.BenchRequest(gateway.BenchAttach))
			if w.Code != http.StatusOK || strings.Contains(w.Body.String(), `"errors"`) {
				b.Fatalf("status %d: %s", w.Code, w.Body)
			}
		}
	})
}

// cannedUpstream answers every REST call at once, in process, with the
// attachment a CREATE of attach(1) gets: no network, no simulator.
type cannedUpstream struct{}

const cannedAttachment = `{"@type":"IntegrationPackEnvironmentAttachment","id":"QVRUQUNIX0lQQUNLX0VOVlNXNTBaV2R5WVhScGIyNVFZV05yU1c1emRHRnVZMlV6TkRRNE5nOjg2YjQxM2E4LTFlYmYtNGM5NS1iYzViLTEzOTU3M2I3NzkxMA","environmentId":"86b413a8-1ebf-4c95-bc5b-139573b77910","integrationPackInstanceId":"SW50ZWdyYXRpb25QYWNrSW5zdGFuY2UzNDQ4Ng"}`

func (cannedUpstream) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	return &http.Response{
		StatusCode: http.StatusOK, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(strings.NewReader(cannedAttachment)),
		ContentLength: int64(len(cannedAttachment)), Request: r,
	}, nil
}

// BenchmarkServeAttachCanned is BenchmarkServeAttach over an upstream that
// answers in process: the gateway's own work per attach(1) (middleware,
// authentication, decoding, GraphQL, the REST client's retry, budget,
// breaker and observer layers, encoding the answer), without net/http's
// client and the simulator.
func BenchmarkServeAttachCanned(b *testing.B) {
	sum := sha256.Sum256([]byte(gateway.BenchToken))
	cfg, err := config.Parse([]byte(fmt.Sprintf(`
platform: {baseURL: "http://upstream.invalid", rateLimit: {requestsPerSecond: 0}}
clients: {requestsPerSecond: 0}
spaces:
  - guid: %s
    accountId: %s
    credentials: {username: %q, password: %q}
    clientTokens: ["sha256:%s"]
`, gateway.BenchSpace, simulator.DemoAccountID, simulator.DemoUsername, simulator.DemoPassword, hex.EncodeToString(sum[:]))), func(string) string { return "" })
	if err != nil {
		b.Fatal(err)
	}
	s, err := compose.Gateway(cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)), compose.Options{Transport: cannedUpstream{}})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, gateway.BenchRequest(gateway.BenchAttach))
		if w.Code != http.StatusOK || strings.Contains(w.Body.String(), `"errors"`) {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}
