package main

import (
	"github.com/ipack-gateway/ipack-gateway/internal/testutil"

	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ipack-gateway/ipack-gateway/platformapi/simulator"
)

// startRun runs the whole program with args until the test ends and
// returns its base URL once /healthz answers, with what it prints and logs.
// The address is read from its "listening" log line, which both modes
// write.
func startRun(t *testing.T, args []string, getenv func(string) string) (base string, stdout, stderr *testutil.SyncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr = &testutil.SyncBuffer{}, &testutil.SyncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, getenv, stdout, stderr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("run did not return after cancel")
		}
	})
	addr := testutil.WaitFor(t, stderr, regexp.MustCompile(`"addr":"(127\.0\.0\.1:\d+)"`), 5*time.Second, done)
	base = "http://" + addr
	testutil.WaitHealthy(t, base, 5*time.Second, done, stderr)
	return base, stdout, stderr
}

func TestVersionFlag(t *testing.T) {
	var out strings.Builder
	if err := run(context.Background(), []string{"-version"}, func(string) string { return "" }, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^ipack-gateway \S+ \(go1\.\d+`).MatchString(out.String()) {
		t.Errorf("-version printed %q", out.String())
	}
}

func writeConfig(t *testing.T, dir, upstream string, tokens ...string) string {
	t.Helper()
	var hashes []string
	for _, tok := range tokens {
		sum := sha256.Sum256([]byte(tok))
		hashes = append(hashes, `"sha256:`+hex.EncodeToString(sum[:])+`"`)
	}
	cfg := fmt.Sprintf(`listen: 127.0.0.1:0
platform: {baseURL: %q}
spaces:
  - guid: space-1
    accountId: %s
    credentials: {username: %s, password: "${REST_PASSWORD}"}
    clientTokens: [%s]
`, upstream, simulator.DemoAccountID, simulator.DemoUsername, strings.Join(hashes, ", "))
	path := filepath.Join(dir, "gateway.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCheckConfig(t *testing.T) {
	dir := t.TempDir()
	good := writeConfig(t, dir, "https://api.example.com/api/rest/v1", "tok")
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("graphql: {maxDepth: deep}\nspaces: []\n"), 0o600)
	env := func(k string) string {
		if k == "REST_PASSWORD" {
			return "pw"
		}
		return ""
	}
	tests := []struct {
		args    []string
		env     func(string) string
		wantOut string
		wantErr string
	}{
		{[]string{"-config", good, "-check-config"}, env, "config OK (1 space)", ""},
		{[]string{"-config", good, "-check-config"}, func(string) string { return "" }, "", "spaces[0].credentials.password: environment variable REST_PASSWORD is not set"},
		{[]string{"-config", bad, "-check-config"}, env, "", "graphql.maxDepth: want an integer"},
		{[]string{"-check-config"}, env, "", "-check-config needs -config"},
	}
	for _, tt := range tests {
		var out strings.Builder
		err := run(context.Background(), tt.args, tt.env, &out, io.Discard)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("run(%q) = %v", tt.args, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("run(%q) = %v, want an error containing %q", tt.args, err, tt.wantErr)
		case !strings.Contains(out.String(), tt.wantOut):
			t.Errorf("run(%q) printed %q, want %q", tt.args, out.String(), tt.wantOut)
		}
	}
}

// TestSIGHUPReloadsTokens starts the program with a config file, rewrites
// the file with a new client token, sends SIGHUP and waits (bounded) for
// the new token to be accepted; an invalid file on the next SIGHUP is
// refused and the tokens stay.
func TestSIGHUPReloadsTokens(t *testing.T) {
	sim := simulator.NewDemo(simulator.Options{RateLimit: -1})
	up := http.Server{Handler: sim}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go up.Serve(ln)
	defer up.Close()

	dir := t.TempDir()
	path := writeConfig(t, dir, "http://"+ln.Addr().String(), "old-token")
	env := func(k string) string {
		if k == "REST_PASSWORD" {
			return simulator.DemoPassword
		}
		return ""
	}
	base, _, logs := startRun(t, []string{"-config", path}, env)
	status := func(token string) int {
		req, _ := http.NewRequest("POST", base+"/graphql", strings.NewReader(`{"query":"{ __typename }"}`))
		req.Header["SPACE_GUID"] = []string{"space-1"}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got := status("new-token"); got != 401 {
		t.Fatalf("new token before reload = %d, want 401", got)
	}
	writeConfig(t, dir, "http://"+ln.Addr().String(), "new-token")
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	got := 0
	for i := 0; i < 200 && got != 200; i++ { // 200 × 10ms: 2s at most
		if got = status("new-token"); got != 200 {
			time.Sleep(10 * time.Millisecond)
		}
	}
	if got != 200 || status("old-token") != 401 {
		t.Fatalf("after SIGHUP: new token %d, old token %d; want 200, 401\n%s", got, status("old-token"), logs.String())
	}

	os.WriteFile(path, []byte("spaces: [\n"), 0o600)
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 200 && !strings.Contains(logs.String(), "config reload failed"); i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), "config reload failed") {
		t.Errorf("no reload failure logged for an invalid file")
	}
	if got := status("new-token"); got != 200 {
		t.Errorf("after a bad reload the token answers %d, want 200", got)
	}
}

// TestTracingExportsOTLP: with tracing.endpoint set, the program builds the
// tracer provider, traces a GraphQL request and its REST call, and has
// exported both spans to the OTLP endpoint by the time it returns.
func TestTracingExportsOTLP(t *testing.T) {
	var mu sync.Mutex
	var got []string
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.Path+" "+r.Header.Get("Content-Type")+" "+string(body))
		mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	defer collector.Close()
	up := httptest.NewServer(simulator.NewDemo(simulator.Options{RateLimit: -1}))
	defer up.Close()
	path := writeConfig(t, t.TempDir(), up.URL, "tok")
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "tracing:\n  endpoint: %s/v1/traces\n  serviceName: gw-under-test\n", collector.URL)
	f.Close()
	env := func(k string) string {
		if k == "REST_PASSWORD" {
			return simulator.DemoPassword
		}
		return ""
	}
	t.Run("serve", func(t *testing.T) { // its cleanup stops the program, which flushes the spans
		base, _, _ := startRun(t, []string{"-config", path}, env)
		req, _ := http.NewRequest("POST", base+"/graphql", strings.NewReader(`{"query":"{ integrationPackEnvironmentAttachments(ipackInstanceId: \"SW50ZWdyYXRpb25QYWNrSW5zdGFuY2UzNDQ4Ng\") { id } }"}`))
		req.Header["SPACE_GUID"] = []string{"space-1"}
		req.Header.Set("Authorization", "Bearer tok")
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	})
	mu.Lock()
	defer mu.Unlock()
	if len(got) == 0 {
		t.Fatal("the OTLP endpoint received nothing")
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{"POST /v1/traces application/x-protobuf", "gw-under-test", "POST /graphql", "REST POST IntegrationPackEnvironmentAttachment"} {
		if !strings.Contains(all, want) {
			t.Errorf("OTLP export lacks %q", want)
		}
	}
}
