package gateway

import (
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/propagation"

	"github.com/ipack-gateway/ipack-gateway/platformapi"
)

// restObjects are the values of the "object" label of REST metrics: the
// Platform API objects the gateway calls. Paths are never labels (they hold
// account and attachment ids); any other object counts as "other".
var restObjects = map[string]bool{
	"IntegrationPackEnvironmentAttachment": true,
	"IntegrationPackInstance":              true,
	"IntegrationPack":                      true,
	"Environment":                          true,
	// The Spaces surface.
	"Atom":                            true,
	"EnvironmentAtomAttachment":       true,
	"Process":                         true,
	"EnvironmentExtensions":           true,
	"EnvironmentMapExtensionsSummary": true,
	"EnvironmentMapExtension":         true,
	// Process schedules and runs.
	"ProcessSchedules":      true,
	"ProcessScheduleStatus": true,
	"ExecutionRecord":       true,
	"ExecutionRequest":      true,
}

// restObject names the object of a REST URL path
// {basePath}/{accountId}/{Object}[/...], from the fixed set restObjects.
func restObject(basePath, path string) string {
	rest, ok := strings.CutPrefix(path, basePath)
	if !ok {
		return "other"
	}
	_, rest, _ = strings.Cut(strings.TrimPrefix(rest, "/"), "/") // the account id
	obj, _, _ := strings.Cut(rest, "/")
	if restObjects[obj] {
		return obj
	}
	return "other"
}

// restTransport wraps the REST client's transport so that every attempt,
// retries included, is counted and timed by object, method and status,
// traced with a client span that sends W3C traceparent upstream (when
// tracing is on), counted in its GraphQL request's log line, and taken as
// a sign of life of the upstream for /readyz.
func (s *Server) restTransport(base http.RoundTripper, basePath string) http.RoundTripper {
	object := func(r *http.Request) string { return restObject(basePath, r.URL.Path) }
	byObject := promhttp.WithLabelFromRequest("object", object)
	var t http.RoundTripper = base
	t = promhttp.InstrumentRoundTripperDuration(s.metrics.restDuration, t, byObject)
	t = promhttp.InstrumentRoundTripperCounter(s.metrics.restRequests, t, byObject)
	if s.tracer != nil {
		t = otelhttp.NewTransport(t,
			otelhttp.WithTracerProvider(s.tracer),
			otelhttp.WithPropagators(propagation.TraceContext{}),
			otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
				return "REST " + r.Method + " " + object(r)
			}))
	}
	return &restObserver{next: t, s: s, object: object}
}

// restObserver does what promhttp's instrumentation does not: it counts
// attempts that got no answer, retries, and each request's REST calls.
type restObserver struct {
	next   http.RoundTripper
	s      *Server
	object func(*http.Request) string
}

func (o *restObserver) RoundTrip(r *http.Request) (*http.Response, error) {
	ctx := r.Context()
	info, _ := ctx.Value(requestInfoKey{}).(*requestInfo)
	obj, method := o.object(r), strings.ToLower(r.Method)
	if platformapi.Attempt(ctx) > 1 {
		o.s.metrics.restRetries.WithLabelValues(obj, method).Inc()
		if info != nil {
			info.restRetries.Add(1)
		}
	}
	if info != nil {
		info.restCalls.Add(1)
	}
	resp, err := o.next.RoundTrip(r)
	if err != nil {
		o.s.metrics.restRequests.WithLabelValues(obj, method, "error").Inc()
		return nil, err
	}
	o.s.health.upstreamAnswered(resp.StatusCode)
	return resp, nil
}
