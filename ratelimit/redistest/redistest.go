// Package redistest runs a throwaway redis-server for tests and
// benchmarks: Debian's redis-server package, on a free loopback port, with
// nothing persisted, stopped at the end. A test can kill it and start it
// again on the same port, empty, to see what the gateway does meanwhile.
//
//	srv := redistest.New(t) // skips without redis-server; fails in CI (CI set)
//	opts := ratelimit.DefaultOptions()
//	opts.URL = srv.URL()
//	store, _ := ratelimit.Open(opts)
//	srv.Kill()              // as a crash would
//	srv.Restart(t)          // same port, empty
package redistest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Server is a redis-server process.
type Server struct {
	// Addr is host:port on 127.0.0.1.
	Addr string
	bin  string
	dir  string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// Binary returns the path of redis-server, or "" when it is not installed.
func Binary() string {
	for _, p := range []string{"redis-server", "/usr/bin/redis-server", "/usr/local/bin/redis-server"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	return ""
}

// New starts a redis-server for t and stops it when t ends. Without
// redis-server installed, t is skipped on a developer's machine and fails
// in CI (CI set), where .ci/run installs it.
func New(t testing.TB) *Server {
	t.Helper()
	bin := Binary()
	if bin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("redis-server is not installed; .ci/run installs Debian's redis-server package")
		}
		t.Skip("redis-server is not installed (apt install redis-server); CI runs this test")
	}
	s, err := Start(context.Background(), bin, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// Start runs bin (redis-server) on a free loopback port, with dir as its
// working directory, and waits until it answers.
// A port found free can be taken by another process before redis-server
// binds it (tests run in parallel), so a server that exits at start is
// tried again on another port, three times in all.
func Start(ctx context.Context, bin, dir string) (*Server, error) {
	var err error
	for range 3 {
		var addr string
		if addr, err = freeAddr(); err != nil {
			return nil, err
		}
		s := &Server{Addr: addr, bin: bin, dir: dir}
		if err = s.start(ctx); err == nil {
			return s, nil
		}
		if ctx.Err() != nil {
			return nil, err
		}
	}
	return nil, err
}

// URL is the server's redis:// URL.
func (s *Server) URL() string { return "redis://" + s.Addr + "/0" }

func (s *Server) start(ctx context.Context) error {
	_, port, _ := net.SplitHostPort(s.Addr)
	cmd := exec.Command(s.bin,
		"--bind", "127.0.0.1", "--port", port,
		"--save", "", "--appendonly", "no", // nothing survives a restart
		"--dir", s.dir, "--logfile", "",
		"--protected-mode", "yes")
	cmd.Dir = s.dir
	out, err := os.Create(s.dir + "/redis-" + port + ".log")
	if err != nil {
		return err
	}
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	setDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting redis-server: %w", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()

	// Poll with PING for at most 10 s.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if ping(s.Addr) == nil {
			return nil
		}
		select {
		case <-done:
			return fmt.Errorf("redis-server on %s exited at start; see %s", s.Addr, out.Name())
		case <-ctx.Done():
			s.Kill()
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Kill()
			return fmt.Errorf("redis-server on %s did not answer within 10 s", s.Addr)
		}
	}
}

// Kill ends the server with SIGKILL, as a crash would, and waits for it.
func (s *Server) Kill() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	_ = cmd.Process.Signal(syscall.SIGCONT) // a frozen one too
	<-done
}

// Freeze stops the server (SIGSTOP) without closing its connections: a
// Redis that has become slow, or a network that drops packets. Thaw ends
// it.
func (s *Server) Freeze() { s.signal(syscall.SIGSTOP) }

// Thaw lets a frozen server go on (SIGCONT).
func (s *Server) Thaw() { s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig syscall.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		_ = s.cmd.Process.Signal(sig)
	}
}

// Restart starts the server again on the same port, empty (nothing is
// persisted). It kills a server still running first.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	if err := s.RestartContext(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// RestartContext is Restart for callers without a testing.TB.
// The port must stay the same; another process may hold it for a moment,
// so a start that fails is tried again, three times in all.
func (s *Server) RestartContext(ctx context.Context) error {
	s.Kill()
	var err error
	for range 3 {
		if err = s.start(ctx); err == nil || ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(200 * time.Millisecond):
		}
	}
	return err
}

// Stop ends the server (SIGTERM, then SIGKILL after 5 s).
func (s *Server) Stop() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Process.Signal(syscall.SIGCONT) // a frozen one hears it
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// Do sends one command in RESP and returns the first line of its answer,
// for tests that want FLUSHALL or SCRIPT FLUSH without a client.
func (s *Server) Do(args ...string) (string, error) {
	conn, err := net.DialTimeout("tcp", s.Addr, time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	msg := "*" + strconv.Itoa(len(args)) + "\r\n"
	for _, a := range args {
		msg += "$" + strconv.Itoa(len(a)) + "\r\n" + a + "\r\n"
	}
	if _, err := conn.Write([]byte(msg)); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return "", err
	}
	if len(line) > 0 && line[0] == '-' {
		return "", errors.New(line[1 : len(line)-2])
	}
	return line[:len(line)-2], nil
}

func ping(addr string) error {
	conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "+PONG\r\n" {
		return fmt.Errorf("PING answered %q", line)
	}
	return nil
}

// freeAddr finds a loopback port nothing listens on. Another process could
// take it before redis-server binds it; then the start fails, loudly.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
