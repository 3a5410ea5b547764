package connlimit

import (
	"net/netip"

	"github.com/ipack-gateway/ipack-gateway/config"
)

// Limits are the bounds a Listener keeps.
type Limits struct {
	// Max is how many connections may be open at once.
	Max int
	// PerAddress is how many of them may come from one client address; Max
	// or more leaves an address's connections to Max alone.
	PerAddress int
	// Exempt, when set, reports the addresses PerAddress does not bound:
	// trusted proxies (clientaddr.Resolver.Trusted), whose connections
	// carry every client behind them.
	Exempt func(netip.Addr) bool
}

// LimitsFor returns the bounds of sc: server.maxConnections, or DefaultMax
// when it is 0; server.maxConnectionsPerAddress, or a quarter of Max when
// it is 0.
func LimitsFor(sc config.ServerConfig) Limits {
	lim := Limits{Max: sc.MaxConnections, PerAddress: sc.MaxConnectionsPerAddress}
	if lim.Max <= 0 {
		lim.Max = DefaultMax()
	}
	if lim.PerAddress <= 0 {
		lim.PerAddress = max(1, lim.Max/4)
	}
	return lim
}

// The bound on inbound connections when server.maxConnections is 0: derived
// at start from the open file limit, so it is the gateway's, not a
// configured default.
const (
	// MaxCap bounds DefaultMax: an open connection costs 20-25 KiB idle,
	// more when busy, so 4,096 of them stay near 100 MiB.
	MaxCap = 4096
	// fdHeadroom is kept free of inbound connections: upstream
	// connections (platformapi keeps up to 128 per host), the listener,
	// logs, the config file.
	fdHeadroom = 512
)

// DefaultMax is server.maxConnections when left at 0: the open file limit
// (RLIMIT_NOFILE) less headroom for upstream connections and files, at
// most MaxCap.
func DefaultMax() int {
	return maxFor(openFileLimit())
}

func maxFor(nofile uint64) int {
	switch {
	case nofile == 0 || nofile >= MaxCap+fdHeadroom:
		return MaxCap
	case nofile > 2*fdHeadroom:
		return int(nofile - fdHeadroom)
	default:
		return max(1, int(nofile/2)) // a tiny limit: share it
	}
}
