package config_test

import (
	"fmt"
	"strings"
	"testing"
	"unicode"

	"github.com/ipack-gateway/ipack-gateway/config"
)

// secrets hold each character a URL reserves, and a number before a "/"
// (read as a port by a URL parser, the rest as a path).
var secrets = []string{"Zq9Kx/Wm3Pv7", "Zq9Kx#Wm3Pv7", "Zq9Kx@Wm3Pv7", "Zq9Kx%zzWm3Pv7", "Zq9Kx?db=Wm3Pv7", "6379/Zq9KxWm3Pv7"}

// leaks reports the first piece of secret, four characters or longer
// with a letter (so not a port such as "6379/"), that s holds.
func leaks(s, secret string) (string, bool) {
	for n := len(secret); n >= 4; n-- {
		for i := 0; i+n <= len(secret); i++ {
			if p := secret[i : i+n]; strings.Contains(s, p) && strings.ContainsFunc(p, unicode.IsLetter) {
				return p, true
			}
		}
	}
	return "", false
}

// No value that came from ${NAME}, nor any piece of one, shows in a config
// error: a password in a Redis URL, a REST password, a signing key, or a
// secret put by mistake where another key belongs. Start-up prints these
// errors and a failed reload logs them.
func TestConfigErrorsNeverShowEnvValues(t *testing.T) {
	const space = `
spaces:
  - guid: s1
    accountId: acct-1
    credentials: {username: u, password: p}
    clientTokens: ["sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"]
`
	redis := "platform: {rateLimit: {store: redis}}\n"
	for _, tc := range []struct{ name, yaml string }{
		{"redis section from env", "redis: ${S}\n" + space},
		{"redis url password", redis + "redis: {url: 'redis://:${S}@redis:6379/0'}\n" + space},
		{"redis url user and password", redis + "redis: {url: 'redis://user:${S}@redis:6379/0'}\n" + space},
		{"redis url from env", redis + "redis: {url: '${S}'}\n" + space},
		{"redis url with sentinels", redis + "redis: {url: 'redis://:${S}@x/0', masterName: m, addrs: ['s:26379']}\n" + space},
		{"redis addr", redis + "redis: {url: 'redis://r:6379', addrs: ['${S}']}\n" + space},
		{"redis timeout", redis + "redis: {url: 'redis://r:6379', timeout: '${S}'}\n" + space},
		{"listen", "listen: ${S}\n" + space},
		{"base URL", "platform: {baseURL: 'https://u:${S}@host'}\n" + space},
		{"store", "platform: {rateLimit: {store: '${S}'}}\n" + space},
		{"replicas", "platform: {rateLimit: {replicas: '${S}'}}\n" + space},
		{"shutdownGrace", "shutdownGrace: ${S}\n" + space},
		{"onPartialFailure", "attach: {onPartialFailure: '${S}'}\n" + space},
		{"tracing endpoint", "tracing: {endpoint: 'https://u:${S}@otel'}\n" + space},
		{"signing key", "tokens: {signingKey: '${S}'}\n" + space},
		{"credentials from env", "spaces:\n  - {guid: s1, accountId: a, credentials: '${S}', clientTokens: ['sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae']}\n"},
		{"password as a list", "spaces:\n  - {guid: s1, accountId: a, credentials: {username: u, password: ['${S}']}, clientTokens: ['sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae']}\n"},
		{"auth", "spaces:\n  - {guid: s1, accountId: a, auth: '${S}'}\n"},
		{"account id", "spaces:\n  - {guid: s1, accountId: '${S} x', auth: passthrough}\n"},
		{"client token", "spaces:\n  - {guid: s1, accountId: a, credentials: {username: u, password: p}, clientTokens: ['${S}']}\n"},
		{"guid twice", "spaces:\n  - {guid: '${S}', accountId: a, auth: passthrough}\n  - {guid: '${S}', accountId: b, auth: passthrough}\n"},
	} {
		for _, secret := range secrets {
			getenv := func(name string) string {
				if name == "S" {
					return secret
				}
				return ""
			}
			_, err := config.Parse([]byte(tc.yaml), getenv)
			if err == nil {
				continue // fine: nothing to show it in
			}
			if p, ok := leaks(err.Error(), secret); ok {
				t.Errorf("%s, S=%q: the error shows %q: %v", tc.name, secret, p, err)
			}
		}
	}
}

// A password in redis.password may hold any character, unescaped; it
// reaches the store's options as written, and never shows when the config
// is printed.
func TestRedisPassword(t *testing.T) {
	for _, secret := range secrets {
		getenv := func(string) string { return secret }
		cfg, err := config.Parse([]byte("platform: {rateLimit: {store: redis}}\nredis: {url: 'redis://redis:6379/0', password: '${P}'}\n"+validSpace), getenv)
		if err != nil {
			t.Errorf("Parse with redis.password %q: %v", secret, err)
			continue
		}
		if got := cfg.StoreOptions().Password; got != secret {
			t.Errorf("StoreOptions().Password = %q, want %q", got, secret)
		}
		for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
			if p, ok := leaks(fmt.Sprintf(format, cfg), secret); ok {
				t.Errorf("Sprintf(%q, config) shows %q of redis.password", format, p)
			}
		}
	}
	// One password, in one place.
	_, err := config.Parse([]byte("platform: {rateLimit: {store: redis}}\nredis: {url: 'redis://:Pw1Zq9Kx@redis:6379/0', password: Pw2Zq9Kx}\n"+validSpace), noEnv)
	if err == nil || !strings.Contains(err.Error(), "redis.password") {
		t.Errorf("Parse with a password in redis.url and redis.password: %v, want an error naming redis.password", err)
	}
	if err != nil && strings.Contains(err.Error(), "Zq9Kx") {
		t.Errorf("the error shows a password: %v", err)
	}
}
