package gateway

import (
	"container/list"
	"net"
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// connLimiter is a listener that keeps at most max connections open, and
// keeps serving at that bound: a connection that is idle (a keep-alive
// connection between requests, or a new one that has sent nothing yet) is
// closed, longest idle first, to admit a new one. Only when every
// connection is busy with a request does Accept wait for one to end; new
// connections then wait in the kernel's listen backlog, costing the
// process nothing (but the one being admitted: at most max+1 are open). Busy connections end within the server's timeouts
// (readHeaderTimeout, readTimeout, the derived write timeout), so the wait
// is bounded too.
//
// golang.org/x/net/netutil.LimitListener bounds connections the same way
// but cannot tell idle from busy, so there idle keep-alive connections
// hold the slots and every new client waits; hence this one, fed by the
// http.Server's ConnState hook.
type connLimiter struct {
	net.Listener
	max     int
	metrics *connMetrics

	mu   sync.Mutex
	open int        // accepted and not yet closed
	idle *list.List // of *limitedConn that may be closed, longest idle first

	freed     chan struct{} // a slot was freed; buffered, one waiter (Accept)
	done      chan struct{} // closed by Close
	closeOnce sync.Once
}

func newConnLimiter(ln net.Listener, max int, m *connMetrics) *connLimiter {
	return &connLimiter{Listener: ln, max: max, metrics: m, idle: list.New(),
		freed: make(chan struct{}, 1), done: make(chan struct{})}
}

// Accept accepts a connection, then admits it: into a free slot, or one
// made by closing the longest idle connection, or, when every connection
// is busy, the first slot freed. The connection being admitted is the one
// beyond max the process may hold; later ones wait in the backlog.
//
// Accepting first (rather than reserving a slot, then accepting) matters:
// http.Server calls Accept again as soon as it has a connection, and a
// reservation made then would close an idle connection for a client that
// may never come.
func (l *connLimiter) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if err := l.admit(); err != nil {
		c.Close()
		return nil, err
	}
	l.metrics.open.Inc()
	return &limitedConn{Conn: c, l: l}, nil
}

func (l *connLimiter) admit() error {
	waited := false
	for {
		l.mu.Lock()
		if l.open < l.max {
			l.open++
			l.mu.Unlock()
			return nil
		}
		var victim *limitedConn
		if e := l.idle.Front(); e != nil {
			victim = l.idle.Remove(e).(*limitedConn)
			victim.elem = nil
		}
		l.mu.Unlock()
		if victim != nil {
			// Closing frees its slot before Close returns: the loop takes it.
			_ = victim.Close()
			l.metrics.closedIdle.Inc()
			continue
		}
		if !waited {
			waited = true
			l.metrics.waits.Inc()
		}
		select {
		case <-l.freed:
		case <-l.done:
			return net.ErrClosed
		}
	}
}

// Close closes the listener and ends a waiting Accept.
func (l *connLimiter) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

func (l *connLimiter) signal() {
	select {
	case l.freed <- struct{}{}:
	default: // a wake-up is pending already
	}
}

// connState is the http.Server's ConnState hook: it keeps the list of
// connections that may be closed to make room.
func (l *connLimiter) connState(c net.Conn, state http.ConnState) {
	lc, ok := c.(*limitedConn)
	if !ok {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if lc.elem != nil {
		l.idle.Remove(lc.elem)
		lc.elem = nil
	}
	if (state == http.StateNew || state == http.StateIdle) && !lc.closed {
		lc.elem = l.idle.PushBack(lc)
		l.signal() // a waiting Accept may close it now
	}
}

// limitedConn is a connection of a connLimiter; closing it frees its slot.
type limitedConn struct {
	net.Conn
	l        *connLimiter
	elem     *list.Element // in l.idle while it may be closed; guarded by l.mu
	closed   bool          // guarded by l.mu
	freeOnce sync.Once
}

// Close closes the connection, then frees its slot: the process never
// holds more than max of them.
func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.freeOnce.Do(func() {
		l := c.l
		l.mu.Lock()
		if c.elem != nil {
			l.idle.Remove(c.elem)
			c.elem = nil
		}
		c.closed = true
		l.open--
		l.mu.Unlock()
		l.metrics.open.Dec()
		l.signal()
	})
	return err
}

// CloseWrite lets the http.Server half-close, as it does on a bare TCP
// connection, so a client reads an error answer before the connection ends.
func (c *limitedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// connMetrics are the metrics of inbound connections.
type connMetrics struct {
	open       prometheus.Gauge
	closedIdle prometheus.Counter
	waits      prometheus.Counter
}

func newConnMetrics(reg prometheus.Registerer) *connMetrics {
	m := &connMetrics{
		open: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: metricsNamespace, Name: "http_connections",
			Help: "Inbound HTTP connections open (at most server.maxConnections).",
		}),
		closedIdle: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: metricsNamespace, Name: "http_connections_closed_idle_total",
			Help: "Idle inbound connections closed to admit a new one at server.maxConnections.",
		}),
		waits: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: metricsNamespace, Name: "http_connection_waits_total",
			Help: "Times a new connection had to wait because every connection was busy at server.maxConnections.",
		}),
	}
	reg.MustRegister(m.open, m.closedIdle, m.waits)
	return m
}
