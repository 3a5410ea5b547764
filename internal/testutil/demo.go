package testutil

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// StartDemoGateway builds cmd/gateway and runs it as a user would try it
// first: no config (demo mode), on a free loopback port, with args added
// to -listen. It stops it (SIGINT, then SIGKILL after 15 s) when the test
// ends, and returns its base URL once /healthz answers, with its output.
func StartDemoGateway(t testing.TB, args ...string) (string, *SyncBuffer) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "gateway")
	build := exec.Command("go", "build", "-o", bin, "github.com/ipack-gateway/ipack-gateway/cmd/gateway")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the gateway: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // another process could take the port now; on a test machine none does
	logs := &SyncBuffer{}
	cmd := exec.Command(bin, append([]string{"-listen", addr}, args...)...)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	base := "http://" + addr
	WaitHealthy(t, base, 15*time.Second, exited, logs)
	return base, logs
}
