package compose_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/ipack-gateway/ipack-gateway/config"
	"github.com/ipack-gateway/ipack-gateway/internal/compose"
	"github.com/ipack-gateway/ipack-gateway/ratelimit/redistest"
)

// parse is a config with one space, its REST API nowhere,
// with platform's extra keys and extra top-level ones.
func parse(t *testing.T, platform, extra string) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(`platform: {baseURL: "http://127.0.0.1:1"`+platform+`}
drainDelay: 0s
spaces:
  - guid: g
    accountId: a
    credentials: {username: u, password: p}
    clientTokens: ["sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"] # sha256("foo")
`+extra), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// serveOnce serves gw on a loopback port, sends one /graphql request with
// a token nobody knows (a failed authentication: charged to the throttle,
// traced), then stops it and returns once Serve has returned.
func serveOnce(t *testing.T, gw interface {
	Serve(context.Context, net.Listener) error
}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- gw.Serve(ctx, ln) }()
	req, _ := http.NewRequest("POST", "http://"+ln.Addr().String()+"/graphql", strings.NewReader(`{"query":"{ __typename }"}`))
	req.Header["SPACE_GUID"] = []string{"g"}
	req.Header.Set("Authorization", "Bearer nobody")
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("an unknown token: %d, want 401", res.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
}

// What Gateway opens from the configuration, Serve closes as it returns:
// the Redis store, then the tracer provider, which flushes the request's
// span to the collector.
func TestServeClosesWhatGatewayOpened(t *testing.T) {
	rd := redistest.New(t)
	var exports atomic.Int32
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		exports.Add(1)
	}))
	defer collector.Close()
	cfg := parse(t, ", rateLimit: {store: redis}", fmt.Sprintf(`clients: {authFailuresPerMinute: 10}
redis: {url: %q, keyPrefix: "compose-test:"}
tracing: {endpoint: %q}
`, rd.URL(), collector.URL+"/v1/traces"))
	gw, err := compose.Gateway(cfg, slog.New(slog.DiscardHandler), compose.Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	serveOnce(t, gw)
	if exports.Load() == 0 {
		t.Error("the collector received nothing by the time Serve returned: the tracer provider was not flushed")
	}
}

// A tracer provider the caller gives stays the caller's: Serve does not
// shut it down.
func TestCallersTracerStaysOpen(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	gw, err := compose.Gateway(parse(t, "", ""), slog.New(slog.DiscardHandler), compose.Options{Tracer: tp})
	if err != nil {
		t.Fatal(err)
	}
	serveOnce(t, gw)
	n := len(rec.Ended())
	if n == 0 {
		t.Fatal("no span recorded for the request")
	}
	_, span := tp.Tracer("test").Start(context.Background(), "after Serve")
	span.End()
	if got := len(rec.Ended()); got != n+1 {
		t.Errorf("%d spans ended after Serve returned, want %d: the caller's provider was shut down", got, n+1)
	}
}
