package connlimit

import (
	"container/list"
	"context"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// ConnContext is the http.Server's ConnContext hook: it puts a Listener's
// connection in the context of its requests (ConnFrom), for CloseUnread.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	if lc, ok := c.(*Conn); ok {
		return context.WithValue(ctx, connKey{}, lc)
	}
	return ctx
}

type connKey struct{}

// ConnFrom returns the Listener's connection a request of ctx came on, or
// nil (a request on another server's connection, or in a test).
func ConnFrom(ctx context.Context) *Conn {
	c, _ := ctx.Value(connKey{}).(*Conn)
	return c
}

// Conn is a connection of a Listener; closing it frees its slot.
type Conn struct {
	net.Conn
	l *Listener
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
	// (CloseUnread): nothing more is read, and Close lingers.
	unread atomic.Bool
}

// Close closes the connection, then frees its slot: the process never
// holds more than max of them. A connection whose request was answered
// unread lingers first (see linger).
func (c *Conn) Close() error {
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

func (c *Conn) free() {
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
func (c *Conn) linger() {
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
func (c *Conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
