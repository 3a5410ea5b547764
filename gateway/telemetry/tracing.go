package telemetry

import (
	"context"
	"fmt"
	"net/http"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/ipack-gateway/ipack-gateway/config"
	"github.com/ipack-gateway/ipack-gateway/gateway/graphiql"
	"github.com/ipack-gateway/ipack-gateway/gateway/reqlog"
)

// NewTracerProvider returns a provider that batches spans to the OTLP/HTTP
// endpoint of cfg, or nil when tracing is off (no endpoint). No global
// provider is set: the composition root hands it to what it instruments
// (NewObserver, TraceGraphQL), and shuts it down, which flushes the spans still
// buffered. The exporter also reads the standard OTEL_EXPORTER_OTLP_*
// variables, e.g. OTEL_EXPORTER_OTLP_HEADERS for a collector's API key.
// Creating it does no I/O, so -check-config calls it to check the
// exporter's settings.
func NewTracerProvider(cfg config.TracingConfig, version string) (*sdktrace.TracerProvider, error) {
	if cfg.Endpoint == "" {
		return nil, nil
	}
	// Creating the exporter does no I/O; export errors are logged by the SDK
	// and never fail a request.
	exp, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpointURL(cfg.Endpoint))
	if err != nil {
		return nil, fmt.Errorf("gateway: tracing.endpoint: %w", err)
	}
	res := resource.NewSchemaless(
		attribute.String("service.name", cfg.ServiceName),
		attribute.String("service.version", version),
	)
	return sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(cfg.SampleRatio))),
	), nil
}

// TraceGraphQL returns middleware that starts a server span with tp for
// each GraphQL request (not for health checks, metrics or GraphiQL's
// page), continuing the client's trace when it sent a W3C traceparent, and
// once the request is answered puts what it turned out to be on the span,
// from its reqlog.Info (which must be in the context already: RequestID
// runs first). With tp nil (tracing off) it adds nothing.
func TraceGraphQL(tp trace.TracerProvider) func(http.Handler) http.Handler {
	if tp == nil {
		return func(next http.Handler) http.Handler { return next }
	}
	return func(next http.Handler) http.Handler {
		annotated := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r)
			if info := reqlog.InfoFrom(r.Context()); info.Outcome != "" { // a GraphQL request
				annotateSpan(r.Context(), info)
			}
		})
		return traceGraphQL(tp, annotated)
	}
}

func traceGraphQL(tp trace.TracerProvider, next http.Handler) http.Handler {
	return otelhttp.NewHandler(next, "graphql",
		otelhttp.WithTracerProvider(tp),
		otelhttp.WithPropagators(propagation.TraceContext{}),
		otelhttp.WithFilter(func(r *http.Request) bool {
			return r.URL.Path == "/graphql" && !graphiql.WantsHTML(r)
		}),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method + " /graphql" }),
	)
}

// annotateSpan puts what the request turned out to be on its span.
func annotateSpan(ctx context.Context, info *reqlog.Info) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	span.SetAttributes(
		attribute.String("graphql.operation.name", reqlog.Clip(info.Operation)),
		attribute.String("graphql.operation.type", info.OperationType),
		attribute.String("ipack.outcome", info.MetricOutcome()),
		attribute.Int64("ipack.rest_calls", info.RESTCalls()),
	)
}

// TracingTransport sends the W3C trace context of each REST attempt's span
// (started by Observer.AttemptStart) upstream as traceparent, on a copy of
// the request, as RoundTrip may not change its own. Attempts without a
// span go as they are. The composition root puts it under the REST client
// when tracing is on.
func TracingTransport(next http.RoundTripper) http.RoundTripper {
	return tracingTransport{next: next}
}

type tracingTransport struct{ next http.RoundTripper }

func (t tracingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	ctx := r.Context()
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return t.next.RoundTrip(r)
	}
	r = r.Clone(ctx)
	propagation.TraceContext{}.Inject(ctx, propagation.HeaderCarrier(r.Header))
	return t.next.RoundTrip(r)
}
