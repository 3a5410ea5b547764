package gateway

import (
	"container/list"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
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
// It also keeps at most perAddr connections open from one client address
// (addressOf), so that one address cannot make every other wait: at that
// bound, the address's own connections are the ones closed to admit its
// new one, by the same rule (idle longest, then a slow-loris); when none
// may be closed, the new connection is closed at once rather than wait,
// since a wait would hold up the Accept of every other address.
//
// golang.org/x/net/netutil.LimitListener bounds connections the same way
// but cannot tell idle from busy, so there idle keep-alive connections
// hold the slots and every new client waits; hence this one, fed by the
// http.Server's ConnState hook.
type connLimiter struct {
	net.Listener
	max     int
	perAddr int // bound per address; max or more: none of its own
	metrics *connMetrics
	log     *slog.Logger

	mu    sync.Mutex
	open  int        // admitted and not yet closed
	idle  *list.List // of *limitedConn between requests, longest idle first
	fresh *list.List // of *limitedConn without a whole request head yet, oldest first
	addrs map[netip.Addr]*addrConns
	now   func() time.Time

	freed     chan struct{} // a slot was freed; buffered, one waiter (Accept)
	done      chan struct{} // closed by Close
	closeOnce sync.Once
	lastWarn  atomic.Int64 // unix nanoseconds of the last refusal logged
}

// addrConns are the connections of one client address, on lists of their
// own beside the limiter's, so that a victim of the address is found at
// once however many connections others hold.
type addrConns struct {
	key   netip.Addr
	open  int        // admitted or being admitted, not yet closed
	idle  *list.List // as connLimiter's, of this address only
	fresh *list.List
}

func newConnLimiter(ln net.Listener, max, perAddr int, m *connMetrics, log *slog.Logger) *connLimiter {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &connLimiter{Listener: ln, max: max, perAddr: perAddr, metrics: m, log: log,
		idle: list.New(), fresh: list.New(), addrs: map[netip.Addr]*addrConns{}, now: time.Now,
		freed: make(chan struct{}, 1), done: make(chan struct{})}
}

// addressOf is the client address a connection counts against: its IP,
// an IPv6 one by its /64 (what one host is usually given, as the limits
// per address do; addressKey), and false when it has none (not TCP).
func addressOf(a net.Addr) (netip.Addr, bool) {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return netip.Addr{}, false
	}
	ip := ta.AddrPort().Addr().Unmap()
	if ip.Is6() {
		ip = netip.PrefixFrom(ip.WithZone(""), 64).Masked().Addr()
	}
	return ip, ip.IsValid()
}

// Accept accepts a connection, then admits it: first among its address's
// (or closes it and accepts the next, see connLimiter), then into a free
// slot, or one made by closing the longest idle connection, or, when
// every connection is busy, the first slot freed. The connection being
// admitted is the one beyond max the process may hold; later ones wait in
// the backlog.
//
// Accepting first (rather than reserving a slot, then accepting) matters:
// http.Server calls Accept again as soon as it has a connection, and a
// reservation made then would close an idle connection for a client that
// may never come.
func (l *connLimiter) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		lc := &limitedConn{Conn: c, l: l}
		if !l.admitAddress(lc) {
			c.Close()
			l.refused()
			continue
		}
		if err := l.admit(); err != nil {
			l.release(lc)
			c.Close()
			return nil, err
		}
		l.metrics.open.Inc()
		return lc, nil
	}
}

// admitAddress counts lc against its address's bound, closing one of the
// address's connections to make room if need be, and reports false when
// the address has no room.
func (l *connLimiter) admitAddress(lc *limitedConn) bool {
	if l.perAddr >= l.max {
		return true
	}
	key, ok := addressOf(lc.RemoteAddr())
	if !ok {
		return true
	}
	for {
		l.mu.Lock()
		a := l.addrs[key]
		if a == nil {
			a = &addrConns{key: key, idle: list.New(), fresh: list.New()}
			l.addrs[key] = a
		}
		if a.open < l.perAddr {
			a.open++
			lc.addr = a
			l.mu.Unlock()
			return true
		}
		victim := l.addressVictim(a)
		l.mu.Unlock()
		if victim == nil {
			return false
		}
		// Closing frees the address's slot before Close returns.
		_ = victim.Close()
		l.metrics.closedIdle.Inc()
	}
}

// release undoes admitAddress for a connection that was not admitted.
func (l *connLimiter) release(lc *limitedConn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.leaveAddress(lc)
}

// leaveAddress takes lc off its address's count. l.mu must be held.
func (l *connLimiter) leaveAddress(lc *limitedConn) {
	if a := lc.addr; a != nil {
		lc.addr = nil
		if a.open--; a.open == 0 {
			delete(l.addrs, a.key)
		}
	}
}

// refused counts a connection closed for its address's bound, and says so
// in the log at most once a minute: an operator behind a load balancer
// should learn why connections are closed, a flood must not fill the log.
func (l *connLimiter) refused() {
	l.metrics.refusedAddress.Inc()
	now, last := l.now().UnixNano(), l.lastWarn.Load()
	if now-last < int64(time.Minute) || !l.lastWarn.CompareAndSwap(last, now) {
		return
	}
	l.log.Warn("closed a new connection: its client address has server.maxConnectionsPerAddress connections open, none idle (behind a load balancer, raise it: docs/connections.md)",
		"max_connections_per_address", l.perAddr)
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

// addressVictim is victim among a's connections, without waiting for a
// fresh one to age. l.mu must be held.
func (l *connLimiter) addressVictim(a *addrConns) *limitedConn {
	if e := a.idle.Front(); e != nil {
		return l.unlist(e.Value.(*limitedConn))
	}
	if e := a.fresh.Front(); e != nil {
		if c := e.Value.(*limitedConn); l.now().Sub(c.since) >= freshGrace {
			return l.unlist(c)
		}
	}
	return nil
}

// unlist takes c off the lists it is on, if any. l.mu must be held.
func (l *connLimiter) unlist(c *limitedConn) *limitedConn {
	if c.elem != nil {
		c.list.Remove(c.elem)
		if c.addrElem != nil {
			c.addrList.Remove(c.addrElem)
		}
		c.elem, c.list, c.addrElem, c.addrList = nil, nil, nil, nil
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

// connState is the http.Server's ConnState hook: it keeps the lists of
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
		if lc.addr != nil {
			lc.addrList = lc.addr.fresh
		}
	case http.StateIdle:
		lc.list = l.idle
		if lc.addr != nil {
			lc.addrList = lc.addr.idle
		}
		l.signal() // a waiting Accept may close it now
	default:
		return
	}
	lc.elem = lc.list.PushBack(lc)
	if lc.addrList != nil {
		lc.addrElem = lc.addrList.PushBack(lc)
	}
}

// connContext is the http.Server's ConnContext hook: it puts the
// connection in the context of its requests, for closeAfterAnswer.
func connContext(ctx context.Context, c net.Conn) context.Context {
	if lc, ok := c.(*limitedConn); ok {
		return context.WithValue(ctx, connKey{}, lc)
	}
	return ctx
}

type connKey struct{}

// limitedConn is a connection of a connLimiter; closing it frees its slot.
type limitedConn struct {
	net.Conn
	l *connLimiter
	// Guarded by l.mu: its address's count (nil: none), the lists it is
	// on (l.idle or l.fresh, and its address's of the same kind, or none)
	// and its elements there, when it entered l.fresh, and whether it was
	// closed.
	addr     *addrConns
	list     *list.List
	elem     *list.Element
	addrList *list.List
	addrElem *list.Element
	since    time.Time
	closed   bool
	freeOnce sync.Once

	// unread is set when a request was answered without its body read
	// (closeAfterAnswer): nothing more is read, and Close lingers.
	unread atomic.Bool
}

// Close closes the connection, then frees its slot: the process never
// holds more than max of them. A connection whose request was answered
// unread lingers first (see linger).
func (c *limitedConn) Close() error {
	var err error
	first := false
	c.freeOnce.Do(func() {
		first = true
		if c.unread.Load() {
			c.l.metrics.closedUnread.Inc()
			c.linger()
		}
		err = c.Conn.Close()
		c.free()
	})
	if !first {
		err = c.Conn.Close()
	}
	return err
}

func (c *limitedConn) free() {
	l := c.l
	l.mu.Lock()
	l.unlist(c)
	c.closed = true
	l.open--
	l.leaveAddress(c)
	l.mu.Unlock()
	l.metrics.open.Dec()
	l.signal()
}

// Bounds on a connection's lingering after its request was answered
// unread: as net/http's own (rstAvoidanceDelay) when it gives up on a
// large body, and what may be read meanwhile (its maxPostHandlerReadBytes).
const (
	lingerFor   = 500 * time.Millisecond
	lingerBytes = 256 << 10
)

// linger ends the answer with a FIN, then reads and drops what the client
// still sends, until it closes its side or for lingerFor. Closing at once
// with the client's bytes unread would reset the connection, and a reset
// can destroy the answer in the client's buffers before it is read: the
// client would see "connection reset" instead of its 401. The slot stays
// taken meanwhile.
func (c *limitedConn) linger() {
	cw, ok := c.Conn.(interface{ CloseWrite() error })
	if !ok || cw.CloseWrite() != nil {
		return
	}
	if c.Conn.SetReadDeadline(time.Now().Add(lingerFor)) != nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(c.Conn, lingerBytes))
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
	open           prometheus.Gauge
	closedIdle     prometheus.Counter
	waits          prometheus.Counter
	refusedAddress prometheus.Counter
	closedUnread   prometheus.Counter
}

func newConnMetrics(reg prometheus.Registerer) *connMetrics {
	m := &connMetrics{
		open: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: metricsNamespace, Name: "http_connections",
			Help: "Inbound HTTP connections open (at most server.maxConnections).",
		}),
		closedIdle: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: metricsNamespace, Name: "http_connections_closed_idle_total",
			Help: "Idle inbound connections closed to admit a new one at server.maxConnections or server.maxConnectionsPerAddress.",
		}),
		waits: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: metricsNamespace, Name: "http_connection_waits_total",
			Help: "Times a new connection had to wait because every connection was busy at server.maxConnections.",
		}),
		refusedAddress: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: metricsNamespace, Name: "http_connections_refused_total",
			Help: "New inbound connections closed at once: their client address had server.maxConnectionsPerAddress open, none idle.",
		}),
		closedUnread: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: metricsNamespace, Name: "http_connections_closed_unread_total",
			Help: "Inbound connections closed after an answer to a request whose body was not read (a refusal), instead of reading the body.",
		}),
	}
	reg.MustRegister(m.open, m.closedIdle, m.waits, m.refusedAddress, m.closedUnread)
	return m
}
