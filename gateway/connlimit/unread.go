package connlimit

import (
	"context"
	"io"
	"net/http"
	"sync/atomic"
	"time"
)

// A request answered before its body was read to the end (refused for
// its credentials, its size, its path or method) gets "Connection: close"
// and its connection is closed after the answer, without reading the rest
// of the body.
//
// Left to itself, net/http (Go 1.26, server.go) reads and drops up to
// 256 KiB of an unread body before the connection may serve another
// request: in chunkWriter.writeHeader before the answer's header goes out
// when the connection is to be kept, and in body.Close after it either
// way. An unauthenticated client that declares Content-Length 100000 and
// sends a byte every 3 s would so get its 401 only at server.readTimeout,
// and hold a busy connection meanwhile, which the connection bounds never
// close. "Connection: close" skips the first read; the second is cut
// short by a read deadline already passed on the connection
// (Conn.answeredUnread), and the connection then lingers briefly
// (Conn.linger) so that closing it does not destroy the answer.
// A request whose body was read keeps its connection alive as before.

// unreadGuard is a request's body and its ResponseWriter in one (one
// allocation per request with a body): the body notes when it was read to
// its end, the writer closes the connection if it was not when the answer
// begins.
type unreadGuard struct {
	http.ResponseWriter
	body  io.ReadCloser
	ctx   context.Context
	ended atomic.Bool // the body was read to its end, or failed
	wrote bool        // the answer's status was written
}

// CloseUnread is middleware that ends the connection of a request
// answered before its body was read to its end: the answer gets
// "Connection: close", and on a Listener's connection (ConnContext) the
// rest of the body is not read. It should be outermost, so that every
// answer passes it.
func CloseUnread(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(guard(w, r), r)
	})
}

// guard returns w wrapped, and r's body with it, when r has a body. The
// body is replaced in place: r is not copied.
func guard(w http.ResponseWriter, r *http.Request) http.ResponseWriter {
	if r.Body == nil || r.Body == http.NoBody {
		return w
	}
	g := &unreadGuard{ResponseWriter: w, body: r.Body, ctx: r.Context()}
	r.Body = bodyOf{g}
	return g
}

// bodyOf is the guard as the request's body: a type of its own, so that
// the guard's Write and the body's Read do not share one method set that
// a caller could take for the other (an io.ReadWriter).
type bodyOf struct{ g *unreadGuard }

func (b bodyOf) Read(p []byte) (int, error) {
	n, err := b.g.body.Read(p)
	if err != nil {
		b.g.ended.Store(true)
	}
	return n, err
}

func (b bodyOf) Close() error { return b.g.body.Close() }

func (g *unreadGuard) WriteHeader(code int) {
	if !g.wrote && code >= 200 {
		g.wrote = true
		if !g.ended.Load() {
			g.closeAfterAnswer()
		}
	}
	g.ResponseWriter.WriteHeader(code)
}

func (g *unreadGuard) Write(b []byte) (int, error) {
	if !g.wrote {
		g.WriteHeader(http.StatusOK)
	}
	return g.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (g *unreadGuard) Unwrap() http.ResponseWriter { return g.ResponseWriter }

// closeAfterAnswer makes the answer the connection's last, and tells the
// connection to read nothing more.
func (g *unreadGuard) closeAfterAnswer() {
	g.Header().Set("Connection", "close")
	// On a Listener's connection. Elsewhere (the handler mounted in another
	// server) the answer still goes out at once; net/http then reads up to
	// 256 KiB of the body before it closes, as without the gateway: cutting
	// that read short without the lingering could reset the connection
	// under the answer.
	if c := ConnFrom(g.ctx); c != nil {
		c.answeredUnread()
	}
}

// answeredUnread marks c's request as answered with its body unread:
// reads fail from now on (net/http's read of the rest of the body ends at
// once), and Close lingers.
func (c *Conn) answeredUnread() {
	c.unread.Store(true)
	_ = c.Conn.SetReadDeadline(time.Now())
}
