package config

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// ServerConfig bounds inbound HTTP connections: how many may be open and
// how long each may be held without progress.
type ServerConfig struct {
	// MaxConnections bounds the connections open at once; 0 derives it
	// from the open file limit (connlimit.DefaultMax). At the bound, idle connections are closed,
	// longest idle first, to admit new ones; only when every connection
	// is busy do new ones wait.
	MaxConnections int `yaml:"maxConnections"`
	// MaxConnectionsPerAddress bounds the connections open at once from
	// one client address (an IPv6 address by its /64), so that one
	// address cannot hold every slot of MaxConnections; 0 derives it, a
	// quarter of MaxConnections. At the bound, the address's own idle
	// connections are closed to admit its new ones; when it has none,
	// its new connection is closed at once. Behind a load balancer every
	// client has the balancer's address: raise it to MaxConnections or
	// more to turn it off, or name it in TrustedProxies
	// (docs/connections.md).
	MaxConnectionsPerAddress int `yaml:"maxConnectionsPerAddress"`
	// TrustedProxies are the addresses and CIDR ranges of the load
	// balancers and reverse proxies in front of the gateway. A request
	// from one of them is its client's at the rightmost address of
	// ForwardedHeader that is not itself a trusted proxy, for the limits
	// kept per address (failed authentications, a passthrough space's
	// client key); their connections are exempt from
	// MaxConnectionsPerAddress. Empty: no header is read, and a request is
	// its connection's peer's.
	TrustedProxies []string `yaml:"trustedProxies"`
	// ForwardedHeader is the header the trusted proxies append their
	// client's address to: X-Forwarded-For or Forwarded (RFC 7239).
	ForwardedHeader string `yaml:"forwardedHeader"`
	// IdleTimeout closes a keep-alive connection idle this long.
	IdleTimeout time.Duration `yaml:"idleTimeout"`
	// ReadHeaderTimeout bounds reading a request's headers, from the
	// connection's first byte or the end of the previous request.
	ReadHeaderTimeout time.Duration `yaml:"readHeaderTimeout"`
	// ReadTimeout bounds reading a whole request, body included.
	ReadTimeout time.Duration `yaml:"readTimeout"`
}

// Defaults of the server settings.
const (
	DefaultIdleTimeout       = 120 * time.Second
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 30 * time.Second
	DefaultForwardedHeader   = "X-Forwarded-For"
)

func (c *Config) validateServer() error {
	bad := func(key, format string, args ...any) error {
		return fmt.Errorf("config: server.%s: %s", key, fmt.Sprintf(format, args...))
	}
	s := c.Server
	switch {
	case s.MaxConnections < 0 || s.MaxConnections > 1_000_000:
		return bad("maxConnections", "must be between 0 (derived from the open file limit) and 1000000, got %d", s.MaxConnections)
	case s.MaxConnectionsPerAddress < 0 || s.MaxConnectionsPerAddress > 1_000_000:
		return bad("maxConnectionsPerAddress", "must be between 0 (a quarter of maxConnections) and 1000000, got %d", s.MaxConnectionsPerAddress)
	case !strings.EqualFold(s.ForwardedHeader, "X-Forwarded-For") && !strings.EqualFold(s.ForwardedHeader, "Forwarded"):
		return bad("forwardedHeader", "must be X-Forwarded-For or Forwarded, got %q", s.ForwardedHeader)
	case s.IdleTimeout <= 0:
		return bad("idleTimeout", "must be positive")
	case s.ReadHeaderTimeout <= 0:
		return bad("readHeaderTimeout", "must be positive")
	case s.ReadTimeout < s.ReadHeaderTimeout:
		return bad("readTimeout", "must not be less than readHeaderTimeout")
	}
	if _, err := s.Proxies(); err != nil {
		return fmt.Errorf("config: server.trustedProxies: %w", err)
	}
	return nil
}

// Proxies parses TrustedProxies: an address is a prefix of its own; an
// IPv4-mapped IPv6 one is its IPv4 address.
func (s ServerConfig) Proxies() ([]netip.Prefix, error) {
	var ps []netip.Prefix
	for _, v := range s.TrustedProxies {
		var p netip.Prefix
		if strings.Contains(v, "/") {
			var err error
			if p, err = netip.ParsePrefix(v); err != nil {
				return nil, fmt.Errorf("%q is not an address or a CIDR range", v)
			}
		} else {
			a, err := netip.ParseAddr(v)
			if err != nil || a.Zone() != "" {
				return nil, fmt.Errorf("%q is not an address or a CIDR range", v)
			}
			a = a.Unmap()
			p = netip.PrefixFrom(a, a.BitLen())
		}
		ps = append(ps, p.Masked())
	}
	return ps, nil
}

// WriteTimeout bounds a request from the end of its headers to the end of
// its answer, so that a client that stops reading (or pipelines requests
// and never reads) cannot hold a connection for ever. It is derived, not
// configured, to exceed the longest a request may legitimately take: its
// body, its wait for a turn to execute (at most graphql.requestTimeout),
// its REST calls (graphql.requestTimeout), settling their outcomes
// (attach.settleTimeout), and a margin; a shorter bound would cut answers
// whose outcome the gateway went to lengths to learn.
func (c *Config) WriteTimeout() time.Duration {
	return c.Server.ReadTimeout + 2*c.GraphQL.RequestTimeout + c.Attach.SettleTimeout + 30*time.Second
}
