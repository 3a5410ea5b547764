package gateway

import (
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestMaxConnectionsFor(t *testing.T) {
	tests := []struct {
		nofile uint64
		want   int
	}{
		{0, MaxConnectionsCap},       // unknown
		{1 << 20, MaxConnectionsCap}, // the usual hard limit, raised to by Go
		{20000, MaxConnectionsCap},
		{4096, 4096 - 512}, // room for upstream connections and files
		{1024, 512},
		{256, 128}, // a tiny limit is shared
		{1, 1},
	}
	for _, tt := range tests {
		if got := maxConnectionsFor(tt.nofile); got != tt.want {
			t.Errorf("maxConnectionsFor(%d) = %d, want %d", tt.nofile, got, tt.want)
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
	l := newConnLimiter(nil, 3, newConnMetrics(prometheus.NewRegistry()))
	l.now = func() time.Time { return now }
	conn := func(name string) *limitedConn {
		a, b := net.Pipe()
		t.Cleanup(func() { a.Close(); b.Close() })
		l.open++
		return &limitedConn{Conn: namedConn{a, name}, l: l}
	}
	name := func(c *limitedConn) string {
		if c == nil {
			return "none"
		}
		return c.Conn.(namedConn).name
	}
	fresh, idle, busy := conn("fresh"), conn("idle"), conn("busy")
	l.connState(fresh, http.StateNew) // at t0
	now = t0.Add(100 * time.Millisecond)
	l.connState(busy, http.StateNew)
	l.connState(busy, http.StateActive)
	now = t0.Add(200 * time.Millisecond)
	l.connState(idle, http.StateIdle)

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
