// Package connlimit bounds the gateway's inbound connections: how many are
// open at once and how many come from one client address, closing idle
// ones to make room (Listener), and closes the connection of a request
// answered before its body was read (CloseUnread). An http.Server serving
// a Listener takes its ConnState hook and ConnContext:
//
//	ln := connlimit.NewListener(inner, connlimit.LimitsFor(cfg.Server), metrics, log)
//	hs := &http.Server{Handler: connlimit.CloseUnread(h), ConnState: ln.ConnState, ConnContext: connlimit.ConnContext}
//	err := hs.Serve(ln)
package connlimit

import (
	"container/list"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Listener is a listener that keeps at most Limits.Max connections open,
// and keeps serving at that bound: an idle connection is closed to admit a
// new one. Idle first means a keep-alive connection between requests,
// longest idle first (its client reconnects when it needs to); then a
// connection that has not sent a whole request head for freshGrace, oldest
// first (net/http counts a connection active only once its headers are in,
// so this is where slow-loris connections sit). A younger one is left
// alone: its request is likely on its way. Only when every connection is
// busy with a request does Accept wait for one to end; new connections
// then wait in the kernel's listen backlog, costing the process nothing
// (but the one being admitted: at most Max+1 are open). Busy connections
// end within the server's timeouts (readHeaderTimeout, readTimeout, the
// derived write timeout), so the wait is bounded too.
//
// It also keeps at most Limits.PerAddress connections open from one client
// address (addressOf; a trusted proxy's are exempt, Limits.Exempt), so
// that one address cannot make every other wait: at that bound, the
// address's own connections are the ones closed to admit its new one, by
// the same rule (idle longest, then a slow-loris);
// when none may be closed, the new connection is closed at once rather
// than wait, since a wait would hold up the Accept of every other address.
//
// golang.org/x/net/netutil.LimitListener bounds connections the same way
// but cannot tell idle from busy, so there idle keep-alive connections
// hold the slots and every new client waits; hence this one, fed by the
// http.Server's ConnState hook.
type Listener struct {
	net.Listener
	max     int
	perAddr int                   // bound per address; max or more: none of its own
	exempt  func(netip.Addr) bool // addresses perAddr does not bound, or nil
	metrics *Metrics
	log     *slog.Logger

	mu    sync.Mutex
	open  int        // admitted and not yet closed
	idle  *list.List // of *Conn between requests, longest idle first
	fresh *list.List // of *Conn without a whole request head yet, oldest first
	addrs map[netip.Addr]*addrConns
	now   func() time.Time

	freed     chan struct{} // a slot was freed; buffered, one waiter (Accept)
	done      chan struct{} // closed by Close
	closeOnce sync.Once
	lastWarn  atomic.Int64 // unix nanoseconds of the last refusal logged
}

// addrConns are the connections of one client address, on lists of their
// own beside the listener's, so that a victim of the address is found at
// once however many connections others hold.
type addrConns struct {
	key   netip.Addr
	open  int        // admitted or being admitted, not yet closed
	idle  *list.List // as Listener's, of this address only
	fresh *list.List
}

// NewListener returns ln bounded by lim, counting in m (NewMetrics) and
// logging to log (nil: nowhere) why it closes a new connection. Closing
// the Listener closes ln.
func NewListener(ln net.Listener, lim Limits, m *Metrics, log *slog.Logger) *Listener {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Listener{Listener: ln, max: lim.Max, perAddr: lim.PerAddress, exempt: lim.Exempt, metrics: m, log: log,
		idle: list.New(), fresh: list.New(), addrs: map[netip.Addr]*addrConns{}, now: time.Now,
		freed: make(chan struct{}, 1), done: make(chan struct{})}
}

// addressOf is the client address a connection counts against: its IP,
// an IPv6 one by its /64 (what one host is usually given, as the limits
// per address do), and false when it has none (not TCP) or is exempt.
func (l *Listener) addressOf(a net.Addr) (netip.Addr, bool) {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return netip.Addr{}, false
	}
	ip := ta.AddrPort().Addr().Unmap().WithZone("")
	if !ip.IsValid() || (l.exempt != nil && l.exempt(ip)) {
		return netip.Addr{}, false
	}
	if ip.Is6() {
		ip = netip.PrefixFrom(ip, 64).Masked().Addr()
	}
	return ip, true
}

// Accept accepts a connection, then admits it: first among its address's
// (or closes it and accepts the next, see Listener), then into a free
// slot, or one made by closing the longest idle connection, or, when
// every connection is busy, the first slot freed. The connection being
// admitted is the one beyond max the process may hold; later ones wait in
// the backlog.
//
// Accepting first (rather than reserving a slot, then accepting) matters:
// http.Server calls Accept again as soon as it has a connection, and a
// reservation made then would close an idle connection for a client that
// may never come.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		lc := &Conn{Conn: c, l: l}
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
func (l *Listener) admitAddress(lc *Conn) bool {
	if l.perAddr >= l.max {
		return true
	}
	key, ok := l.addressOf(lc.RemoteAddr())
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
func (l *Listener) release(lc *Conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.leaveAddress(lc)
}

// leaveAddress takes lc off its address's count. l.mu must be held.
func (l *Listener) leaveAddress(lc *Conn) {
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
func (l *Listener) refused() {
	l.metrics.refusedAddress.Inc()
	now, last := l.now().UnixNano(), l.lastWarn.Load()
	if now-last < int64(time.Minute) || !l.lastWarn.CompareAndSwap(last, now) {
		return
	}
	l.log.Warn("closed a new connection: its client address has server.maxConnectionsPerAddress connections open, none idle (behind a load balancer, list it in server.trustedProxies: docs/connections.md)",
		"max_connections_per_address", l.perAddr)
}

func (l *Listener) admit() error {
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
func (l *Listener) await(wait time.Duration) bool {
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
func (l *Listener) victim() (*Conn, time.Duration) {
	if e := l.idle.Front(); e != nil {
		return l.unlist(e.Value.(*Conn)), 0
	}
	if e := l.fresh.Front(); e != nil {
		c := e.Value.(*Conn)
		if age := l.now().Sub(c.since); age < freshGrace {
			return nil, freshGrace - age
		}
		return l.unlist(c), 0
	}
	return nil, 0
}

// addressVictim is victim among a's connections, without waiting for a
// fresh one to age. l.mu must be held.
func (l *Listener) addressVictim(a *addrConns) *Conn {
	if e := a.idle.Front(); e != nil {
		return l.unlist(e.Value.(*Conn))
	}
	if e := a.fresh.Front(); e != nil {
		if c := e.Value.(*Conn); l.now().Sub(c.since) >= freshGrace {
			return l.unlist(c)
		}
	}
	return nil
}

// unlist takes c off the lists it is on, if any. l.mu must be held.
func (l *Listener) unlist(c *Conn) *Conn {
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
func (l *Listener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

func (l *Listener) signal() {
	select {
	case l.freed <- struct{}{}:
	default: // a wake-up is pending already
	}
}

// ConnState is the http.Server's ConnState hook: it keeps the lists of
// connections that may be closed to make room.
func (l *Listener) ConnState(c net.Conn, state http.ConnState) {
	lc, ok := c.(*Conn)
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
