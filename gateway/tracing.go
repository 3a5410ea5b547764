package gateway

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

	"github.com/ipack-gateway/ipack-gateway/gateway/graphiql"
)

// newTracerProvider returns a provider that batches spans to the OTLP/HTTP
// endpoint of cfg, or nil when tracing is off (no endpoint). No global
// provider is set: the gateway hands its provider to what it instruments.
// The exporter also reads the standard OTEL_EXPORTER_OTLP_* variables, e.g.
// OTEL_EXPORTER_OTLP_HEADERS for a collector's API key.
func newTracerProvider(cfg TracingConfig, version string) (*sdktrace.TracerProvider, error) {
	if cfg.Endpoint == "" {
		return nil, nil
	}
	// Creating the exporter does no I/O; export errors are logged by the SDK
	// and never fail a request.
	exp, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpointURL(cfg.Endpoint))
	if err != nil {
		return nil, fmt.Errorf("tracing.endpoint: %w", err)
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

// traceGraphQL starts a server span for each GraphQL request (not for
// health checks, metrics or GraphiQL's page), continuing the client's trace
// when it sent a W3C traceparent. accessLog adds the operation's attributes.
func (s *Server) traceGraphQL(next http.Handler) http.Handler {
	if s.tracer == nil {
		return next
	}
	return otelhttp.NewHandler(next, "graphql",
		otelhttp.WithTracerProvider(s.tracer),
		otelhttp.WithPropagators(propagation.TraceContext{}),
		otelhttp.WithFilter(func(r *http.Request) bool {
			return r.URL.Path == "/graphql" && !graphiql.WantsHTML(r)
		}),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method + " /graphql" }),
	)
}

// annotateSpan puts what the request turned out to be on its span.
func annotateSpan(ctx context.Context, info *requestInfo) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	span.SetAttributes(
		attribute.String("graphql.operation.name", clipLogged(info.op.name)),
		attribute.String("graphql.operation.type", info.op.typ),
		attribute.String("ipack.outcome", info.metricOutcome()),
		attribute.Int64("ipack.rest_calls", info.restCalls.Load()),
	)
}
