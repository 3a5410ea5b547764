package connlimit

import "github.com/prometheus/client_golang/prometheus"

// namespace is the gateway's, as in every metric it exports.
const namespace = "ipack_gateway"

// Metrics are the metrics of inbound connections: open, closed idle to
// make room, closed at once for their address's bound, closed after an
// answer to an unread body, and the waits of Accept.
type Metrics struct {
	open           prometheus.Gauge
	closedIdle     prometheus.Counter
	waits          prometheus.Counter
	refusedAddress prometheus.Counter
	closedUnread   prometheus.Counter
}

// NewMetrics registers the metrics of inbound connections with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		open: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "http_connections",
			Help: "Inbound HTTP connections open (at most server.maxConnections).",
		}),
		closedIdle: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "http_connections_closed_idle_total",
			Help: "Idle inbound connections closed to admit a new one at server.maxConnections or server.maxConnectionsPerAddress.",
		}),
		waits: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "http_connection_waits_total",
			Help: "Times a new connection had to wait because every connection was busy at server.maxConnections.",
		}),
		refusedAddress: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "http_connections_refused_total",
			Help: "New inbound connections closed at once: their client address had server.maxConnectionsPerAddress open, none idle.",
		}),
		closedUnread: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "http_connections_closed_unread_total",
			Help: "Inbound connections closed after an answer to a request whose body was not read (a refusal), instead of reading the body.",
		}),
	}
	reg.MustRegister(m.open, m.closedIdle, m.waits, m.refusedAddress, m.closedUnread)
	return m
}
