package auth

import (
	"crypto/sha256"
	"math"
	"net/http"
	"net/netip"
	"time"
)

// addressKey keys a limiter by the address of r's client (without the
// port; clientaddr.Resolver: its peer's, or what trusted proxies
// forwarded), an IPv6 address by its /64: a host or site is usually given
// a whole /64, and each of its addresses must not be a fresh client.
// Behind a proxy that is not trusted every client shares the proxy's
// address.
func (a *Authenticator) addressKey(kind string, r *http.Request) [32]byte {
	var buf [128]byte
	b := append(append(buf[:0], kind...), 0)
	if ip := a.addrs.Addr(r); ip.IsValid() {
		if ip.Is6() {
			ip = netip.PrefixFrom(ip, 64).Masked().Addr()
		}
		b = ip.AppendTo(b)
	} else {
		b = append(b, r.RemoteAddr...)
	}
	return sha256.Sum256(b)
}

// retryAfterSeconds rounds d up to whole seconds for Retry-After.
func retryAfterSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}
