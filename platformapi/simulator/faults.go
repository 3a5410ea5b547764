package simulator

import (
	"bytes"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Faults make the simulator as unreliable as a real upstream can be. Each
// fraction is the probability, per request, of that fault; at most one
// fault hits a request. Every fault but a 500 strikes before the request is
// carried out or, with probability AfterApply, after it: the case where a
// client cannot know what happened. (The simulator's own rate limit, see
// Options.RateLimit, always refuses before: it is the vendor's.)
type Faults struct {
	// Latency delays every answer; Jitter adds up to that much at random.
	Latency, Jitter time.Duration
	// Unavailable answers 503, of which UnavailableRetryAfter carry
	// "Retry-After: 1".
	Unavailable, UnavailableRetryAfter float64
	// TooManyRequests answers 429, as a rate limiter or proxy in front of
	// the vendor does.
	TooManyRequests float64
	// ServerError answers 500.
	ServerError float64
	// Reset drops the connection without an answer.
	Reset float64
	// Hang never answers, until the client gives up.
	Hang float64
	// SlowBody sends the answer's body one byte per SlowBodyDelay. The
	// answer is of a request carried out, before or after alike; after
	// sends the whole header (Content-Length included) first.
	SlowBody      float64
	SlowBodyDelay time.Duration
	// GatewayTimeout answers 504, as a proxy in front of the vendor does
	// when it gave up waiting.
	GatewayTimeout float64
	// Garbled answers 200 with a body that is not JSON (a proxy's or a
	// portal's HTML page in place of the vendor's answer).
	Garbled float64
	// AfterApply is the probability that a 503, 429, reset, hang, slow
	// body, gateway timeout or garbled answer comes after the request was
	// carried out: a proxy that forwarded it, or a vendor under load that
	// acted and then failed to answer.
	AfterApply float64
	// Seed makes the fault sequence repeatable.
	Seed uint64
}

type fault int

const (
	noFault fault = iota
	faultUnavailable
	faultUnavailableRetryAfter
	faultTooManyRequests
	faultServerError
	faultReset
	faultHang
	faultSlowBody
	faultGatewayTimeout
	faultGarbled
)

// faultState draws faults; its random source is shared, so it is locked.
type faultState struct {
	mu  sync.Mutex
	f   Faults
	rnd *rand.Rand
}

// SetFaults replaces the server's faults; the zero Faults switches them off.
func (s *Server) SetFaults(f Faults) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.f = f
	s.faults.rnd = rand.New(rand.NewPCG(f.Seed, f.Seed^0x9e3779b97f4a7c15))
}

// draw picks this request's fault, delay and phase.
func (fs *faultState) draw() (fault, time.Duration, bool, Faults) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f := fs.f
	if fs.rnd == nil {
		return noFault, 0, false, f
	}
	delay := f.Latency
	if f.Jitter > 0 {
		delay += time.Duration(fs.rnd.Int64N(int64(f.Jitter) + 1))
	}
	after := fs.rnd.Float64() < f.AfterApply
	x := fs.rnd.Float64()
	for _, c := range []struct {
		p  float64
		ft fault
	}{
		{f.Unavailable * f.UnavailableRetryAfter, faultUnavailableRetryAfter},
		{f.Unavailable * (1 - f.UnavailableRetryAfter), faultUnavailable},
		{f.TooManyRequests, faultTooManyRequests},
		{f.ServerError, faultServerError},
		{f.Reset, faultReset},
		{f.Hang, faultHang},
		{f.SlowBody, faultSlowBody},
		{f.GatewayTimeout, faultGatewayTimeout},
		{f.Garbled, faultGarbled},
	} {
		if x < c.p {
			return c.ft, delay, after, f
		}
		x -= c.p
	}
	return noFault, delay, after, f
}

// serveWithFaults serves r through next, striking it with a fault drawn
// from the server's Faults.
func (s *Server) serveWithFaults(w http.ResponseWriter, r *http.Request, next http.Handler) {
	ft, delay, after, f := s.faults.draw()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	switch ft {
	case faultServerError:
		writeError(w, http.StatusInternalServerError, "An internal error occurred.")
		return
	case noFault:
		next.ServeHTTP(w, r)
		return
	}
	if after {
		// Carry the request out, then fail to deliver its answer.
		rec := &bufferedResponse{header: http.Header{}, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		if ft == faultSlowBody {
			for k, v := range rec.header {
				w.Header()[k] = v
			}
			w.Header().Set("Content-Length", strconv.Itoa(rec.body.Len()))
			w.WriteHeader(rec.status)
			trickle(w, r, rec.body.Bytes(), f.SlowBodyDelay)
			return
		}
	} else if ft == faultSlowBody {
		next.ServeHTTP(&trickleWriter{ResponseWriter: w, r: r, delay: f.SlowBodyDelay}, r)
		return
	}
	switch ft {
	case faultUnavailableRetryAfter:
		w.Header().Set("Retry-After", "1")
		fallthrough
	case faultUnavailable:
		writeError(w, http.StatusServiceUnavailable, "The service is temporarily unavailable.")
	case faultTooManyRequests:
		writeError(w, http.StatusTooManyRequests, "Too many requests.")
	case faultReset:
		panic(http.ErrAbortHandler) // net/http drops the connection
	case faultHang:
		<-r.Context().Done()
	case faultGatewayTimeout:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusGatewayTimeout)
		_, _ = w.Write([]byte("<html><body><h1>504 Gateway Time-out</h1></body></html>\n"))
	case faultGarbled:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("<html><body>Please sign in to continue.</body></html>\n"))
	}
}

// bufferedResponse keeps an answer instead of sending it.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header         { return b.header }
func (b *bufferedResponse) Write(p []byte) (int, error) { return b.body.Write(p) }
func (b *bufferedResponse) WriteHeader(status int)      { b.status = status }

// trickleWriter sends every body byte on its own, delay apart.
type trickleWriter struct {
	http.ResponseWriter
	r     *http.Request
	delay time.Duration
}

func (t *trickleWriter) Write(p []byte) (int, error) {
	return trickle(t.ResponseWriter, t.r, p, t.delay), nil
}

func trickle(w http.ResponseWriter, r *http.Request, p []byte, delay time.Duration) int {
	rc := http.NewResponseController(w)
	for i := range p {
		if _, err := w.Write(p[i : i+1]); err != nil {
			return i
		}
		_ = rc.Flush()
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return i + 1
		}
	}
	return len(p)
}
