// Package config is the gateway's configuration: what config.example.yaml
// documents, read from YAML with ${NAME} expanded from the environment,
// every key known, and errors that name the key at fault.
//
// Each default is written once, by the package that owns the setting
// (platformapi.DefaultRetryPolicy, platformapi.DefaultLimits,
// resolver.DefaultOptions, authtoken.DefaultLifetime, and, for the HTTP
// side, the constants here); Default composes them, and Parse decodes the
// file over Default, so a key left out keeps its default and a key given
// as 0 or false is 0 or false. Validate checks a Config once, at start;
// PlatformOptions, ResolverOptions and StoreOptions give the REST client's,
// the resolvers' and the Redis store's options. A Config can as well be
// built in Go:
//
//	c := config.Default()
//	c.Spaces = []config.SpaceConfig{{GUID: "g", AccountID: "a", Auth: config.AuthPassthrough}}
//	err := c.Validate()
package config

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ipack-gateway/ipack-gateway/authtoken"
	"github.com/ipack-gateway/ipack-gateway/platformapi"
	"github.com/ipack-gateway/ipack-gateway/ratelimit"
	"github.com/ipack-gateway/ipack-gateway/resolver"
)

// Config is the gateway's configuration, read from YAML (see
// config.example.yaml, which documents every key).
type Config struct {
	// Listen is the address to serve on.
	Listen string `yaml:"listen"`
	// Server bounds inbound connections (server.go).
	Server ServerConfig `yaml:"server"`
	// Platform configures the REST client.
	Platform PlatformConfig `yaml:"platform"`
	// Attach tunes the attach fan-out.
	Attach AttachConfig `yaml:"attach"`
	// GraphQL bounds what clients may send.
	GraphQL GraphQLConfig `yaml:"graphql"`
	// Clients bounds each client's request rate.
	Clients ClientsConfig `yaml:"clients"`
	// Redis is where replicas share their limits, with
	// platform.rateLimit.store: redis (package gateway/limits).
	Redis RedisConfig `yaml:"redis"`
	// Idempotency configures Idempotency-Key on mutations (idempotency.go).
	Idempotency IdempotencyConfig `yaml:"idempotency"`
	// ShutdownGrace is how long in-flight requests may run after SIGTERM.
	ShutdownGrace time.Duration `yaml:"shutdownGrace"`
	// DrainDelay is how long the gateway keeps serving after SIGTERM, with
	// /readyz at 503, before it stops accepting connections: time for a
	// load balancer to take it out of rotation.
	DrainDelay time.Duration `yaml:"drainDelay"`
	// Spaces are the spaces clients may act on, each tied to an account.
	Spaces []SpaceConfig `yaml:"spaces"`
	// Tokens configures the token endpoint, GET /auth/jwt/generate/{accountId}.
	Tokens TokensConfig `yaml:"tokens"`

	// Operations settings (ops.go).
	Health   HealthConfig   `yaml:"health"`
	Metrics  MetricsConfig  `yaml:"metrics"`
	Tracing  TracingConfig  `yaml:"tracing"`
	GraphiQL GraphiQLConfig `yaml:"graphiql"`
	Logs     LogsConfig     `yaml:"logs"`
}

// ClientsConfig limits inbound requests per bearer token.
type ClientsConfig struct {
	// RequestsPerSecond per token; 0 disables the limit.
	RequestsPerSecond float64 `yaml:"requestsPerSecond"`
	Burst             int     `yaml:"burst"`
	// AuthFailuresPerMinute bounds failed authentications per client
	// address (bearer tokens and the token endpoint's Basic credentials);
	// past it, HTTP 429. 0 disables the bound.
	AuthFailuresPerMinute int `yaml:"authFailuresPerMinute"`
	// MaxQueued bounds a client's requests waiting for its account's REST
	// budget at once (per space; a client is its token, or its address on
	// a passthrough space); past it, HTTP 429. 0 disables the bound.
	MaxQueued int `yaml:"maxQueued"`
	// MaxExecuting bounds a client's GraphQL requests executing at once
	// (per space, counted as graphql.maxExecuting counts); the client's
	// others wait for its turn. 0 disables the bound. See docs/cost-bounds.md.
	MaxExecuting int `yaml:"maxExecuting"`
}

// RateLimitConfig is the per-account REST budget.
type RateLimitConfig struct {
	// RequestsPerSecond per account; 0 disables pacing.
	RequestsPerSecond float64 `yaml:"requestsPerSecond"`
	Burst             int     `yaml:"burst"`
	// Store is where this budget, the per-client limit and the
	// failed-authentication throttle live: StoreMemory (one replica) or
	// StoreRedis (shared by every replica). See package gateway/limits.
	Store string `yaml:"store"`
	// Replicas is how many gateway replicas run at once (a rollout's
	// surge included): while Redis is down, each keeps to 1/Replicas of
	// the budget.
	Replicas int `yaml:"replicas"`
}

// BreakerConfig is the per-account circuit breaker.
type BreakerConfig struct {
	Enabled        bool          `yaml:"enabled"`
	FailureRatio   float64       `yaml:"failureRatio"`
	MinRequests    uint32        `yaml:"minRequests"`
	Window         time.Duration `yaml:"window"`
	OpenFor        time.Duration `yaml:"openFor"`
	HalfOpenProbes uint32        `yaml:"halfOpenProbes"`
}

// PlatformConfig configures calls to the vendor's Platform REST API.
type PlatformConfig struct {
	BaseURL        string          `yaml:"baseURL"`
	AttemptTimeout time.Duration   `yaml:"attemptTimeout"`
	MaxQueryPages  int             `yaml:"maxQueryPages"`
	Retry          RetryConfig     `yaml:"retry"`
	RateLimit      RateLimitConfig `yaml:"rateLimit"`
	CircuitBreaker BreakerConfig   `yaml:"circuitBreaker"`
}

// RetryConfig is the REST retry policy.
type RetryConfig struct {
	MaxAttempts   int           `yaml:"maxAttempts"`
	WaitMin       time.Duration `yaml:"waitMin"`
	WaitMax       time.Duration `yaml:"waitMax"`
	RetryAfterMax time.Duration `yaml:"retryAfterMax"`
}

// AttachConfig tunes attach.
type AttachConfig struct {
	Concurrency     int `yaml:"concurrency"`
	MaxEnvironments int `yaml:"maxEnvironments"`
	// OnPartialFailure is "report" (default) or "rollback".
	OnPartialFailure string        `yaml:"onPartialFailure"`
	SettleTimeout    time.Duration `yaml:"settleTimeout"`
	SettleDelay      time.Duration `yaml:"settleDelay"`
}

// GraphQLConfig bounds GraphQL requests.
type GraphQLConfig struct {
	MaxBodyBytes   int64         `yaml:"maxBodyBytes"`
	MaxQueryLength int           `yaml:"maxQueryLength"`
	MaxDepth       int           `yaml:"maxDepth"`
	Introspection  bool          `yaml:"introspection"`
	RequestTimeout time.Duration `yaml:"requestTimeout"`
	MaxRootFields  int           `yaml:"maxRootFields"`
	MaxAliases     int           `yaml:"maxAliases"`
	// MaxSelections bounds the fields, fragment spreads and inline
	// fragments a document expands to (each fragment counted each time it
	// is spread), summed over its operations.
	MaxSelections int `yaml:"maxSelections"`
	// MaxVariablesBytes bounds the JSON text of a request's variables.
	MaxVariablesBytes int `yaml:"maxVariablesBytes"`
	// MaxTokens bounds the lexical tokens of a query document (names,
	// punctuation, values; commas and comments are none), counted before
	// it is parsed. See docs/cost-bounds.md.
	MaxTokens int `yaml:"maxTokens"`
	// MaxVariableValues bounds the JSON values of a request's variables
	// (every list item, object field and nested value), counted before
	// they are decoded.
	MaxVariableValues int `yaml:"maxVariableValues"`
	// MaxExecuting bounds the GraphQL requests executing at once; the
	// others wait for a fair turn, before anything is built for them, for
	// at most RequestTimeout.
	MaxExecuting int `yaml:"maxExecuting"`
}

// SpaceConfig ties a space to a vendor account and the clients it admits.
type SpaceConfig struct {
	GUID         string      `yaml:"guid"`
	AccountID    string      `yaml:"accountId"`
	Credentials  Credentials `yaml:"credentials"`
	ClientTokens []string    `yaml:"clientTokens"`
	// Auth is how the space's REST calls authenticate: AuthCredentials
	// (also when empty) or AuthPassthrough.
	Auth string `yaml:"auth"`
	// TokenCredentials are the HTTP Basic credentials the token endpoint
	// accepts for this space's account; its tokens are valid here.
	TokenCredentials []TokenCredential `yaml:"tokenCredentials"`
	// Default makes this the space of a request without SPACE_GUID whose
	// token names no space (see gateway's inferSpace); at most one space
	// is the default.
	Default bool `yaml:"default"`
	// Display values the spaces, Space and spaceAccounts queries answer
	// with (the vendor keeps them in its own Spaces store); all optional.
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	URL         string `yaml:"url"`
	AccountName string `yaml:"accountName"`
	// More of the vendor's Space fields, as the operator copies them from
	// the vendor's Space (optional, answered as written): its account
	// group, its logo, and its dates (the vendor writes them
	// "2022-11-02 18:41:11.0").
	AccountGroup SpaceAccountGroup `yaml:"accountGroup"`
	Theme        SpaceTheme        `yaml:"theme"`
	CreatedDate  string            `yaml:"createdDate"`
	ModifiedDate string            `yaml:"modifiedDate"`
}

// SpaceAccountGroup is the account group a space is shared with, as the
// vendor's Space names it.
type SpaceAccountGroup struct {
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
}

// SpaceTheme is a space's logo, as the vendor's Space names it.
type SpaceTheme struct {
	LogoURL    string `yaml:"logoUrl"`
	LogoAltTxt string `yaml:"logoAltTxt"`
}

// Credentials are the REST API credentials of an account.
type Credentials struct {
	Username string `yaml:"username"`
	Password string `yaml:"password"`
}

// String redacts the password, so a Config printed by mistake leaks nothing.
func (c Credentials) String() string { return "{" + c.Username + " [redacted]}" }

// GoString redacts the password in %#v.
func (c Credentials) GoString() string { return c.String() }

// Defaults of the HTTP side's settings, which the gateway owns but cannot
// export to this package (it imports this one). The REST client's and the
// resolvers' defaults come from their packages (see Default).
const (
	DefaultListen = "127.0.0.1:8080"
	// DefaultMaxBodyBytes holds a query of maxQueryLength and variables of
	// maxVariablesBytes, JSON-escaped, with room to spare. Reading and
	// scanning a body costs about 5 times its length (docs/cost-bounds.md).
	DefaultMaxBodyBytes   = 256 << 10
	DefaultMaxQueryLength = 64 << 10
	DefaultMaxDepth       = 16 // the standard introspection query (GraphiQL's) is 13 deep
	DefaultRequestTimeout = 60 * time.Second
	DefaultShutdownGrace  = 30 * time.Second
	DefaultMaxRootFields  = 10
	DefaultMaxAliases     = 30
	// DefaultMaxSelections leaves room for GraphiQL's introspection query
	// (about 250 selections expanded) four times over; the vendor's
	// samples select fewer than 20.
	DefaultMaxSelections = 1000
	// DefaultMaxVariablesBytes is 64 KiB: an attach of 100 environments
	// by variables takes 4 KiB.
	DefaultMaxVariablesBytes = 64 << 10
	// DefaultMaxTokens is six times GraphiQL's introspection query (165
	// tokens); the vendor's samples hold fewer than 50, an attach of 100
	// environments about 125. docs/cost-bounds.md measures what it bounds.
	DefaultMaxTokens = 1000
	// DefaultMaxVariableValues leaves room for an attach of
	// attach.maxEnvironments' default (100) ten times over.
	DefaultMaxVariableValues = 1000
	// DefaultClientMaxExecuting is a client's share of execution: its
	// requests past it wait for their turn (docs/cost-bounds.md).
	DefaultClientMaxExecuting = 4
	// DefaultClientRequestsPerSecond is five times an account's whole
	// REST budget: past the queue bound the excess is refused, not queued.
	DefaultClientRequestsPerSecond = 50
	DefaultClientBurst             = 100
	DefaultAuthFailuresPerMinute   = 30
)

// Values of AttachConfig.OnPartialFailure.
const (
	OnPartialFailureReport   = "report"
	OnPartialFailureRollback = "rollback"
)

// Default returns the configuration every key defaults to, without spaces
// (which have no default). It composes the owning packages' defaults, so
// that each value is written once.
func Default() Config {
	retry := platformapi.DefaultRetryPolicy
	limits := platformapi.DefaultLimits
	res := resolver.DefaultOptions()
	store := ratelimit.DefaultOptions()
	partial := OnPartialFailureReport
	if res.Rollback {
		partial = OnPartialFailureRollback
	}
	return Config{
		Listen: DefaultListen,
		Server: ServerConfig{
			IdleTimeout:       DefaultIdleTimeout,
			ReadHeaderTimeout: DefaultReadHeaderTimeout,
			ReadTimeout:       DefaultReadTimeout,
			ForwardedHeader:   DefaultForwardedHeader,
		},
		Platform: PlatformConfig{
			BaseURL:        platformapi.DefaultBaseURL,
			AttemptTimeout: platformapi.DefaultAttemptTimeout,
			MaxQueryPages:  platformapi.DefaultMaxQueryPages,
			Retry: RetryConfig{
				MaxAttempts:   retry.MaxAttempts,
				WaitMin:       retry.WaitMin,
				WaitMax:       retry.WaitMax,
				RetryAfterMax: retry.RetryAfterMax,
			},
			RateLimit: RateLimitConfig{RequestsPerSecond: limits.RequestsPerSecond, Burst: limits.Burst, Store: StoreMemory, Replicas: 1},
			CircuitBreaker: BreakerConfig{
				Enabled:        !limits.Breaker.Disabled,
				FailureRatio:   limits.Breaker.FailureRatio,
				MinRequests:    limits.Breaker.MinRequests,
				Window:         limits.Breaker.Window,
				OpenFor:        limits.Breaker.OpenFor,
				HalfOpenProbes: limits.Breaker.HalfOpenProbes,
			},
		},
		Attach: AttachConfig{
			Concurrency:      res.AttachConcurrency,
			MaxEnvironments:  res.MaxEnvironments,
			OnPartialFailure: partial,
			SettleTimeout:    res.SettleTimeout,
			SettleDelay:      res.SettleDelay,
		},
		GraphQL: GraphQLConfig{
			MaxBodyBytes:      DefaultMaxBodyBytes,
			MaxQueryLength:    DefaultMaxQueryLength,
			MaxDepth:          DefaultMaxDepth,
			Introspection:     true,
			RequestTimeout:    DefaultRequestTimeout,
			MaxRootFields:     DefaultMaxRootFields,
			MaxAliases:        DefaultMaxAliases,
			MaxSelections:     DefaultMaxSelections,
			MaxVariablesBytes: DefaultMaxVariablesBytes,
			MaxTokens:         DefaultMaxTokens,
			MaxVariableValues: DefaultMaxVariableValues,
			MaxExecuting:      platformapi.MaxConnsPerHost,
		},
		Clients: ClientsConfig{
			RequestsPerSecond:     DefaultClientRequestsPerSecond,
			Burst:                 DefaultClientBurst,
			AuthFailuresPerMinute: DefaultAuthFailuresPerMinute,
			MaxQueued:             limits.MaxQueuedPerClient,
			MaxExecuting:          DefaultClientMaxExecuting,
		},
		Redis: RedisConfig{
			KeyPrefix:     store.KeyPrefix,
			Timeout:       store.Timeout,
			DialTimeout:   store.DialTimeout,
			ProbeInterval: store.ProbeInterval,
		},
		Idempotency:   defaultIdempotency(),
		ShutdownGrace: DefaultShutdownGrace,
		Tokens:        TokensConfig{Lifetime: authtoken.DefaultLifetime},
		Health: HealthConfig{
			CheckUpstream:    true,
			UpstreamInterval: DefaultUpstreamInterval,
			ProbeTimeout:     DefaultProbeTimeout,
		},
		Metrics:  MetricsConfig{Enabled: true},
		Tracing:  TracingConfig{SampleRatio: DefaultSampleRatio, ServiceName: DefaultServiceName},
		GraphiQL: GraphiQLConfig{Enabled: true},
		Logs:     LogsConfig{WarningsPerSecond: DefaultWarningsPerSecond, WarningBurst: DefaultWarningBurst},
	}
}

// Parse reads YAML configuration over Default. ${NAME} in any value is
// replaced by the environment variable NAME, read with getenv; an unset
// variable is an error. Unknown keys are errors. The result is validated;
// errors name the key at fault, or the line of a YAML syntax error.
func Parse(data []byte, getenv func(string) string) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("config: %w", syntaxError(data, err))
	}
	cfg := Default()
	env := &envValues{written: map[*yaml.Node]string{}, vars: map[string]string{}}
	if root.Kind != 0 { // an empty file is an empty config
		if err := expandEnv(&root, "", getenv, env); err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		if err := decodeConfig(&root, &cfg, env); err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
	}
	if err := cfg.Validate(); err != nil {
		return nil, env.redact(err)
	}
	return &cfg, nil
}

// yamlLine matches the position yaml.v3 puts in a syntax error.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError gives a YAML syntax error the line at fault. yaml.v3 names
// the line where the enclosing mapping or list begins (its context mark),
// not the line that breaks it: a key indented one space too far on line 9
// of a mapping that begins on line 2 is reported at line 2. The first
// prefix of the document, in whole lines, that fails to parse ends at the
// line at fault; it is never before the line yaml names.
func syntaxError(data []byte, err error) error {
	m := yamlLine.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	from, _ := strconv.Atoi(m[1])
	lines := bytes.SplitAfter(data, []byte("\n"))
	const maxLines = 5000 // quadratic work, for a config file of a few hundred lines
	if len(lines) > maxLines {
		return err
	}
	for n := max(from-1, 1); n <= len(lines); n++ {
		var probe yaml.Node
		if yaml.Unmarshal(bytes.Join(lines[:n], nil), &probe) != nil {
			msg := m[2]
			if strings.Contains(msg, "did not find expected") || strings.Contains(msg, "not allowed in this context") || strings.Contains(msg, "indentation") {
				msg += " (is it indented like the lines around it?)"
			}
			return fmt.Errorf("line %d: %s", n, msg)
		}
	}
	return err
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expandEnv replaces ${NAME} in scalar values, recording in env what it
// put where. Keys stay as written.
func expandEnv(n *yaml.Node, path string, getenv func(string) string, env *envValues) error {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for i, c := range n.Content {
			p := path
			if n.Kind == yaml.SequenceNode {
				p = fmt.Sprintf("%s[%d]", path, i)
			}
			if err := expandEnv(c, p, getenv, env); err != nil {
				return err
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := n.Content[i].Value
			if path != "" {
				p = path + "." + p
			}
			if err := expandEnv(n.Content[i+1], p, getenv, env); err != nil {
				return err
			}
		}
	case yaml.ScalarNode:
		if !strings.Contains(n.Value, "${") {
			break
		}
		var missing string
		written := n.Value
		n.Value = envRef.ReplaceAllStringFunc(n.Value, func(ref string) string {
			name := ref[2 : len(ref)-1]
			v := getenv(name)
			if v == "" && missing == "" {
				missing = name
			}
			env.vars[name] = v
			return v
		})
		env.written[n] = written
		if missing != "" {
			return fmt.Errorf("%s: environment variable %s is not set", path, missing)
		}
		// Let the expanded value resolve as if written in place: a number
		// for a number key; string keys take any scalar's text.
		n.Tag, n.Style = "", 0
	}
	return nil
}

// Validate checks every key and names the first one at fault. It never
// panics: a zero Config is refused with an error like any other.
func (c *Config) Validate() error {
	bad := func(key, format string, args ...any) error {
		return fmt.Errorf("config: %s: %s", key, fmt.Sprintf(format, args...))
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return bad("listen", "want host:port, got %q", c.Listen)
	}
	if u, err := url.Parse(c.Platform.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return bad("platform.baseURL", "want an http(s) URL without credentials, got %q", c.Platform.BaseURL)
	}
	if c.Platform.AttemptTimeout <= 0 {
		return bad("platform.attemptTimeout", "must be positive")
	}
	if c.Platform.MaxQueryPages < 1 {
		return bad("platform.maxQueryPages", "must be at least 1")
	}
	r := c.Platform.Retry
	switch {
	case r.MaxAttempts < 1 || r.MaxAttempts > 20:
		return bad("platform.retry.maxAttempts", "must be between 1 and 20, got %d", r.MaxAttempts)
	case r.WaitMin <= 0:
		return bad("platform.retry.waitMin", "must be positive")
	case r.WaitMax < r.WaitMin:
		return bad("platform.retry.waitMax", "must not be less than waitMin")
	case r.RetryAfterMax <= 0:
		return bad("platform.retry.retryAfterMax", "must be positive")
	}
	if c.Attach.Concurrency < 1 || c.Attach.Concurrency > 256 {
		return bad("attach.concurrency", "must be between 1 and 256, got %d", c.Attach.Concurrency)
	}
	if c.Attach.MaxEnvironments < 1 || c.Attach.MaxEnvironments > 10000 {
		return bad("attach.maxEnvironments", "must be between 1 and 10000, got %d", c.Attach.MaxEnvironments)
	}
	if c.Platform.RateLimit.RequestsPerSecond < 0 {
		return bad("platform.rateLimit.requestsPerSecond", "must not be negative (0 disables pacing)")
	}
	if c.Platform.RateLimit.Burst < 1 {
		return bad("platform.rateLimit.burst", "must be at least 1")
	}
	if cb := c.Platform.CircuitBreaker; cb.FailureRatio <= 0 || cb.FailureRatio > 1 {
		return bad("platform.circuitBreaker.failureRatio", "must be in (0, 1], got %v", cb.FailureRatio)
	} else if cb.Window <= 0 || cb.OpenFor <= 0 {
		return bad("platform.circuitBreaker", "window and openFor must be positive")
	} else if cb.MinRequests < 1 || cb.HalfOpenProbes < 1 {
		return bad("platform.circuitBreaker", "minRequests and halfOpenProbes must be at least 1")
	}
	if p := c.Attach.OnPartialFailure; p != OnPartialFailureReport && p != OnPartialFailureRollback {
		return bad("attach.onPartialFailure", "want report or rollback, got %q", p)
	}
	// settleDelay is bounded by settleTimeout: check that first, so that
	// a bad settleTimeout is not blamed on settleDelay.
	if c.Attach.SettleTimeout <= 0 {
		return bad("attach.settleTimeout", "must be positive, got %s", c.Attach.SettleTimeout)
	}
	if d := c.Attach.SettleDelay; d < 0 || d > c.Attach.SettleTimeout {
		return bad("attach.settleDelay", "must be between 0s and attach.settleTimeout (%s), got %s", c.Attach.SettleTimeout, d)
	}
	if c.Clients.RequestsPerSecond < 0 {
		return bad("clients.requestsPerSecond", "must not be negative (0 disables the limit)")
	}
	if c.Clients.Burst < 1 {
		return bad("clients.burst", "must be at least 1")
	}
	if c.Clients.AuthFailuresPerMinute < 0 {
		return bad("clients.authFailuresPerMinute", "must not be negative")
	}
	if c.Clients.MaxQueued < 0 {
		return bad("clients.maxQueued", "must not be negative (0 disables the bound)")
	}
	if c.ShutdownGrace < 0 {
		return bad("shutdownGrace", "must not be negative (0 cancels in-flight requests at once), got %s", c.ShutdownGrace)
	}
	if c.GraphQL.MaxRootFields < 1 {
		return bad("graphql.maxRootFields", "must be positive")
	}
	if c.GraphQL.MaxAliases < 0 {
		return bad("graphql.maxAliases", "must not be negative")
	}
	if c.GraphQL.MaxBodyBytes < 1 {
		return bad("graphql.maxBodyBytes", "must be positive")
	}
	if c.GraphQL.MaxQueryLength < 1 {
		return bad("graphql.maxQueryLength", "must be positive")
	}
	if c.GraphQL.RequestTimeout <= 0 {
		return bad("graphql.requestTimeout", "must be positive")
	}
	if c.GraphQL.MaxDepth < 1 {
		return bad("graphql.maxDepth", "must be positive")
	}
	if c.GraphQL.MaxSelections < 1 || c.GraphQL.MaxSelections > 100000 {
		return bad("graphql.maxSelections", "must be between 1 and 100000, got %d", c.GraphQL.MaxSelections)
	}
	if c.GraphQL.MaxVariablesBytes < 1 {
		return bad("graphql.maxVariablesBytes", "must be positive")
	}
	if c.GraphQL.MaxExecuting < 1 {
		return bad("graphql.maxExecuting", "must be positive")
	}
	if c.GraphQL.MaxTokens < 1 || c.GraphQL.MaxTokens > 100000 {
		return bad("graphql.maxTokens", "must be between 1 and 100000, got %d", c.GraphQL.MaxTokens)
	}
	if c.GraphQL.MaxVariableValues < 1 || c.GraphQL.MaxVariableValues > 100000 {
		return bad("graphql.maxVariableValues", "must be between 1 and 100000, got %d", c.GraphQL.MaxVariableValues)
	}
	if c.Clients.MaxExecuting < 0 {
		return bad("clients.maxExecuting", "must not be negative (0 disables the bound)")
	}
	if err := c.validateOps(); err != nil {
		return err
	}
	if err := c.validateServer(); err != nil {
		return err
	}
	if err := c.validateStore(); err != nil {
		return err
	}
	if err := c.validateIdempotency(); err != nil {
		return err
	}
	if len(c.Spaces) == 0 {
		return bad("spaces", "at least one space is required")
	}
	seen := map[string]bool{}
	def := ""
	for i, s := range c.Spaces {
		if s.Default {
			if def != "" {
				return bad(fmt.Sprintf("spaces[%d].default", i), "only one space may be the default; %s is", def)
			}
			def = fmt.Sprintf("spaces[%d]", i)
		}
		key := fmt.Sprintf("spaces[%d]", i)
		switch {
		case strings.TrimSpace(s.GUID) == "":
			return bad(key+".guid", "is required")
		case seen[s.GUID]:
			return bad(key+".guid", "%q is configured twice", s.GUID)
		case strings.TrimSpace(s.AccountID) == "" || strings.ContainsAny(s.AccountID, "/?#% "):
			return bad(key+".accountId", "is required and must be a plain account id")
		}
		if err := s.validateAuth(key); err != nil {
			return err
		}
		seen[s.GUID] = true
		for j, t := range s.ClientTokens {
			if _, err := TokenHash(t); err != nil {
				return bad(fmt.Sprintf("%s.clientTokens[%d]", key, j), "%v", err)
			}
		}
	}
	return c.validateTokens()
}

// TokenHash reads "sha256:<64 hex digits>", the form in which the
// configuration holds client tokens and token-endpoint passwords.
func TokenHash(s string) ([32]byte, error) {
	var h [32]byte
	hexPart, ok := strings.CutPrefix(s, "sha256:")
	if !ok {
		return h, errors.New(`want "sha256:<hex of the token's SHA-256>"; tokens are never stored in the clear`)
	}
	b, err := hex.DecodeString(hexPart)
	if err != nil || len(b) != len(h) {
		return h, errors.New(`want 64 hexadecimal digits after "sha256:"`)
	}
	copy(h[:], b)
	return h, nil
}
