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
