package connlimit_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ipack-gateway/ipack-gateway/gateway/connlimit"
)

// countingListener counts the connections it accepted that are still
// open, and the most that ever were: what the process holds, measured
// beneath the Listener's own bookkeeping.
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

// server is an http.Server on a Listener over a counting loopback
// listener, wired as the gateway's Serve wires it.
type server struct {
	addr     string
	ln       *countingListener
	reg      *prometheus.Registry
	inFlight atomic.Int64 // requests in the handler: their headers are in
}

// serve serves until the test ends: GET answers at once, POST once its
// body is read.
func serve(t *testing.T, lim connlimit.Limits, readTimeout time.Duration) *server {
	t.Helper()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &server{addr: inner.Addr().String(), ln: &countingListener{Listener: inner}, reg: prometheus.NewRegistry()}
	ln := connlimit.NewListener(s.ln, lim, connlimit.NewMetrics(s.reg), nil)
	hs := &http.Server{
		Handler: connlimit.CloseUnread(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.inFlight.Add(1)
			defer s.inFlight.Add(-1)
			if r.Method == http.MethodPost {
				if _, err := io.Copy(io.Discard, r.Body); err != nil {
					return
				}
			}
			_, _ = io.WriteString(w, "ok\n")
		})),
		ReadTimeout: readTimeout,
		ConnState:   ln.ConnState,
		ConnContext: connlimit.ConnContext,
	}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if hs.Shutdown(ctx) != nil {
			hs.Close()
		}
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return s
}

// metric returns the value of the metric name (without its namespace).
func (s *server) metric(t *testing.T, name string) float64 {
	t.Helper()
	mfs, err := s.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "ipack_gateway_"+name {
			m := mf.GetMetric()[0]
			if g := m.GetGauge(); g != nil {
				return g.GetValue()
			}
			return m.GetCounter().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// await polls, 10ms apart, for at most 5s, until get returns want.
func await(t *testing.T, what string, get func() float64, want float64) {
	t.Helper()
	for i := 0; get() != want && i < 500; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if got := get(); got != want {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

func (s *server) awaitMetric(t *testing.T, name string, want float64) {
	t.Helper()
	await(t, name, func() float64 { return s.metric(t, name) }, want)
}

func (s *server) awaitInFlight(t *testing.T, want int64) {
	t.Helper()
	await(t, "requests in flight", func() float64 { return float64(s.inFlight.Load()) }, float64(want))
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
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: gw\r\n\r\n"); err != nil {
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
		t.Fatalf("GET / = %d", res.StatusCode)
	}
	return c, br
}

// freshGet makes a request on a new connection of its own, and leaves the
// connection open and idle until the test ends.
func freshGet(t *testing.T, url string) (int, error) {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	res, err := (&http.Client{Transport: tr}).Get(url)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	io.Copy(io.Discard, res.Body)
	return res.StatusCode, nil
}

// slowPost is a POST's head and the first byte of its body: the
// connection is busy until the rest comes.
const slowBody = `{"query":"{ __typename }"}`

var slowPost = "POST / HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nContent-Length: " + strconv.Itoa(len(slowBody)) + "\r\n\r\n" + slowBody[:1]

// TestLimitKeepsServing: at a bound of 20, 20 idle keep-alive connections
// do not lock clients out: each new connection closes the longest idle
// one and is served, and the process never holds more than 21 connections
// (the 21st while it is admitted).
func TestLimitKeepsServing(t *testing.T) {
	const limit = 20
	s := serve(t, connlimit.Limits{Max: limit, PerAddress: limit}, 0)
	idle := make([]*bufio.Reader, limit)
	idleConns := make([]net.Conn, limit)
	for i := range idle {
		idleConns[i], idle[i] = keepAlive(t, s.addr)
	}
	// 3 × 20 new connections, each left idle: each one closes the longest
	// idle connection, first the 20 above, then the new ones themselves.
	for i := range 3 * limit {
		if st, err := freshGet(t, "http://"+s.addr+"/"); err != nil || st != 200 {
			t.Fatalf("request %d at the connection bound: %d %v", i, st, err)
		}
	}
	// The oldest idle connection was closed by the Listener. (The
	// deadline only keeps a failing test from waiting for ever.)
	idleConns[0].SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := idle[0].ReadByte(); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Error("the longest idle connection is still open")
	}
	if p := s.ln.peak(); p > limit+1 {
		t.Errorf("%d connections open at once, want at most %d", p, limit+1)
	}
	if n := s.metric(t, "http_connections_closed_idle_total"); n != 3*limit {
		t.Errorf("http_connections_closed_idle_total = %v, want %d", n, 3*limit)
	}
}

// TestLimitWaitsWhenAllBusy: when every connection is busy (here, both of
// 2 are in a POST whose body is slow to come), a new one waits, and is
// served as soon as one of them finishes its request and goes idle.
func TestLimitWaitsWhenAllBusy(t *testing.T) {
	s := serve(t, connlimit.Limits{Max: 2, PerAddress: 2}, 0)
	var busy []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if _, err := io.WriteString(c, slowPost); err != nil {
			t.Fatal(err)
		}
		busy = append(busy, c)
	}
	s.awaitInFlight(t, 2)
	got := make(chan int, 1)
	go func() {
		st, err := freshGet(t, "http://"+s.addr+"/")
		if err != nil {
			st = -1
		}
		got <- st
	}()
	s.awaitMetric(t, "http_connection_waits_total", 1)
	select {
	case st := <-got:
		t.Fatalf("a third connection was served (%d) while both were busy", st)
	default:
	}
	// The first busy connection finishes its request and goes idle: the
	// waiting one takes its place.
	if _, err := io.WriteString(busy[0], slowBody[1:]); err != nil {
		t.Fatal(err)
	}
	if st := <-got; st != 200 {
		t.Errorf("the waiting request: %d, want 200", st)
	}
	if p := s.ln.peak(); p > 3 {
		t.Errorf("%d connections open at once, want at most 3", p)
	}
}

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

// TestPerAddress is issue 17's second repro: one client address opens
// more connections than the server holds, each busy with a request whose
// body is slow to come (a busy connection is never closed to make room,
// and readTimeout is 30 s). Without a bound per address they take every
// slot and another address waits for readTimeout; with a bound of 4 per
// address of 8, the address holds 4, its further connections are closed
// at once, and the other address is answered well before the 10 s its
// client waits.
func TestPerAddress(t *testing.T) {
	s := serve(t, connlimit.Limits{Max: 8, PerAddress: 4}, 30*time.Second)
	const hostile = 12
	conns := make([]net.Conn, hostile)
	for i := range conns {
		conns[i] = dialFrom(t, "127.0.0.2", s.addr)
		// The write may fail on a connection the Listener closed already.
		_, _ = io.WriteString(conns[i], slowPost)
	}
	s.awaitMetric(t, "http_connections_refused_total", 8)
	s.awaitInFlight(t, 4)
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
	res, err := client.Get("http://" + s.addr + "/")
	if err != nil {
		t.Fatalf("another address was not answered while one address held its connections: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("GET from another address: %d", res.StatusCode)
	}
	t.Logf("answered in %s", time.Since(start))
	// The busy connections are still served: one finishes its body.
	if _, err := io.WriteString(conns[0], slowBody[1:]); err != nil {
		t.Fatal(err)
	}
	conns[0].SetReadDeadline(time.Now().Add(10 * time.Second))
	if res, err := http.ReadResponse(bufio.NewReader(conns[0]), nil); err != nil || res.StatusCode != 200 {
		t.Errorf("a busy connection of the address: %v %v", res, err)
	}
	if p := s.ln.peak(); p > 8+hostile-4+1 {
		t.Errorf("%d connections open at once", p)
	}
}

// TestPerAddressExempt: a trusted proxy's connections (Limits.Exempt)
// carry every client behind it, so its address has no bound of its own:
// it holds more than PerAddress busy connections, while another address
// keeps its bound.
func TestPerAddressExempt(t *testing.T) {
	proxy := netip.MustParseAddr("127.0.0.3")
	s := serve(t, connlimit.Limits{Max: 8, PerAddress: 2, Exempt: func(a netip.Addr) bool { return a == proxy }}, 30*time.Second)
	for range 6 {
		c := dialFrom(t, proxy.String(), s.addr)
		if _, err := io.WriteString(c, slowPost); err != nil {
			t.Fatal(err)
		}
	}
	s.awaitInFlight(t, 6)
	for range 3 {
		c := dialFrom(t, "127.0.0.2", s.addr)
		_, _ = io.WriteString(c, slowPost) // may fail on a connection closed already
	}
	s.awaitMetric(t, "http_connections_refused_total", 1)
	s.awaitInFlight(t, 8)
	if got := s.metric(t, "http_connections_refused_total"); got != 1 {
		t.Errorf("%v connections refused, want 1: the other address's third", got)
	}
}

// TestPerAddressClosesOwnIdle: at its bound, an address's new connection
// closes an idle connection of that address, not another address's, even
// one idle longer; it is served. (Which of the address's goes, the longest
// idle, is TestAddressVictim's: here the server may see the two go idle
// in either order.)
func TestPerAddressClosesOwnIdle(t *testing.T) {
	s := serve(t, connlimit.Limits{Max: 8, PerAddress: 2}, 0)
	get := func(c net.Conn) {
		t.Helper()
		if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: gw\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		res, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("GET /: %v %v", res, err)
		}
		res.Body.Close()
	}
	other := dialFrom(t, "127.0.0.1", s.addr) // idle longest of all
	get(other)
	first, second := dialFrom(t, "127.0.0.3", s.addr), dialFrom(t, "127.0.0.3", s.addr)
	get(first)
	get(second)
	s.awaitMetric(t, "http_connections", 3)
	third := dialFrom(t, "127.0.0.3", s.addr)
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
	s.awaitMetric(t, "http_connections_closed_idle_total", 1)
	s.awaitMetric(t, "http_connections_refused_total", 0)
}

// TestCloseUnread: a request answered before its body was read gets
// "Connection: close" at once, and the Listener closes its connection
// without reading the body (at a byte every few seconds, it would take
// until readTimeout); a request whose body was read keeps its
// connection. TestRefusalDoesNotReadTheBody (package gateway) checks the
// gateway's refusals.
func TestCloseUnread(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	ln := connlimit.NewListener(inner, connlimit.Limits{Max: 8, PerAddress: 8}, connlimit.NewMetrics(reg), nil)
	hs := &http.Server{
		Handler: connlimit.CloseUnread(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/read" {
				io.Copy(io.Discard, r.Body)
			}
			w.WriteHeader(http.StatusUnauthorized)
		})),
		ReadTimeout: 30 * time.Second,
		ConnState:   ln.ConnState,
		ConnContext: connlimit.ConnContext,
	}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	s := &server{reg: reg}

	c, err := net.Dial("tcp", inner.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	request := func(path, body string, length int) *http.Response {
		t.Helper()
		head := "POST " + path + " HTTP/1.1\r\nHost: gw\r\nContent-Length: " + strconv.Itoa(length) + "\r\n\r\n"
		if _, err := io.WriteString(c, head+body); err != nil {
			t.Fatal(err)
		}
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("%s: no answer before the body could have been read: %v", path, err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res
	}
	if res := request("/read", "abc", 3); res.StatusCode != 401 || res.Close {
		t.Errorf("a body read: %d, close %v; want 401 on a connection kept alive", res.StatusCode, res.Close)
	}
	if res := request("/unread", strings.Repeat("x", 2), 100000); res.StatusCode != 401 || !res.Close {
		t.Errorf("a body unread: %d, close %v; want 401 with Connection: close", res.StatusCode, res.Close)
	}
	// The Listener ends the connection: EOF, not our deadline.
	if _, err := br.ReadByte(); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("the connection was not closed after the answer: %v", err)
	}
	s.awaitMetric(t, "http_connections_closed_unread_total", 1)
	s.awaitMetric(t, "http_connections", 0)
}
