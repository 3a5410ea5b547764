package config

import (
	"fmt"
	"net/url"
	"time"
)

// Operations settings: health, drain delay, metrics, tracing, GraphiQL,
// logs. They are Config fields like any other; their defaults and checks
// live here.

// HealthConfig tunes GET /readyz.
type HealthConfig struct {
	// CheckUpstream makes readiness depend on the upstream being reachable.
	CheckUpstream bool `yaml:"checkUpstream"`
	// UpstreamInterval: a REST answer this recent proves the upstream
	// reachable; older, /readyz probes it.
	UpstreamInterval time.Duration `yaml:"upstreamInterval"`
	// ProbeTimeout bounds that probe.
	ProbeTimeout time.Duration `yaml:"probeTimeout"`
}

// MetricsConfig configures GET /metrics.
type MetricsConfig struct {
	// Enabled serves Prometheus metrics at /metrics.
	Enabled bool `yaml:"enabled"`
}

// TracingConfig configures OpenTelemetry tracing.
type TracingConfig struct {
	// Endpoint is the OTLP/HTTP traces URL, e.g.
	// http://otel-collector:4318/v1/traces. Empty: tracing is off.
	Endpoint string `yaml:"endpoint"`
	// SampleRatio is the share of new traces recorded, in (0, 1]; a
	// client's sampled traceparent is always followed.
	SampleRatio float64 `yaml:"sampleRatio"`
	// ServiceName is the service.name of the spans.
	ServiceName string `yaml:"serviceName"`
}

// GraphiQLConfig configures the GraphiQL page.
type GraphiQLConfig struct {
	// Enabled serves GraphiQL at GET /graphql to browsers (Accept: text/html).
	Enabled bool `yaml:"enabled"`
}

// LogsConfig bounds repeated log lines (the gateway's throttleHandler).
type LogsConfig struct {
	// WarningsPerSecond is the rate, process-wide, at which lines of one
	// kind (one message) at warn level and above are written once
	// WarningBurst of them have been; the others are counted and the count
	// reported. 0 writes every line.
	WarningsPerSecond float64 `yaml:"warningsPerSecond"`
	// WarningBurst is how many lines of one kind may be written at once.
	WarningBurst int `yaml:"warningBurst"`
}

// Defaults of the operations settings.
const (
	DefaultUpstreamInterval  = 30 * time.Second
	DefaultProbeTimeout      = 2 * time.Second
	DefaultSampleRatio       = 1.0
	DefaultServiceName       = "ipack-gateway"
	DefaultWarningsPerSecond = 1.0
	DefaultWarningBurst      = 20
)

func (c *Config) validateOps() error {
	bad := func(key, format string, args ...any) error {
		return fmt.Errorf("config: %s: %s", key, fmt.Sprintf(format, args...))
	}
	switch {
	case c.Health.UpstreamInterval <= 0:
		return bad("health.upstreamInterval", "must be positive")
	case c.Health.ProbeTimeout <= 0:
		return bad("health.probeTimeout", "must be positive")
	case c.DrainDelay < 0 || c.DrainDelay > 10*time.Minute:
		return bad("drainDelay", "must be between 0s and 10m, got %s", c.DrainDelay)
	case c.Tracing.SampleRatio <= 0 || c.Tracing.SampleRatio > 1:
		return bad("tracing.sampleRatio", "must be in (0, 1], got %g", c.Tracing.SampleRatio)
	case c.Tracing.ServiceName == "":
		return bad("tracing.serviceName", "must not be empty")
	case c.Logs.WarningsPerSecond < 0:
		return bad("logs.warningsPerSecond", "must be 0 (no limit) or more, got %g", c.Logs.WarningsPerSecond)
	case c.Logs.WarningBurst < 1:
		return bad("logs.warningBurst", "must be at least 1, got %d", c.Logs.WarningBurst)
	}
	if e := c.Tracing.Endpoint; e != "" {
		u, err := url.Parse(e)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			return bad("tracing.endpoint", "want an http(s) URL without credentials, e.g. http://otel-collector:4318/v1/traces")
		}
	}
	return nil
}
