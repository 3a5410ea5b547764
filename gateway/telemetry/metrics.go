package telemetry

import (
	"github.com/ipack-gateway/ipack-gateway/gateway/reqlog"

	"net/http"
	"runtime"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the gateway's Prometheus metrics, on a registry of their own
// (no global state), served at GET /metrics (Handler). Every label has a
// fixed set of values: no ids, names or messages a client or the vendor
// chooses, and no secret.
//
// The Observer feeds the REST and attach metrics; the server the GraphQL
// ones (InstrumentGraphQL, AddInFlight, SetQueued) and the reloads; other
// parts register their own with Registerer.
type Metrics struct {
	reg *prometheus.Registry

	gqlRequests *prometheus.CounterVec   // operation, outcome
	gqlDuration *prometheus.HistogramVec // operation
	gqlInFlight prometheus.Gauge
	gqlQueued   prometheus.Gauge

	restRequests *prometheus.CounterVec   // object, method, code
	restDuration *prometheus.HistogramVec // object, method
	restRetries  *prometheus.CounterVec   // object, method

	rateWait           prometheus.Histogram
	circuits           *prometheus.GaugeVec   // state
	circuitTransitions *prometheus.CounterVec // state
	fanOut             prometheus.Histogram
	reloads            *prometheus.CounterVec // result

	mu       sync.Mutex
	breakers map[string]string // account id -> breaker state, for the gauge
}

// Namespace prefixes the name of every metric of the gateway's.
const Namespace = "ipack_gateway"

// Circuit breaker states, the values of the "state" label.
const (
	CircuitClosed   = "closed"
	CircuitOpen     = "open"
	CircuitHalfOpen = "half-open"
)

var circuitStates = []string{CircuitClosed, CircuitOpen, CircuitHalfOpen}

func newMetrics(version string) *Metrics {
	reg := prometheus.NewRegistry()
	f := func(c prometheus.Collector) { reg.MustRegister(c) }
	durations := []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}
	m := &Metrics{
		reg:      reg,
		breakers: map[string]string{},
		gqlRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "graphql_requests_total",
			Help: "GraphQL requests by operation (the root field, or introspection, multiple, unknown) and outcome (ok, partial, error, rejected, replayed).",
		}, []string{"operation", "outcome"}),
		gqlDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "graphql_request_duration_seconds",
			Help:    "Time to answer a GraphQL request, REST calls included, by operation.",
			Buckets: durations,
		}, []string{"operation"}),
		gqlInFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "graphql_requests_in_flight",
			Help: "GraphQL requests being served, from their headers in: those reading their body or waiting for a turn to execute (graphql_requests_queued) included.",
		}),
		gqlQueued: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "graphql_requests_queued",
			Help: "GraphQL requests waiting for a turn to execute (graphql.maxExecuting).",
		}),
		restRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "rest_requests_total",
			Help: "REST attempts to the Platform API by object, method and status code (\"error\" when no answer arrived).",
		}, []string{"object", "method", "code"}),
		restDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "rest_request_duration_seconds",
			Help:    "Duration of REST attempts that got an answer, to the response headers, by object and method.",
			Buckets: durations,
		}, []string{"object", "method"}),
		restRetries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "rest_retries_total",
			Help: "REST attempts beyond the first of a call, by object and method.",
		}, []string{"object", "method"}),
		rateWait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "rest_rate_wait_seconds",
			Help:    "Time REST calls waited for their account's rate budget.",
			Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
		circuits: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "rest_circuit_breakers",
			Help: "Per-account REST circuit breakers in each state (closed, open, half-open), among those that have left closed at least once.",
		}, []string{"state"}),
		circuitTransitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "rest_circuit_transitions_total",
			Help: "REST circuit breaker changes, by the state entered.",
		}, []string{"state"}),
		fanOut: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "attach_fanout_width",
			Help:    "REST CREATE calls one attach makes (its distinct, well-formed environment ids).",
			Buckets: []float64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000},
		}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "config_reloads_total",
			Help: "Configuration reloads (SIGHUP) by result (ok, error).",
		}, []string{"result"}),
	}
	for _, c := range []prometheus.Collector{m.gqlRequests, m.gqlDuration, m.gqlInFlight, m.gqlQueued, m.restRequests, m.restDuration,
		m.restRetries, m.rateWait, m.circuits, m.circuitTransitions, m.fanOut, m.reloads} {
		f(c)
	}
	for _, s := range circuitStates {
		m.circuits.WithLabelValues(s) // export 0 before the first breaker exists
	}
	for _, r := range []string{"ok", "error"} {
		m.reloads.WithLabelValues(r)
	}
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: Namespace, Name: "build_info",
		Help:        "Always 1; labels name the running build.",
		ConstLabels: prometheus.Labels{"version": version, "goversion": runtime.Version()},
	})
	build.Set(1)
	f(build)
	f(collectors.NewGoCollector())
	f(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus text (or OpenMetrics)
// format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registerer is where other parts of the gateway register metrics of their
// own, so that Handler serves them too.
func (m *Metrics) Registerer() prometheus.Registerer { return m.reg }

// AddInFlight adds delta to the GraphQL requests being served.
func (m *Metrics) AddInFlight(delta int) { m.gqlInFlight.Add(float64(delta)) }

// SetQueued sets the GraphQL requests waiting for a turn to execute.
func (m *Metrics) SetQueued(n int) { m.gqlQueued.Set(float64(n)) }

// Reloaded counts a configuration reload: failed when err is not nil.
func (m *Metrics) Reloaded(err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.reloads.WithLabelValues(result).Inc()
}

// CircuitChange records that an account's breaker
// entered state (CircuitClosed, CircuitOpen or CircuitHalfOpen). The gauge
// counts breakers per state among the accounts whose breaker has changed
// state at least once (a breaker starts closed and is not reported until
// it opens); accounts are tracked, never exported as labels.
func (m *Metrics) CircuitChange(accountID, state string) {
	if !knownState(state) {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.breakers[accountID]; ok {
		if old == state {
			return
		}
		m.circuits.WithLabelValues(old).Dec()
	}
	m.breakers[accountID] = state
	m.circuits.WithLabelValues(state).Inc()
	m.circuitTransitions.WithLabelValues(state).Inc()
}

func knownState(s string) bool {
	for _, k := range circuitStates {
		if s == k {
			return true
		}
	}
	return false
}

// InstrumentGraphQL is middleware that counts and times GraphQL requests
// (the server gauges them with AddInFlight, from before their turn).
// Labels are read after the request, from what the handlers recorded in
// its reqlog.Info. It observes the metrics itself rather than through
// promhttp's three wrappers, which cost a response-writer wrapper, two
// label maps and their closures per request (4 allocations, 0.7 KiB; see
// docs/performance.md); what is recorded is the same, and as there,
// nothing but the in-flight gauge when a handler panics.
func (m *Metrics) InstrumentGraphQL(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		next.ServeHTTP(w, r)
		info := reqlog.InfoFrom(r.Context())
		op := info.MetricOperation()
		m.gqlDuration.WithLabelValues(op).Observe(time.Since(start).Seconds())
		m.gqlRequests.WithLabelValues(op, info.MetricOutcome()).Inc()
	})
}
