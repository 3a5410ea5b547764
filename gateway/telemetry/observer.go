// Package telemetry is what the gateway tells operators about its work:
// Prometheus metrics (Metrics, served at /metrics), OpenTelemetry traces
// (NewTracerProvider, a server span per GraphQL request with TraceGraphQL,
// a client span per REST attempt sent upstream by TracingTransport) and
// the Observer, which learns every REST attempt and attach fan-out and
// turns them into metrics, spans, the access line's REST counters
// (reqlog.Info) and a sign of the upstream's life.
package telemetry

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/ipack-gateway/ipack-gateway/gateway/reqlog"
	"github.com/ipack-gateway/ipack-gateway/platformapi"
)

// Observer is what the gateway learns from its REST client and its
// resolvers: it implements platformapi.Observer and resolver.Observer.
// Every REST attempt, retries included, reaches it with the REST object
// platformapi named, so a new REST object needs no change here. From each
// attempt it keeps:
//
//   - the metrics (rest_requests_total, rest_request_duration_seconds,
//     rest_retries_total, rest_rate_wait_seconds), labelled by object and
//     method;
//   - the access log's rest_calls and rest_retries of the GraphQL request
//     the attempt belongs to (its reqlog.Info, found in the attempt's
//     context);
//   - a sign of life of the upstream, for /readyz (any answer but 404);
//   - a client span "REST <method> <object>" when tracing is on, whose
//     trace context TracingTransport sends upstream.
//
// Build one with NewObserver, give it to the REST client and the resolvers,
// then to the server: an Observer serves one server.
type Observer struct {
	metrics *Metrics
	tp      trace.TracerProvider // nil when tracing is off
	tracer  trace.Tracer         // of tp
	// lastAnswer is when the upstream last answered (unix nanoseconds).
	lastAnswer atomic.Int64
}

// NewObserver returns an Observer whose metrics name the build version
// (build_info) and which traces with tp (nil: no tracing). The caller owns
// tp and shuts it down.
func NewObserver(version string, tp trace.TracerProvider) *Observer {
	if version == "" {
		version = "unknown"
	}
	o := &Observer{metrics: newMetrics(version), tp: tp}
	if tp != nil {
		o.tracer = tp.Tracer("github.com/ipack-gateway/ipack-gateway/gateway")
	}
	return o
}

// Metrics returns the metrics the Observer feeds, for the server to feed
// and serve too.
func (o *Observer) Metrics() *Metrics { return o.metrics }

// TracerProvider returns the provider the Observer traces with; nil when
// tracing is off.
func (o *Observer) TracerProvider() trace.TracerProvider { return o.tp }

// AttemptStart implements platformapi.Observer: it starts the attempt's
// span.
func (o *Observer) AttemptStart(ctx context.Context, a platformapi.Attempt) (context.Context, error) {
	if o.tracer != nil {
		ctx, _ = o.tracer.Start(ctx, "REST "+a.Method+" "+a.Object, trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(
				attribute.String("http.request.method", a.Method),
				attribute.String("ipack.rest.object", a.Object),
				attribute.Int("http.request.resend_count", a.Number-1),
			))
	}
	return ctx, nil
}

// AttemptDone implements platformapi.Observer.
func (o *Observer) AttemptDone(ctx context.Context, a platformapi.Attempt) {
	if o.tracer != nil {
		endSpan(ctx, a)
	}
	if !a.Dispatched {
		// Stopped before the transport (the budget, a refusal): no REST
		// call was made.
		return
	}
	m := o.metrics
	method := lowerMethod(a.Method)
	m.rateWait.Observe(a.BudgetWait.Seconds())
	if a.Number > 1 {
		m.restRetries.WithLabelValues(a.Object, method).Inc()
	}
	reqlog.InfoFrom(ctx).CountREST(a.Number > 1)
	if a.StatusCode == 0 {
		m.restRequests.WithLabelValues(a.Object, method, "error").Inc()
		return
	}
	m.restRequests.WithLabelValues(a.Object, method, statusLabel(a.StatusCode)).Inc()
	m.restDuration.WithLabelValues(a.Object, method).Observe(a.Duration.Seconds())
	if a.StatusCode != 404 {
		// A sign of life; a 404 may be a base URL that leads nowhere.
		o.UpstreamAnswered()
	}
}

// CircuitChange implements platformapi.Observer (see Metrics).
func (o *Observer) CircuitChange(accountID, state string) { o.metrics.CircuitChange(accountID, state) }

// FanOut implements resolver.Observer: one attach fans out to width REST
// calls.
func (o *Observer) FanOut(width int) { o.metrics.fanOut.Observe(float64(width)) }

// UpstreamAnswered notes that the upstream answered now: a REST answer
// other than 404, or /readyz's probe.
func (o *Observer) UpstreamAnswered() { o.lastAnswer.Store(time.Now().UnixNano()) }

// UpstreamAnsweredWithin reports whether the upstream answered within d.
func (o *Observer) UpstreamAnsweredWithin(d time.Duration) bool {
	return time.Since(time.Unix(0, o.lastAnswer.Load())) < d
}

// endSpan ends the attempt's span with what the attempt got.
func endSpan(ctx context.Context, a platformapi.Attempt) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	if a.StatusCode != 0 {
		span.SetAttributes(attribute.Int("http.response.status_code", a.StatusCode))
	}
	if a.BudgetWait > 0 {
		span.SetAttributes(attribute.Float64("ipack.rest.budget_wait_seconds", a.BudgetWait.Seconds()))
	}
	switch {
	case a.Err != nil:
		span.SetStatus(codes.Error, a.Err.Error())
	case a.StatusCode >= 500:
		span.SetStatus(codes.Error, "")
	}
	span.End()
}

// lowerMethod is the "method" label: the method in lower case, without an
// allocation for the methods the client uses.
func lowerMethod(m string) string {
	switch m {
	case "GET":
		return "get"
	case "POST":
		return "post"
	case "DELETE":
		return "delete"
	case "PUT":
		return "put"
	}
	return strings.ToLower(m)
}

// statusLabel is the "code" label, without an allocation for the statuses
// REST commonly answers.
func statusLabel(s int) string {
	switch s {
	case 200:
		return "200"
	case 201:
		return "201"
	case 204:
		return "204"
	case 400:
		return "400"
	case 401:
		return "401"
	case 403:
		return "403"
	case 404:
		return "404"
	case 409:
		return "409"
	case 410:
		return "410"
	case 429:
		return "429"
	case 500:
		return "500"
	case 502:
		return "502"
	case 503:
		return "503"
	case 504:
		return "504"
	}
	return strconv.Itoa(s)
}
