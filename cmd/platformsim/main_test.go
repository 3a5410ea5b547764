package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipack-gateway/ipack-gateway/config"
	"github.com/ipack-gateway/ipack-gateway/ids"
	"github.com/ipack-gateway/ipack-gateway/internal/testutil"
	"github.com/ipack-gateway/ipack-gateway/platformapi/simulator"
)

// start runs the program on a loopback port and returns its base URL.
func start(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"-listen", "127.0.0.1:0"}, args...), pw, io.Discard)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the address line: %v", err)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	base, ok := strings.CutPrefix(strings.TrimSpace(line), "listening ")
	if !ok {
		t.Fatalf("first line = %q, want \"listening http://…\"", line)
	}
	return base
}

func create(t *testing.T, base, env string) int {
	t.Helper()
	body := `{"integrationPackInstanceId":"` + ids.Instance(34486) + `","environmentId":"` + env + `"}`
	req, _ := http.NewRequest("POST", base+"/"+simulator.DemoAccountID+"/IntegrationPackEnvironmentAttachment", strings.NewReader(body))
	req.SetBasicAuth(simulator.DemoUsername, simulator.DemoPassword)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func stats(t *testing.T, base string) Stats {
	t.Helper()
	resp, err := http.Get(base + "/-/stats")
	if err != nil {
		t.Fatalf("GET /-/stats: %v", err)
	}
	defer resp.Body.Close()
	var st Stats
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatalf("decoding stats: %v", err)
	}
	return st
}

func TestRunServesDemoWithLatency(t *testing.T) {
	base := start(t, "-latency", "30ms", "-rate-limit", "0")
	t0 := time.Now()
	if got := create(t, base, simulator.DemoSeedEnvironmentA); got != http.StatusOK {
		t.Fatalf("CREATE status = %d, want 200", got)
	}
	if d := time.Since(t0); d < 30*time.Millisecond {
		t.Errorf("CREATE took %v, want at least the 30ms latency", d)
	}
	// The rate limit is off: 20 calls in a row all pass.
	for i := range 20 {
		if got := create(t, base, simulator.DemoSeedEnvironmentB); got != http.StatusOK {
			t.Fatalf("CREATE %d status = %d, want 200", i, got)
		}
	}
	if st := stats(t, base); st.Requests != 21 || st.Throttled != 0 {
		t.Errorf("stats = %+v, want 21 requests, 0 throttled", st)
	}
}

func TestRunEnforcesRateLimit(t *testing.T) {
	// 1 request per second with a burst of 2: of 5 calls sent within far
	// less than a second, the first 2 pass and 3 get the vendor's 503.
	base := start(t, "-rate-limit", "1", "-burst", "2")
	var ok, busy int
	for range 5 {
		switch create(t, base, simulator.DemoSeedEnvironmentA) {
		case http.StatusOK:
			ok++
		case http.StatusServiceUnavailable:
			busy++
		}
	}
	if ok != 2 || busy != 3 {
		t.Errorf("got %d OK and %d 503, want 2 and 3", ok, busy)
	}
	if st := stats(t, base); st.Requests != 5 || st.Throttled != 3 {
		t.Errorf("stats = %+v, want 5 requests, 3 throttled", st)
	}
}

func TestRunInjectsFaults(t *testing.T) {
	// Every request gets a 503 or a 500, none goes through.
	base := start(t, "-rate-limit", "0", "-unavailable", "0.5", "-server-error", "0.5")
	seen := map[int]int{}
	for range 20 {
		seen[create(t, base, simulator.DemoSeedEnvironmentA)]++
	}
	if seen[http.StatusOK] != 0 || seen[http.StatusServiceUnavailable] == 0 || seen[http.StatusInternalServerError] == 0 {
		t.Errorf("statuses %v, want 503s and 500s only", seen)
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-latency", "-1s"},
		{"-jitter", "-1ms"},
		{"-unavailable", "1.5"},
		{"-reset", "-0.1"},
		{"-unavailable", "0.6", "-server-error", "0.6"},
		{"-rate-limit", "-2"},
		{"-burst", "0"},
		{"extra"},
		{"-listen", "not an address"},
		{"-demo=false", "-gateway-config", "/tmp/unused.yaml"},
		{"-gateway-config", "/nonexistent-dir/gw.yaml", "-listen", "127.0.0.1:0"},
	} {
		if err := run(context.Background(), args, io.Discard, io.Discard); err == nil {
			t.Errorf("run(%q) = nil, want an error", args)
		}
	}
}

// TestRunWritesGatewayConfig: -gateway-config writes a configuration that
// names this simulator and credentials it accepts, and prints the lines
// that start the gateway with it (cmd/gateway's TestAgainstPlatformsim
// follows them through the gateway).
func TestRunWritesGatewayConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gw.yaml")
	ctx, cancel := context.WithCancel(context.Background())
	out := &testutil.SyncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-listen", "127.0.0.1:0", "-gateway-config", path}, out, io.Discard) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	printed := testutil.WaitFor(t, out, regexp.MustCompile(`(?s)\A(.*curl .*'\n\n)\z`), 5*time.Second, done)
	base := regexp.MustCompile(`\Alistening (http://127\.0\.0\.1:\d+)\n`).FindStringSubmatch(printed)
	env := regexp.MustCompile(`\nexport (\w+)='([^']*)'\n`).FindStringSubmatch(printed)
	token := regexp.MustCompile(`Authorization: Bearer ([^']+)'`).FindStringSubmatch(printed)
	if base == nil || env == nil || token == nil || !strings.Contains(printed, "\ngo run ./cmd/gateway -config "+path+"\n") {
		t.Fatalf("printout lacks the address, the export, the gateway command or the token:\n%s", printed)
	}

	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("config file: %v, %v; want mode 0600", fi, err)
	}
	data, _ := os.ReadFile(path)
	cfg, err := config.Parse(data, func(k string) string {
		if k == env[1] {
			return env[2]
		}
		return ""
	})
	if err != nil {
		t.Fatalf("the written config does not parse with the printed environment: %v\n%s", err, data)
	}
	sum := sha256.Sum256([]byte(token[1]))
	if cfg.Platform.BaseURL != base[1] || len(cfg.Spaces) != 1 || !slices.Contains(cfg.Spaces[0].ClientTokens, "sha256:"+hex.EncodeToString(sum[:])) {
		t.Errorf("config: baseURL %q, spaces %+v; want %s and the printed token's hash", cfg.Platform.BaseURL, cfg.Spaces, base[1])
	}
	// The simulator accepts the config's credentials for its account.
	sp := cfg.Spaces[0]
	req, _ := http.NewRequest("GET", base[1]+"/"+sp.AccountID+"/Account/"+sp.AccountID, nil)
	req.SetBasicAuth(sp.Credentials.Username, string(sp.Credentials.Password))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("GET Account with the config's credentials = %d, want 200", res.StatusCode)
	}
}
