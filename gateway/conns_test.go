package gateway_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipack-gateway/ipack-gateway/gateway"
)

// countingListener counts the connections it accepted that are still
// open, and the most that ever were: what the process holds, measured
// beneath the gateway's own bookkeeping.
type countingListener struct {
	net.Listener
	mu        sync.Mutex
	open, max int
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	l.open++
	l.max = max(l.max, l.open)
	l.mu.Unlock()
	return &countedConn{Conn: c, l: l}, nil
}

func (l *countingListener) peak() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.max
}

type countedConn struct {
	net.Conn
	l    *countingListener
	once sync.Once
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.l.mu.Lock()
		c.l.open--
		c.l.mu.Unlock()
	})
	return err
}

// serveCounted runs srv.Serve on a counting loopback listener until the
// test ends.
func serveCounted(t *testing.T, srv *gateway.Server) (string, *countingListener) {
	t.Helper()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := &countingListener{Listener: inner}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return inner.Addr().String(), ln
}

// keepAlive opens a connection, makes one request on it and leaves it
// open and idle, as a keep-alive client between requests does.
func keepAlive(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: gw\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("/healthz = %d", res.StatusCode)
	}
	return c, br
}

// freshGet makes a request on a new connection of its own, and leaves the
// connection open and idle until the test ends.
func freshGet(t *testing.T, url string, header map[string]string) (int, error) {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr}
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for k, v := range header {
		req.Header[k] = []string{v}
	}
	res, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	io.Copy(io.Discard, res.Body)
	return res.StatusCode, nil
}

// TestConnectionCapKeepsServing: with server.maxConnections 20, 20 idle
// keep-alive connections do not lock clients out: each new connection
// closes the longest idle one, /healthz, /readyz and GraphQL keep
// answering, and the process never holds more than 21 connections (the
// 21st while it is admitted).
func TestConnectionCapKeepsServing(t *testing.T) {
	const limit = 20
	srv, _ := newServer(t, envOptions{extraYAML: "server: {maxConnections: 20, maxConnectionsPerAddress: 20}\n"})
	addr, ln := serveCounted(t, srv)
	base := "http://" + addr

	idle := make([]*bufio.Reader, limit)
	idleConns := make([]net.Conn, limit)
	for i := range idle {
		idleConns[i], idle[i] = keepAlive(t, addr)
	}
	auth := map[string]string{"SPACE_GUID": testSpace, "Authorization": "Bearer " + testToken}
	// 3 × 20 new connections, each left idle: each one closes the longest
	// idle connection, first the 20 above, then the new ones themselves.
	for i := range 3 * limit {
		path, h := "/healthz", map[string]string(nil)
		switch i % 3 {
		case 1:
			path = "/readyz"
		case 2:
			path, h = "/graphql?query=%7B__typename%7D", auth
		}
		st, err := freshGet(t, base+path, h)
		if err != nil || (st != 200 && !(path == "/readyz" && st == 503)) {
			t.Fatalf("request %d, %s at the connection bound: %d %v", i, path, st, err)
		}
	}
	// The oldest idle connection was closed by the gateway. (The deadline
	// only keeps a failing test from waiting for the idle timeout.)
	idleConns[0].SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := idle[0].ReadByte(); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Error("the longest idle connection is still open")
	}
	if p := ln.peak(); p > limit+1 {
		t.Errorf("%d connections open at once, want at most %d", p, limit+1)
	}
	metrics := httptest.NewRecorder()
	srv.ServeHTTP(metrics, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if !strings.Contains(metrics.Body.String(), "ipack_gateway_http_connections_closed_idle_total 60") {
		t.Errorf("/metrics does not count 60 idle connections closed:\n%s", grepLines(metrics.Body.String(), "http_connection"))
	}
}

// TestConnectionCapWaitsWhenAllBusy: when every connection is busy (here,
// both of 2 are in a GraphQL request whose body is slow to come), a new
// one waits, and is served as soon as one of them finishes its request and
// goes idle. A connection still sending its headers is not busy: net/http
// reports it active only once its headers are in, so it is closed like an
// idle one (slow-loris connections go first).
func TestConnectionCapWaitsWhenAllBusy(t *testing.T) {
	srv, _ := newServer(t, envOptions{extraYAML: "server: {maxConnections: 2, maxConnectionsPerAddress: 2}\n"})
	addr, ln := serveCounted(t, srv)
	const body = `{"query":"{ __typename }"}`
	var busy []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		// The headers and one byte of the body: busy until the rest comes.
		head := "POST /graphql HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nSPACE_GUID: " + testSpace +
			"\r\nAuthorization: Bearer " + testToken + "\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n"
		if _, err := io.WriteString(c, head+body[:1]); err != nil {
			t.Fatal(err)
		}
		busy = append(busy, c)
	}
	metric := func(name string) string {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		for _, l := range strings.Split(rec.Body.String(), "\n") {
			if strings.HasPrefix(l, "ipack_gateway_"+name+" ") {
				return l
			}
		}
		return ""
	}
	// Polls, 10ms apart, for at most 5s: the server sees the bytes within
	// milliseconds.
	await := func(name, want string) {
		t.Helper()
		for i := 0; metric(name) != want && i < 500; i++ {
			time.Sleep(10 * time.Millisecond)
		}
		if got := metric(name); got != want {
			t.Fatalf("%s = %q, want %q", name, got, want)
		}
	}
	await("graphql_requests_in_flight", "ipack_gateway_graphql_requests_in_flight 2")
	got := make(chan int, 1)
	go func() {
		st, err := freshGet(t, "http://"+addr+"/healthz", nil)
		if err != nil {
			st = -1
		}
		got <- st
	}()
	await("http_connection_waits_total", "ipack_gateway_http_connection_waits_total 1")
	select {
	case st := <-got:
		t.Fatalf("a third connection was served (%d) while both were busy", st)
	default:
	}
	// The first busy connection finishes its request and goes idle: the
	// waiting one takes its place.
	if _, err := io.WriteString(busy[0], body[1:]); err != nil {
		t.Fatal(err)
	}
	if st := <-got; st != 200 {
		t.Errorf("the waiting request: %d, want 200", st)
	}
	if p := ln.peak(); p > 3 {
		t.Errorf("%d connections open at once, want at most 3", p)
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
