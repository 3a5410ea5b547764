package config_test

import (
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ipack-gateway/ipack-gateway/config"
)

const validSpace = `
spaces:
  - guid: s1
    accountId: acct-1
    credentials: {username: BOOMI_TOKEN.u, password: p}
    clientTokens: ["sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"]
`

func noEnv(string) string { return "" }

func TestParseExample(t *testing.T) {
	data, err := os.ReadFile("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(data, func(k string) string {
		if k == "BOOMI_API_TOKEN" {
			return "12345"
		}
		return ""
	})
	if err != nil {
		t.Fatalf("config.example.yaml: %v", err)
	}
	// The example shows the defaults: parsing it must equal parsing the
	// bare minimum.
	min, err := config.Parse([]byte(strings.Replace(validSpace, "password: p", "password: \"12345\"", 1)), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != min.Listen || cfg.Platform.BaseURL != min.Platform.BaseURL || cfg.Platform.Retry != min.Platform.Retry ||
		cfg.Attach != min.Attach || cfg.GraphQL.MaxBodyBytes != min.GraphQL.MaxBodyBytes || cfg.GraphQL.RequestTimeout != min.GraphQL.RequestTimeout ||
		cfg.GraphQL.MaxDepth != min.GraphQL.MaxDepth || cfg.GraphQL.MaxQueryLength != min.GraphQL.MaxQueryLength ||
		cfg.Platform.AttemptTimeout != min.Platform.AttemptTimeout || cfg.Platform.MaxQueryPages != min.Platform.MaxQueryPages {
		t.Errorf("config.example.yaml does not show the defaults:\n%+v\n%+v", cfg, min)
	}
	// ${BOOMI_API_TOKEN} was expanded, and stays a string though numeric.
	if cfg.Spaces[0].Credentials.Password != "12345" {
		t.Errorf("password = %q, want the expanded 12345", cfg.Spaces[0].Credentials.Password)
	}
}

func TestParseDefaults(t *testing.T) {
	cfg, err := config.Parse([]byte(validSpace), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:8080" || cfg.Attach.Concurrency != 8 || cfg.Attach.MaxEnvironments != 100 ||
		cfg.Platform.Retry.MaxAttempts != 5 || cfg.Platform.Retry.RetryAfterMax != 30*time.Second ||
		cfg.GraphQL.MaxBodyBytes != 256<<10 || cfg.GraphQL.RequestTimeout != 60*time.Second || !cfg.GraphQL.Introspection {
		t.Errorf("defaults: %+v", cfg)
	}
}

// TestParseErrors: a bad config fails with a message naming the key.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want string
	}{
		{"no spaces", `listen: 127.0.0.1:1`, "spaces"},
		{"unknown key", "lisen: x\n" + validSpace, "lisen"},
		{"bad listen", "listen: nope\n" + validSpace, "listen"},
		{"bad baseURL", "platform: {baseURL: 'ftp://x'}\n" + validSpace, "platform.baseURL"},
		{"credentials in baseURL", "platform: {baseURL: 'https://u:p@x'}\n" + validSpace, "platform.baseURL"},
		{"bad duration", "platform: {attemptTimeout: soon}\n" + validSpace, "attemptTimeout"},
		{"retry attempts", "platform: {retry: {maxAttempts: 99}}\n" + validSpace, "platform.retry.maxAttempts"},
		{"concurrency", "attach: {concurrency: -1}\n" + validSpace, "attach.concurrency"},
		{"clear-text token", strings.Replace(validSpace, "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae", "mytoken", 1), "spaces[0].clientTokens[0]"},
		{"short hash", strings.Replace(validSpace, "e7ae", "", 1), "spaces[0].clientTokens[0]"},
		{"no password", strings.Replace(validSpace, "password: p", "password: ''", 1), "spaces[0].credentials.password"},
		{"unset env", strings.Replace(validSpace, "password: p", "password: '${NOT_SET}'", 1), "spaces[0].credentials.password: environment variable NOT_SET"},
		{"duplicate guid", validSpace + strings.TrimPrefix(validSpace, "\nspaces:\n"), "spaces[1].guid"},
		{"two defaults", strings.Replace(validSpace, "accountId: acct-1", "accountId: acct-1\n    default: true", 1) +
			strings.Replace(strings.TrimPrefix(validSpace, "\nspaces:\n"), "guid: s1", "guid: s2\n    default: true", 1), "spaces[1].default: only one space may be the default; spaces[0] is"},
		{"no account", strings.Replace(validSpace, "accountId: acct-1", "accountId: ''", 1), "spaces[0].accountId"},
		{"account with slash", strings.Replace(validSpace, "accountId: acct-1", "accountId: a/b", 1), "spaces[0].accountId"},
		{"negative maxConnections", "server: {maxConnections: -1}\n" + validSpace, "server.maxConnections"},
		{"negative maxConnectionsPerAddress", "server: {maxConnectionsPerAddress: -1}\n" + validSpace, "server.maxConnectionsPerAddress"},
		{"a trusted proxy that is not an address", "server: {trustedProxies: [lb.internal]}\n" + validSpace, "server.trustedProxies"},
		{"a trusted proxy range that is not one", "server: {trustedProxies: [10.0.0.0/33]}\n" + validSpace, "server.trustedProxies"},
		{"a trusted proxy with a zone", "server: {trustedProxies: [\"fe80::1%eth0\"]}\n" + validSpace, "server.trustedProxies"},
		{"a forwarded header a client can set alone", "server: {forwardedHeader: X-Real-IP}\n" + validSpace, "server.forwardedHeader"},
		{"readTimeout below readHeaderTimeout", "server: {readHeaderTimeout: 10s, readTimeout: 5s}\n" + validSpace, "server.readTimeout"},
		{"not YAML", "{", "config"},
	}
	for _, tt := range tests {
		_, err := config.Parse([]byte(tt.yaml), noEnv)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Parse error = %v, want one naming %q", tt.name, err, tt.want)
		}
	}
}

func TestConfigRedactsPassword(t *testing.T) {
	cfg, err := config.Parse([]byte(strings.Replace(validSpace, "password: p", "password: s3cr3t-pw", 1)), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		if s := sprintf(format, cfg.Spaces[0]); strings.Contains(s, "s3cr3t-pw") {
			t.Errorf("Sprintf(%q, space) = %s: shows the password", format, s)
		}
	}
}

func sprintf(format string, v any) string { return fmt.Sprintf(format, v) }

func TestParseTypeErrorsNameKeys(t *testing.T) {
	yaml := "attach:\n  concurrency: many\nplatform:\n  retry: {waitMin: later}\n" + validSpace
	_, err := config.Parse([]byte(yaml), noEnv)
	if err == nil || !strings.Contains(err.Error(), "attach.concurrency") || !strings.Contains(err.Error(), "platform.retry.waitMin") {
		t.Errorf("Parse error = %v, want attach.concurrency and platform.retry.waitMin named", err)
	}
}

// TestExampleDocumentsEveryKey: config.example.yaml names every key of
// Config, so the example is the complete reference; and every key it
// names exists (Parse would refuse it otherwise).
func TestExampleDocumentsEveryKey(t *testing.T) {
	data, err := os.ReadFile("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.DocumentNode, yaml.SequenceNode:
			for _, c := range n.Content {
				walk(c, path)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				p := strings.TrimPrefix(path+"."+n.Content[i].Value, ".")
				documented[p] = true
				walk(n.Content[i+1], p)
			}
		}
	}
	walk(&root, "")
	var keys func(t reflect.Type, path string) []string
	keys = func(typ reflect.Type, path string) []string {
		var out []string
		for i := range typ.NumField() {
			f := typ.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			p := strings.TrimPrefix(path+"."+name, ".")
			out = append(out, p)
			ft := f.Type
			for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct && ft.NumField() > 0 && ft.Field(0).Tag.Get("yaml") != "" {
				out = append(out, keys(ft, p)...)
			}
		}
		return out
	}
	// Keys with no default (tokens.signingKey) or optional lists are shown
	// commented out: "# signingKey: ${GATEWAY_TOKEN_KEY}".
	commented := regexp.MustCompile(`(?m)^\s*#\s*(?:-\s+)?([A-Za-z]+):`)
	for _, m := range commented.FindAllStringSubmatch(string(data), -1) {
		documented["#"+m[1]] = true
	}
	for _, k := range keys(reflect.TypeFor[config.Config](), "") {
		last := k[strings.LastIndex(k, ".")+1:]
		if !documented[k] && !documented["#"+last] {
			t.Errorf("config.example.yaml does not document %s", k)
		}
	}
}

func TestConfigOpsErrorsNameKeys(t *testing.T) {
	tests := []struct{ yaml, want string }{
		{"graphql: {maxDeph: 3}\n", "graphql.maxDeph: unknown key"},
		{"health: {probeTimeout: 5}\n", "health.probeTimeout: want a duration"},
		{"health: {upstreamInterval: -1s}\n", "health.upstreamInterval"},
		{"drainDelay: 1h\n", "drainDelay: must be between"},
		{"metrics: {enabled: maybe}\n", "metrics.enabled: want true or false"},
		{"tracing: {sampleRatio: 2}\n", "tracing.sampleRatio"},
		{"tracing: {endpoint: 'otel:4318'}\n", "tracing.endpoint"},
		{"tracing: {endpoint: 'https://u:pw@otel/v1/traces'}\n", "tracing.endpoint"},
		{"graphiql: [true]\n", "graphiql: want a mapping"},
		{"spaces: {guid: x}\n", "spaces: want a list"},
		{"listen: a\nlisten: b\n", "listen: key given twice"},
	}
	for _, tt := range tests {
		_, err := config.Parse([]byte(strings.Replace(validSpace, "spaces:", tt.yaml+"spaces:", 1)), noEnv)
		if tt.want == "spaces: want a list" {
			_, err = config.Parse([]byte(tt.yaml), noEnv)
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseConfig(%q) = %v, want an error containing %q", tt.yaml, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), ":pw@") {
			t.Errorf("error %q repeats the endpoint's credentials", err)
		}
	}
}

func TestProxies(t *testing.T) {
	s := config.ServerConfig{TrustedProxies: []string{"10.1.2.3/8", "192.0.2.10", "::ffff:198.51.100.1", "2001:db8::/32"}}
	ps, err := s.Proxies()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range ps {
		got = append(got, p.String())
	}
	want := "[10.0.0.0/8 192.0.2.10/32 198.51.100.1/32 2001:db8::/32]"
	if fmt.Sprint(got) != want {
		t.Errorf("Proxies() = %v, want %s", got, want)
	}
}
