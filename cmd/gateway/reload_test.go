package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ipack-gateway/ipack-gateway/platformapi/simulator"
)

// TestSIGHUPRefusesHugeConfig is issue 17's reload repro: the config path
// (a symlink here, as a ConfigMap's is) comes to lead to /dev/zero, then
// to a 2 MiB file. Each SIGHUP is refused at 1 MiB read, and logged; the
// running tokens stay; and a later SIGHUP, once the path leads to a good
// file again, applies it. Before the bound, the first SIGHUP read
// /dev/zero for ever (4.2 GB of RSS) and no later one was handled.
func TestSIGHUPRefusesHugeConfig(t *testing.T) {
	sim := simulator.NewDemo(simulator.Options{RateLimit: -1})
	up := http.Server{Handler: sim}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go up.Serve(ln)
	defer up.Close()
	upstream := "http://" + ln.Addr().String()

	dir := t.TempDir()
	oldDir, newDir := filepath.Join(dir, "old"), filepath.Join(dir, "new")
	for _, d := range []string{oldDir, newDir} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	good := writeConfig(t, oldDir, upstream, "old-token")
	better := writeConfig(t, newDir, upstream, "new-token")
	huge := filepath.Join(dir, "huge.yaml")
	if err := os.WriteFile(huge, []byte("#"+strings.Repeat(" ", 2<<20)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "gateway.yaml")
	point := func(target string) { // atomically, as a ConfigMap update does
		t.Helper()
		tmp := path + ".tmp"
		os.Remove(tmp)
		if err := os.Symlink(target, tmp); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	point(good)
	env := func(k string) string {
		if k == "REST_PASSWORD" {
			return simulator.DemoPassword
		}
		return ""
	}
	base, _, logs := startRun(t, []string{"-config", path}, env)
	status := func(token string) int {
		t.Helper()
		req, _ := http.NewRequest("POST", base+"/graphql", strings.NewReader(`{"query":"{ __typename }"}`))
		req.Header["SPACE_GUID"] = []string{"space-1"}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}
	hangup := func() {
		t.Helper()
		if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
	}
	// failures counts the refused reloads logged, waiting (200 × 10ms: 2s
	// at most) for there to be want of them.
	failures := func(want int) int {
		n := 0
		for i := 0; i < 200; i++ {
			if n = strings.Count(logs.String(), "larger than 1 MiB"); n >= want {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		return n
	}
	for i, target := range []string{"/dev/zero", huge} {
		point(target)
		hangup()
		if n := failures(i + 1); n != i+1 {
			t.Fatalf("SIGHUP with the config at %s: %d refusals logged, want %d\n%s", target, n, i+1, logs.String())
		}
		if got := status("old-token"); got != 200 {
			t.Fatalf("after a refused reload from %s the running token answers %d, want 200", target, got)
		}
	}
	point(better)
	hangup()
	got := 0
	for i := 0; i < 200 && got != 200; i++ { // 200 × 10ms: 2s at most
		if got = status("new-token"); got != 200 {
			time.Sleep(10 * time.Millisecond)
		}
	}
	if got != 200 || status("old-token") != 401 {
		t.Fatalf("a good reload after the refused ones: new token %d, old token %d; want 200, 401\n%s", got, status("old-token"), logs.String())
	}
}

// TestStartRefusesHugeConfig: the first load has the same bound.
func TestStartRefusesHugeConfig(t *testing.T) {
	for _, args := range [][]string{{"-config", "/dev/zero"}, {"-config", "/dev/zero", "-check-config"}} {
		err := run(context.Background(), args, func(string) string { return "" }, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "larger than 1 MiB") {
			t.Errorf("run(%q) = %v, want a refusal of a file larger than 1 MiB", args, err)
		}
	}
}
