package auth

import (
	"crypto/sha256"
	"math"
	"net"
	"net/http"
	"net/netip"
	"time"
)

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
