// Package clientaddr tells which client address a request comes from, for
// the limits kept per address (failed authentications, the client key of
// a passthrough space, connections). It is the connection's peer, unless
// the peer is one of the trusted proxies (server.trustedProxies): then it
// is the rightmost address of the forwarded header (X-Forwarded-For or
// Forwarded) that is not itself a trusted proxy, the one address in that
// header no client can choose (realclientip's rightmost trusted range
// strategy).
//
//	r, err := clientaddr.New(prefixes, "X-Forwarded-For")
//	key := r.Addr(req) // the client's address, for a limit's key
package clientaddr

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"

	"github.com/realclientip/realclientip-go"
)

// Resolver finds a request's client address. A nil Resolver trusts no
// proxy: every request is its peer's.
type Resolver struct {
	trusted  []netip.Prefix
	header   string // canonical
	strategy realclientip.Strategy
}

// maxEntries bounds the forwarded entries read, from the right: a client
// may fill the header with entries of its own (up to the server's 64 KiB
// of headers: 1.2 ms and 1.1 MB to parse whole, BenchmarkAddr), and what
// is needed is the rightmost untrusted one, a hop or two from the right.
// A chain of more trusted proxies than this is taken for a misconfiguration:
// such a request is the last proxy's.
const maxEntries = 16

// New returns a Resolver that trusts the proxies in trusted to append the
// address of whoever connected to them to header: "X-Forwarded-For" or
// "Forwarded" (RFC 7239). With no trusted proxies it returns nil, which
// ignores the header.
func New(trusted []netip.Prefix, header string) (*Resolver, error) {
	if len(trusted) == 0 {
		return nil, nil
	}
	nets := make([]net.IPNet, len(trusted))
	for i, p := range trusted {
		p = p.Masked()
		nets[i] = net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
	}
	s, err := realclientip.NewRightmostTrustedRangeStrategy(header, nets)
	if err != nil {
		return nil, fmt.Errorf("clientaddr: %w", err)
	}
	return &Resolver{trusted: trusted, header: http.CanonicalHeaderKey(header), strategy: s}, nil
}

// Trusted reports whether a is the address of a trusted proxy.
func (r *Resolver) Trusted(a netip.Addr) bool {
	if r == nil {
		return false
	}
	a = a.Unmap().WithZone("")
	for _, p := range r.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Addr returns the address of req's client, unmapped and without a zone:
// its peer's, or when the peer is a trusted proxy, what the proxies
// forwarded (see the package doc). A request through trusted proxies
// whose header names no untrusted address, or a bad one where that
// address should be, is the last proxy's own (a proxy's health check
// sends none; a proxy that writes garbage must not hand each request a
// fresh address). It is invalid when the peer's address is not an IP
// address (not TCP).
func (r *Resolver) Addr(req *http.Request) netip.Addr {
	peer := peerAddr(req.RemoteAddr)
	if r == nil || !r.Trusted(peer) {
		return peer
	}
	h := req.Header
	if lines := h[r.header]; len(lines) > 1 || (len(lines) == 1 && strings.Count(lines[0], ",") >= maxEntries) {
		h = http.Header{r.header: {lastEntries(lines, maxEntries)}}
	}
	if a, err := netip.ParseAddr(r.strategy.ClientIP(h, req.RemoteAddr)); err == nil {
		return a.Unmap().WithZone("")
	}
	return peer
}

// peerAddr parses a RemoteAddr ("ip:port").
func peerAddr(remote string) netip.Addr {
	ap, err := netip.ParseAddrPort(remote)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap().WithZone("")
}

// lastEntries returns the last n comma-separated entries of a header's
// lines, as one line.
func lastEntries(lines []string, n int) string {
	var entries []string
	for i := len(lines) - 1; i >= 0 && len(entries) < n; i-- {
		v := lines[i]
		for len(entries) < n {
			j := strings.LastIndexByte(v, ',')
			entries = append(entries, v[j+1:])
			if j < 0 {
				break
			}
			v = v[:j]
		}
	}
	slices.Reverse(entries)
	return strings.Join(entries, ",")
}
