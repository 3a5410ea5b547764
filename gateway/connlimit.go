package gateway

import "github.com/ipack-gateway/ipack-gateway/config"

// The bound on inbound connections when server.maxConnections is 0: derived
// at start from the open file limit, so it is the gateway's, not a
// configured default.
const (
	// MaxConnectionsCap bounds the derived default of maxConnections: an
	// open connection costs 20-25 KiB idle, more when busy, so 4,096 of
	// them stay near 100 MiB.
	MaxConnectionsCap = 4096
	// fdHeadroom is kept free of inbound connections: upstream
	// connections (platformapi keeps up to 128 per host), the listener,
	// logs, the config file.
	fdHeadroom = 512
)

// DefaultMaxConnections is maxConnections when left at 0: the open file
// limit (RLIMIT_NOFILE) less headroom for upstream connections and files,
// at most MaxConnectionsCap.
func DefaultMaxConnections() int {
	return maxConnectionsFor(openFileLimit())
}

func maxConnectionsFor(nofile uint64) int {
	switch {
	case nofile == 0 || nofile >= MaxConnectionsCap+fdHeadroom:
		return MaxConnectionsCap
	case nofile > 2*fdHeadroom:
		return int(nofile - fdHeadroom)
	default:
		return max(1, int(nofile/2)) // a tiny limit: share it
	}
}

// maxConnections is the connection bound Serve applies.
func maxConnections(sc config.ServerConfig) int {
	if sc.MaxConnections > 0 {
		return sc.MaxConnections
	}
	return DefaultMaxConnections()
}

// maxConnectionsPerAddress is the bound per client address Serve applies
// beside limit, the bound on all connections: server.maxConnectionsPerAddress,
// or a quarter of limit when that is 0. A value of limit or more leaves
// the address's connections to limit alone.
func maxConnectionsPerAddress(sc config.ServerConfig, limit int) int {
	if sc.MaxConnectionsPerAddress > 0 {
		return sc.MaxConnectionsPerAddress
	}
	return max(1, limit/4)
}
