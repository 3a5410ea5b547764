package config_test

import (
	"strings"
	"testing"

	"github.com/ipack-gateway/ipack-gateway/authtoken"
	"github.com/ipack-gateway/ipack-gateway/config"
	"github.com/ipack-gateway/ipack-gateway/platformapi"
	"github.com/ipack-gateway/ipack-gateway/resolver"
)

// TestValidateNeverPanics: a Config built in Go, however incomplete, gets
// an error from Validate, never a panic; Default with a space is valid.
func TestValidateNeverPanics(t *testing.T) {
	var zero config.Config
	if err := zero.Validate(); err == nil {
		t.Error("Validate(zero Config) = nil, want an error")
	}
	noSpaces := config.Default()
	if err := noSpaces.Validate(); err == nil || !strings.Contains(err.Error(), "spaces") {
		t.Errorf("Validate(Default()) = %v, want an error naming spaces", err)
	}
	c := config.Default()
	c.Spaces = []config.SpaceConfig{{GUID: "g", AccountID: "a", Auth: config.AuthPassthrough}}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate(Default() with a passthrough space) = %v, want nil", err)
	}
	// Each section zeroed on its own: an error, no panic.
	for name, zeroIt := range map[string]func(*config.Config){
		"platform": func(c *config.Config) { c.Platform = config.PlatformConfig{} },
		"attach":   func(c *config.Config) { c.Attach = config.AttachConfig{} },
		"graphql":  func(c *config.Config) { c.GraphQL = config.GraphQLConfig{} },
		"clients":  func(c *config.Config) { c.Clients = config.ClientsConfig{} },
		"server":   func(c *config.Config) { c.Server = config.ServerConfig{} },
		"health":   func(c *config.Config) { c.Health = config.HealthConfig{} },
		"tracing":  func(c *config.Config) { c.Tracing = config.TracingConfig{} },
		"logs":     func(c *config.Config) { c.Logs = config.LogsConfig{} },
		"tokens":   func(c *config.Config) { c.Tokens = config.TokensConfig{} },
		"idempotency": func(c *config.Config) {
			c.Idempotency = config.IdempotencyConfig{}
		},
	} {
		c := config.Default()
		c.Spaces = []config.SpaceConfig{{GUID: "g", AccountID: "a", Auth: config.AuthPassthrough}}
		zeroIt(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("Validate(Default() with %s zeroed) = nil, want an error", name)
		}
	}
}

// TestDefaultComposesOwners: each default is the owning package's value,
// not a copy written here.
func TestDefaultComposesOwners(t *testing.T) {
	c := config.Default()
	retry := platformapi.DefaultRetryPolicy
	limits := platformapi.DefaultLimits
	res := resolver.DefaultOptions()
	checks := []struct {
		name      string
		got, want any
	}{
		{"platform.baseURL", c.Platform.BaseURL, platformapi.DefaultBaseURL},
		{"platform.attemptTimeout", c.Platform.AttemptTimeout, platformapi.DefaultAttemptTimeout},
		{"platform.maxQueryPages", c.Platform.MaxQueryPages, platformapi.DefaultMaxQueryPages},
		{"platform.retry.maxAttempts", c.Platform.Retry.MaxAttempts, retry.MaxAttempts},
		{"platform.retry.waitMin", c.Platform.Retry.WaitMin, retry.WaitMin},
		{"platform.retry.waitMax", c.Platform.Retry.WaitMax, retry.WaitMax},
		{"platform.retry.retryAfterMax", c.Platform.Retry.RetryAfterMax, retry.RetryAfterMax},
		{"platform.rateLimit.requestsPerSecond", c.Platform.RateLimit.RequestsPerSecond, limits.RequestsPerSecond},
		{"platform.rateLimit.burst", c.Platform.RateLimit.Burst, limits.Burst},
		{"platform.circuitBreaker.minRequests", c.Platform.CircuitBreaker.MinRequests, limits.Breaker.MinRequests},
		{"platform.circuitBreaker.openFor", c.Platform.CircuitBreaker.OpenFor, limits.Breaker.OpenFor},
		{"clients.maxQueued", c.Clients.MaxQueued, limits.MaxQueuedPerClient},
		{"attach.concurrency", c.Attach.Concurrency, res.AttachConcurrency},
		{"attach.maxEnvironments", c.Attach.MaxEnvironments, res.MaxEnvironments},
		{"attach.settleTimeout", c.Attach.SettleTimeout, res.SettleTimeout},
		{"attach.settleDelay", c.Attach.SettleDelay, res.SettleDelay},
		{"tokens.lifetime", c.Tokens.Lifetime, authtoken.DefaultLifetime},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("Default().%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
	// What the config hands the constructors is what they would take for
	// themselves: the defaults agree in both directions.
	c.Spaces = []config.SpaceConfig{{GUID: "g", AccountID: "a", Auth: config.AuthPassthrough}}
	if got := c.ResolverOptions(); got != res {
		t.Errorf("Default().ResolverOptions() = %+v, want resolver.DefaultOptions() %+v", got, res)
	}
	po := c.PlatformOptions()
	if po.Limits.RequestsPerSecond != limits.RequestsPerSecond || po.Limits.Breaker != limits.Breaker || po.Limits.MaxQueuedPerClient != limits.MaxQueuedPerClient {
		t.Errorf("Default().PlatformOptions().Limits = %+v, want platformapi.DefaultLimits %+v", po.Limits, limits)
	}
}

// TestParseDecodesOverDefaults: a key left out keeps its default; a key
// given 0 or false is 0 or false, not the default.
func TestParseDecodesOverDefaults(t *testing.T) {
	cfg, err := config.Parse([]byte(`
clients: {requestsPerSecond: 0, maxQueued: 0}
platform: {rateLimit: {requestsPerSecond: 0}, circuitBreaker: {enabled: false}}
metrics: {enabled: false}
graphql: {introspection: false}
attach: {settleDelay: 0s}
logs: {warningsPerSecond: 0}
health: {checkUpstream: false}
`+validSpace), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	d := config.Default()
	checks := []struct {
		name      string
		got, want any
	}{
		{"clients.requestsPerSecond", cfg.Clients.RequestsPerSecond, 0.0},
		{"clients.maxQueued", cfg.Clients.MaxQueued, 0},
		{"clients.burst (left out)", cfg.Clients.Burst, d.Clients.Burst},
		{"platform.rateLimit.requestsPerSecond", cfg.Platform.RateLimit.RequestsPerSecond, 0.0},
		{"platform.rateLimit.burst (left out)", cfg.Platform.RateLimit.Burst, d.Platform.RateLimit.Burst},
		{"platform.circuitBreaker.enabled", cfg.Platform.CircuitBreaker.Enabled, false},
		{"platform.circuitBreaker.window (left out)", cfg.Platform.CircuitBreaker.Window, d.Platform.CircuitBreaker.Window},
		{"metrics.enabled", cfg.Metrics.Enabled, false},
		{"graphql.introspection", cfg.GraphQL.Introspection, false},
		{"graphql.maxDepth (left out)", cfg.GraphQL.MaxDepth, d.GraphQL.MaxDepth},
		{"attach.settleDelay", cfg.Attach.SettleDelay, d.Attach.SettleDelay * 0},
		{"logs.warningsPerSecond", cfg.Logs.WarningsPerSecond, 0.0},
		{"health.checkUpstream", cfg.Health.CheckUpstream, false},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

// TestParseTypeErrorMessage: a value of the wrong type names its key path.
func TestParseTypeErrorMessage(t *testing.T) {
	_, err := config.Parse([]byte("graphql:\n  maxDepth: deep\n"+validSpace), noEnv)
	const want = `config: graphql.maxDepth: want an integer, got "deep"`
	if err == nil || err.Error() != want {
		t.Errorf("Parse error = %v, want %s", err, want)
	}
}

// TestParseSyntaxErrorLine: a YAML syntax error names the line at fault,
// not the line where the enclosing mapping or list begins (yaml.v3's
// report).
func TestParseSyntaxErrorLine(t *testing.T) {
	tests := []struct {
		name, yaml string
		line       string
	}{
		{"key indented one space less", "listen: 127.0.0.1:1\nplatform:\n  baseURL: http://x\n  retry:\n    maxAttempts: 3\n   waitMin: 1s\nattach:\n  concurrency: 2\n", "line 6:"},
		{"key indented one space too few", "platform:\n  baseURL: http://x\n  attemptTimeout: 5s\n maxQueryPages: 3\n", "line 4:"},
		{"list item key misaligned", "spaces:\n  - guid: a\n    accountId: b\n   auth: passthrough\n", "line 4:"},
		{"tab", "graphql:\n  maxDepth: 3\n\tmaxAliases: 3\n", "line 3:"},
		{"key indented too far", "platform:\n  baseURL: http://x\n   attemptTimeout: 5s\n", "line 3:"},
	}
	for _, tt := range tests {
		_, err := config.Parse([]byte(tt.yaml), noEnv)
		if err == nil || !strings.Contains(err.Error(), tt.line) {
			t.Errorf("%s: Parse error = %v, want one at %s", tt.name, err, tt.line)
		}
	}
}
