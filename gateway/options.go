package gateway

import "go.opentelemetry.io/otel/trace"

// Option changes what NewServer builds.
type Option func(*options)

type options struct {
	tracer          trace.TracerProvider
	version         string
	graphiqlHeaders map[string]string
}

// WithTracerProvider traces with tp instead of the provider the config's
// tracing section describes. Tests pass one with an in-memory exporter.
// The caller owns tp and shuts it down.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(o *options) { o.tracer = tp }
}

// WithVersion names the running build, in /metrics (build_info) and in
// traces (service.version).
func WithVersion(v string) Option {
	return func(o *options) { o.version = v }
}

// WithGraphiQLHeaders prefills GraphiQL's Headers editor; demo mode passes
// its space and token. The default prefills placeholders for SPACE_GUID
// and Authorization.
func WithGraphiQLHeaders(h map[string]string) Option {
	return func(o *options) { o.graphiqlHeaders = h }
}
