package admission

import (
	"bytes"
	"io"
	"net/http"
)

// Prefetch reads body ahead, up to one byte past limit, and reports
// whether it found more than limit bytes. It returns a body that reads
// what was read and then the rest of body, so that readers see the same
// bytes, the same errors and the same end as body's, and the limit of
// the handler's reader (http.MaxBytesReader) applies as before. A
// declared length up to prefetchExact is read into one allocation of that size (the common case); past it, the buffer
// grows as bytes arrive, so that a declared length costs nothing until
// the bytes are sent.
func Prefetch(body io.ReadCloser, length, limit int64) (io.ReadCloser, bool) {
	if body == nil || body == http.NoBody {
		return body, false
	}
	p := &prefetched{body: body}
	if length >= 0 && length <= min(limit, prefetchExact) {
		p.buf = make([]byte, length)
		var n int
		n, p.err = io.ReadFull(body, p.buf)
		p.buf = p.buf[:n]
		if p.err == io.EOF || p.err == io.ErrUnexpectedEOF {
			// Shorter than declared: net/http's body says so once, then
			// io.EOF; say it where the body's reader would have.
			p.err = io.ErrUnexpectedEOF
		}
		return p, false
	}
	var buf bytes.Buffer
	_, p.err = buf.ReadFrom(io.LimitReader(body, limit+1))
	p.buf = buf.Bytes()
	return p, int64(len(p.buf)) > limit
}

// prefetchExact is the longest declared body read into a buffer of its
// size at once: net/http's own read buffer per connection.
const prefetchExact = 4 << 10

// prefetched is a request body whose first bytes were read ahead.
type prefetched struct {
	buf  []byte // read ahead, not yet read from here
	err  error  // met while reading ahead, after buf
	body io.ReadCloser
}

func (p *prefetched) Read(b []byte) (int, error) {
	if len(p.buf) > 0 {
		n := copy(b, p.buf)
		p.buf = p.buf[n:]
		return n, nil
	}
	if p.err != nil {
		return 0, p.err
	}
	return p.body.Read(b)
}

func (p *prefetched) Close() error { return p.body.Close() }
