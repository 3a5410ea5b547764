package gateway

import (
	"container/list"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// connLimiter is a listener that keeps at most max connections open, and
// keeps serving at that bound: an idle connection is closed to admit a new
// one. Idle first means a keep-alive connection between requests, longest
// idle first (its client reconnects when it needs to); then a connection
// that has not sent a whole request head for freshGrace, oldest first
// (net/http counts a connection active only once its headers are in, so
// this is where slow-loris connections sit). A younger one is left alone:
// its request is likely on its way. Only when every connection is busy
// with a request does Accept wait for one to end; new
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

	mu    sync.Mutex
	open  int        // admitted and not yet closed
	idle  *list.List // of *limitedConn between requests, longest idle first
	fresh *list.List // of *limitedConn without a whole request head yet, oldest first
	now   func() time.Time

	freed     chan struct{} // a slot was freed; buffered, one waiter (Accept)
	done      chan struct{} // closed by Close
	closeOnce sync.Once
}

func newConnLimiter(ln net.Listener, max int, m *connMetrics) *connLimiter {
	return &connLimiter{Listener: ln, max: max, metrics: m, idle: list.New(), fresh: list.New(), now: time.Now,
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
		victim, wait := l.victim()
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
		if !l.await(wait) {
			return net.ErrClosed
		}
	}
}

// await waits until a slot may have been freed, or wait has passed (when
// positive), and reports false when the listener was closed.
func (l *connLimiter) await(wait time.Duration) bool {
	var timeout <-chan time.Time
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-l.freed:
	case <-timeout:
	case <-l.done:
		return false
	}
	return true
}

// freshGrace is how long a new connection may take to send its request
// head before, at the bound, it may be closed for another.
const freshGrace = time.Second

// victim picks the connection to close to make room and takes it off its
// list, or returns nil and, when a fresh connection will become one, how
// long until it does. l.mu must be held.
func (l *connLimiter) victim() (*limitedConn, time.Duration) {
	if e := l.idle.Front(); e != nil {
		return l.unlist(e.Value.(*limitedConn)), 0
	}
	if e := l.fresh.Front(); e != nil {
		c := e.Value.(*limitedConn)
		if age := l.now().Sub(c.since); age < freshGrace {
			return nil, freshGrace - age
		}
		return l.unlist(c), 0
	}
	return nil, 0
}

// unlist takes c off the list it is on, if any. l.mu must be held.
func (l *connLimiter) unlist(c *limitedConn) *limitedConn {
	if c.elem != nil {
		c.list.Remove(c.elem)
		c.elem, c.list = nil, nil
	}
	return c
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
	l.unlist(lc)
	if lc.closed {
		return
	}
	switch state {
	case http.StateNew:
		lc.list, lc.since = l.fresh, l.now()
	case http.StateIdle:
		lc.list = l.idle
		l.signal() // a waiting Accept may close it now
	default:
		return
	}
	lc.elem = lc.list.PushBack(lc)
}

// limitedConn is a connection of a connLimiter; closing it frees its slot.
type limitedConn struct {
	net.Conn
	l *connLimiter
	// Guarded by l.mu: the list it is on (l.idle, l.fresh or none) and its
	// element there, when it entered l.fresh, and whether it was closed.
	list     *list.List
	elem     *list.Element
	since    time.Time
	closed   bool
	freeOnce sync.Once
}

// Close closes the connection, then frees its slot: the process never
// holds more than max of them.
func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.freeOnce.Do(func() {
		l := c.l
		l.mu.Lock()
		l.unlist(c)
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
