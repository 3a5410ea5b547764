package gateway

import (
	"crypto/sha256"
	"math"
	"net"
	"net/http"
	"net/netip"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"
)

// clientLimiter bounds each client's request rate, keyed by a SHA-256: of
// its bearer token (the token itself is never kept) or of its address. The
// most recently seen 10,000 clients are remembered; a forgotten one starts
// afresh.
type clientLimiter struct {
	perSecond rate.Limit
	burst     int
	limiters  *lru.Cache[[32]byte, *rate.Limiter]
}

func newClientLimiter(perSecond float64, burst int) *clientLimiter {
	if perSecond <= 0 {
		return nil
	}
	c, _ := lru.New[[32]byte, *rate.Limiter](10000)
	return &clientLimiter{perSecond: rate.Limit(perSecond), burst: burst, limiters: c}
}

// allow reports whether the client may make a request now, and if not,
// after how long it may.
func (l *clientLimiter) allow(client [32]byte) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	r := l.limiter(client).Reserve()
	if d := r.Delay(); d > 0 {
		r.Cancel() // refused requests do not use up the budget
		return false, d
	}
	return true, 0
}

func (l *clientLimiter) limiter(client [32]byte) *rate.Limiter {
	lim, ok := l.limiters.Get(client)
	if !ok {
		lim = rate.NewLimiter(l.perSecond, l.burst)
		if prev, found, _ := l.limiters.PeekOrAdd(client, lim); found {
			lim = prev
		}
	}
	return lim
}

// exhausted reports whether the client has used up its budget, and if so,
// after how long it has some again; unlike allow, it uses none.
func (l *clientLimiter) exhausted(client [32]byte) (bool, time.Duration) {
	if l == nil {
		return false, 0
	}
	lim, ok := l.limiters.Get(client)
	if !ok {
		return false, 0
	}
	if t := lim.Tokens(); t < 1 {
		return true, time.Duration((1 - t) / float64(l.perSecond) * float64(time.Second))
	}
	return false, 0
}

// charge uses one of the client's tokens, if it has one.
func (l *clientLimiter) charge(client [32]byte) {
	if l != nil {
		l.limiter(client).Allow()
	}
}

// addressKey keys a limiter by the client's address (without the port),
// an IPv6 address by its /64: a host or site is usually given a whole
// /64, and each of its addresses must not be a fresh client. Behind a
// proxy every client shares the proxy's address.
func addressKey(kind string, r *http.Request) [32]byte {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	var buf [128]byte
	b := append(append(buf[:0], kind...), 0)
	if ip, err := netip.ParseAddr(host); err == nil {
		ip = ip.Unmap()
		if ip.Is6() {
			ip = netip.PrefixFrom(ip.WithZone(""), 64).Masked().Addr()
		}
		b = ip.AppendTo(b)
	} else {
		b = append(b, host...)
	}
	return sha256.Sum256(b)
}

// retryAfterSeconds rounds d up to whole seconds for Retry-After.
func retryAfterSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}
