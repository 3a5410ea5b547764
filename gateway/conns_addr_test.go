package gateway_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// dialFrom opens a connection to addr from the loopback address ip
// (127.0.0.2, ...: another client address), closed when the test ends.
// Linux answers on all of 127.0.0.0/8; other systems may not, and then
// the test is skipped there.
func dialFrom(t *testing.T, ip, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		if runtime.GOOS != "linux" {
			t.Skipf("no loopback address %s here (%s): %v", ip, runtime.GOOS, err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedByServer reports whether the server closed c (EOF or a reset)
// within 5s.
func closedByServer(c net.Conn) bool {
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := c.Read(make([]byte, 512))
	return err != nil && !errors.Is(err, os.ErrDeadlineExceeded)
}

// TestConnectionsPerAddress is issue 17's second repro: one client
// address opens more connections than the gateway holds, each busy with a
// GraphQL request whose body is slow to come (good credentials: a busy
// connection is never closed to make room, and readTimeout is 30 s).
// Without a bound per address they take every slot and another address
// waits for readTimeout; with server.maxConnectionsPerAddress 4 of
// maxConnections 8, the address holds 4, its further connections are
// closed at once, and the other address is answered well before the 10 s
// its client waits.
func TestConnectionsPerAddress(t *testing.T) {
	srv, _ := newServer(t, envOptions{extraYAML: "server: {maxConnections: 8, maxConnectionsPerAddress: 4, readTimeout: 30s}\n"})
	addr, ln := serveCounted(t, srv)
	const body = `{"query":"{ __typename }"}`
	head := "POST /graphql HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nSPACE_GUID: " + testSpace +
		"\r\nAuthorization: Bearer " + testToken + "\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n"
	const hostile = 12
	conns := make([]net.Conn, hostile)
	for i := range conns {
		conns[i] = dialFrom(t, "127.0.0.2", addr)
		// The write may fail on a connection the gateway closed already.
		_, _ = io.WriteString(conns[i], head+body[:1])
	}
	awaitMetric(t, srv, "http_connections_refused_total", "ipack_gateway_http_connections_refused_total 8")
	awaitMetric(t, srv, "graphql_requests_in_flight", "ipack_gateway_graphql_requests_in_flight 4")
	closed := 0
	for _, c := range conns[4:] {
		if closedByServer(c) {
			closed++
		}
	}
	if closed != hostile-4 {
		t.Errorf("%d of the address's %d connections beyond its bound were closed, want all", closed, hostile-4)
	}

	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	start := time.Now()
	res, err := client.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("another address was not answered while one address held its connections: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("/healthz from another address: %d", res.StatusCode)
	}
	t.Logf("answered in %s", time.Since(start))
	// The busy connections are still served: one finishes its body.
	if _, err := io.WriteString(conns[0], body[1:]); err != nil {
		t.Fatal(err)
	}
	conns[0].SetReadDeadline(time.Now().Add(10 * time.Second))
	if res, err := http.ReadResponse(bufio.NewReader(conns[0]), nil); err != nil || res.StatusCode != 200 {
		t.Errorf("a busy connection of the address: %v %v", res, err)
	}
	if p := ln.peak(); p > 8+hostile-4+1 {
		t.Errorf("%d connections open at once", p)
	}
}

// TestConnectionsPerAddressCloseOwnIdle: at its bound, an address's new
// connection closes an idle connection of that address, not another
// address's, even one idle longer; it is served. (Which of the address's
// goes, the longest idle, is TestAddressVictim's: here the server may see
// the two go idle in either order.)
func TestConnectionsPerAddressCloseOwnIdle(t *testing.T) {
	srv, _ := newServer(t, envOptions{extraYAML: "server: {maxConnections: 8, maxConnectionsPerAddress: 2}\n"})
	addr, _ := serveCounted(t, srv)
	get := func(c net.Conn) {
		t.Helper()
		if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: gw\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		res, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("/healthz: %v %v", res, err)
		}
		res.Body.Close()
	}
	other := dialFrom(t, "127.0.0.1", addr) // idle longest of all
	get(other)
	first, second := dialFrom(t, "127.0.0.3", addr), dialFrom(t, "127.0.0.3", addr)
	get(first)
	get(second)
	awaitMetric(t, srv, "http_connections", "ipack_gateway_http_connections 3")
	third := dialFrom(t, "127.0.0.3", addr)
	get(third)
	// One of the two is closed: once it is seen, the other has 200ms to
	// show that it is closed too.
	gone := make(chan bool, 2)
	for _, c := range []net.Conn{first, second} {
		go func() { gone <- closedByServer(c) }()
	}
	a := <-gone
	first.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	second.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if b := <-gone; a == b {
		t.Errorf("closed: %v and %v; want one of the address's two idle connections closed for its new one", a, b)
	}
	// The other address's connection is open, and serves.
	get(other)
	awaitMetric(t, srv, "http_connections_closed_idle_total", "ipack_gateway_http_connections_closed_idle_total 1")
	awaitMetric(t, srv, "http_connections_refused_total", "ipack_gateway_http_connections_refused_total 0")
}
