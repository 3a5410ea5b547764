package gateway

import (
	"log/slog"
	"net/http"

	"go.opentelemetry.io/otel/trace"

	"github.com/ipack-gateway/ipack-gateway/config"
	"github.com/ipack-gateway/ipack-gateway/platformapi"
	"github.com/ipack-gateway/ipack-gateway/resolver"
)

// ComposeOptions are what a test changes in Compose.
type ComposeOptions struct {
	// Tracer traces the gateway; nil: no tracing.
	Tracer trace.TracerProvider
	// Platform replaces the REST client under the resolvers (a fake);
	// nil: a platformapi.Client for cfg.
	Platform resolver.Platform
	// GraphiQLHeaders, as Deps.GraphiQLHeaders.
	GraphiQLHeaders map[string]string
}

// Compose builds a whole gateway for cfg as cmd/gateway's compose does, for
// the tests of this package and gateway_test: the Observer, the REST
// client, the resolvers and their schema, the signer, then NewServer.
func Compose(cfg *config.Config, log *slog.Logger, o ComposeOptions) (*Server, error) {
	log = Logger(log, cfg.Logs)
	obs := NewObserver("", o.Tracer)
	deps := Deps{Logger: log, Observer: obs, GraphiQLHeaders: o.GraphiQLHeaders}
	p := o.Platform
	if p == nil {
		transport := http.RoundTripper(platformapi.NewTransport(cfg.Platform.AttemptTimeout))
		if o.Tracer != nil {
			transport = TracingTransport(transport)
		}
		po := cfg.PlatformOptions()
		po.Transport, po.Logger, po.Observer = transport, log, obs
		client, err := platformapi.New(po)
		if err != nil {
			return nil, err
		}
		p, deps.Budget = client, client
	}
	ro := cfg.ResolverOptions()
	ro.Logger, ro.Observer, ro.Spaces = log, obs, SpaceDirectory{}
	schema, err := resolver.NewSchema(resolver.New(p, ro), PanicHandler(log), SchemaOptions(cfg)...)
	if err != nil {
		return nil, err
	}
	deps.Schema = schema
	if deps.Signer, err = cfg.Tokens.Signer(); err != nil {
		return nil, err
	}
	return NewServer(cfg, deps)
}
