package connlimit

import (
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ipack-gateway/ipack-gateway/config"
)

func TestMaxConnectionsFor(t *testing.T) {
	tests := []struct {
		nofile uint64
		want   int
	}{
		{0, MaxCap},       // unknown
		{1 << 20, MaxCap}, // the usual hard limit, raised to by Go
		{20000, MaxCap},
		{4096, 4096 - 512}, // room for upstream connections and files
		{1024, 512},
		{256, 128}, // a tiny limit is shared
		{1, 1},
	}
	for _, tt := range tests {
		if got := maxFor(tt.nofile); got != tt.want {
			t.Errorf("maxFor(%d) = %d, want %d", tt.nofile, got, tt.want)
		}
	}
}

// TestConnVictim: at the bound, the connection closed to make room is the
// keep-alive connection idle longest; failing that, a connection that has
// taken freshGrace or more to send its request head (oldest first); a
// younger one is waited for, and a busy one never taken.
func TestConnVictim(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := t0
	l := NewListener(nil, Limits{Max: 3, PerAddress: 3}, NewMetrics(prometheus.NewRegistry()), nil)
	l.now = func() time.Time { return now }
	conn := func(name string) *Conn {
		a, b := net.Pipe()
		t.Cleanup(func() { a.Close(); b.Close() })
		l.open++
		return &Conn{Conn: namedConn{a, name}, l: l}
	}
	name := func(c *Conn) string {
		if c == nil {
			return "none"
		}
		return c.Conn.(namedConn).name
	}
	fresh, idle, busy := conn("fresh"), conn("idle"), conn("busy")
	l.ConnState(fresh, http.StateNew) // at t0
	now = t0.Add(100 * time.Millisecond)
	l.ConnState(busy, http.StateNew)
	l.ConnState(busy, http.StateActive)
	now = t0.Add(200 * time.Millisecond)
	l.ConnState(idle, http.StateIdle)

	steps := []struct {
		at   time.Duration
		want string
		wait time.Duration
	}{
		{300 * time.Millisecond, "idle", 0},                      // idle for 100ms, but idle: first
		{300 * time.Millisecond, "none", 700 * time.Millisecond}, // fresh is 300ms old: 700ms to go
		{time.Second, "fresh", 0},                                // fresh for a second: a slow-loris
		{time.Hour, "none", 0},                                   // busy is never taken
	}
	for _, s := range steps {
		now = t0.Add(s.at)
		c, wait := l.victim()
		if name(c) != s.want || wait != s.wait {
			t.Errorf("victim at +%s = %s, wait %s; want %s, wait %s", s.at, name(c), wait, s.want, s.wait)
		}
	}
}

type namedConn struct {
	net.Conn
	name string
}

// remoteConn is a connection from a given client address.
type remoteConn struct {
	namedConn
	from net.Addr
}

func (c remoteConn) RemoteAddr() net.Addr { return c.from }

// TestAddressVictim: at an address's bound, the connection closed to
// admit its new one is the address's own idle longest, then its own
// slow-loris (a second without a whole request head); never another
// address's, and a younger or busy one of its own is not taken: then the
// new connection is refused. IPv6 addresses count by their /64.
func TestAddressVictim(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := t0
	l := NewListener(nil, Limits{Max: 100, PerAddress: 3}, NewMetrics(prometheus.NewRegistry()), nil)
	l.now = func() time.Time { return now }
	conn := func(name, ip string) *Conn {
		a, b := net.Pipe()
		t.Cleanup(func() { a.Close(); b.Close() })
		c := &Conn{Conn: remoteConn{namedConn{a, name}, &net.TCPAddr{IP: net.ParseIP(ip), Port: 40000}}, l: l}
		if !l.admitAddress(c) {
			t.Fatalf("%s refused below the bound", name)
		}
		l.open++
		return c
	}
	name := func(c *Conn) string {
		if c == nil {
			return "none"
		}
		return c.Conn.(remoteConn).name
	}
	// Another address's connection, idle longest of all.
	other := conn("other", "127.0.0.1")
	l.ConnState(other, http.StateNew)
	l.ConnState(other, http.StateIdle)
	fresh, idle1, idle2 := conn("fresh", "127.0.0.2"), conn("idle1", "127.0.0.2"), conn("idle2", "127.0.0.2")
	l.ConnState(fresh, http.StateNew) // at t0
	for _, c := range []*Conn{idle1, idle2} {
		l.ConnState(c, http.StateNew)
		l.ConnState(c, http.StateActive)
		l.ConnState(c, http.StateIdle)
	}
	a := l.addrs[netip.MustParseAddr("127.0.0.2")]
	steps := []struct {
		at   time.Duration
		want string
	}{
		{100 * time.Millisecond, "idle1"},
		{100 * time.Millisecond, "idle2"},
		{100 * time.Millisecond, "none"}, // fresh is young
		{time.Second, "fresh"},           // a second without its head
		{time.Hour, "none"},
	}
	for _, s := range steps {
		now = t0.Add(s.at)
		l.mu.Lock()
		c := l.addressVictim(a)
		l.mu.Unlock()
		if name(c) != s.want {
			t.Errorf("address victim at +%s = %s, want %s", s.at, name(c), s.want)
		}
	}

	// The bound refuses a fourth connection while none may be closed, and
	// two addresses of one IPv6 /64 are one address.
	busy := func(name, ip string) {
		c := conn(name, ip)
		l.ConnState(c, http.StateNew)
		l.ConnState(c, http.StateActive)
	}
	for i := range 3 {
		busy("v6", "2001:db8::"+strconv.Itoa(i+1))
	}
	extra := &Conn{Conn: remoteConn{namedConn{nil, "v6 extra"}, &net.TCPAddr{IP: net.ParseIP("2001:db8::ffff:1"), Port: 1}}, l: l}
	if l.admitAddress(extra) {
		t.Error("a fourth busy connection of one /64 was admitted at a bound of 3")
	}
	elsewhere := &Conn{Conn: remoteConn{namedConn{nil, "v6 elsewhere"}, &net.TCPAddr{IP: net.ParseIP("2001:db8:0:1::1"), Port: 1}}, l: l}
	if !l.admitAddress(elsewhere) {
		t.Error("a connection of another /64 was refused")
	}
	l.mu.Lock()
	v, _ := l.victim()
	l.mu.Unlock()
	if name(v) != "other" {
		t.Error("the limiter's own victim is not the connection idle longest")
	}
}

// TestLimitsFor: the configured bounds, or the derived ones when they are
// 0: DefaultMax, and a quarter of the bound per address.
func TestLimitsFor(t *testing.T) {
	tests := []struct {
		sc   config.ServerConfig
		want Limits
	}{
		{config.ServerConfig{MaxConnections: 20, MaxConnectionsPerAddress: 20}, Limits{Max: 20, PerAddress: 20}},
		{config.ServerConfig{MaxConnections: 8}, Limits{Max: 8, PerAddress: 2}},
		{config.ServerConfig{MaxConnections: 2}, Limits{Max: 2, PerAddress: 1}},
		{config.ServerConfig{MaxConnectionsPerAddress: 3}, Limits{Max: DefaultMax(), PerAddress: 3}},
		{config.ServerConfig{}, Limits{Max: DefaultMax(), PerAddress: DefaultMax() / 4}},
	}
	for _, tt := range tests {
		if got := LimitsFor(tt.sc); got.Max != tt.want.Max || got.PerAddress != tt.want.PerAddress || got.Exempt != nil {
			t.Errorf("LimitsFor(%+v) = %+v, want %+v", tt.sc, got, tt.want)
		}
	}
}
