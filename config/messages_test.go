package config_test

import (
	"strings"
	"testing"

	"github.com/ipack-gateway/ipack-gateway/config"
	"github.com/ipack-gateway/ipack-gateway/ratelimit"
)

// Validation messages say what the code accepts, and a key that depends
// on another is checked after it, so the error names the key at fault.
func TestValidationMessages(t *testing.T) {
	redis := "platform: {rateLimit: {store: redis}}\n"
	for _, tc := range []struct {
		name, yaml string
		want       string // "" for a valid config
	}{
		// settleDelay is bounded by settleTimeout: a bad settleTimeout is
		// settleTimeout's fault, not settleDelay's.
		{"settleTimeout negative", "attach: {settleTimeout: -1s}\n", "config: attach.settleTimeout: must be positive"},
		{"settleTimeout zero", "attach: {settleTimeout: 0s}\n", "config: attach.settleTimeout: must be positive"},
		{"settleDelay zero", "attach: {settleDelay: 0s}\n", ""},
		{"settleDelay equal", "attach: {settleTimeout: 1s, settleDelay: 1s}\n", ""},
		{"settleDelay negative", "attach: {settleDelay: -1ms}\n", "config: attach.settleDelay: must be between 0s and attach.settleTimeout (15s), got -1ms"},
		{"settleDelay too long", "attach: {settleTimeout: 1s, settleDelay: 2s}\n", "config: attach.settleDelay: must be between 0s and attach.settleTimeout (1s), got 2s"},
		{"shutdownGrace zero", "shutdownGrace: 0s\n", ""},
		{"shutdownGrace negative", "shutdownGrace: -1s\n", "config: shutdownGrace: must not be negative"},
		// The redis durations: 0 is refused, not read as the default (the
		// defaults are config.Default's, and a key left out keeps them).
		{"redis defaults", redis + "redis: {url: 'redis://r:6379'}\n", ""},
		{"redis.timeout zero", redis + "redis: {url: 'redis://r:6379', timeout: 0s}\n", "config: redis.timeout: must be positive, got 0s"},
		{"redis.dialTimeout zero", redis + "redis: {url: 'redis://r:6379', dialTimeout: 0s}\n", "config: redis.dialTimeout: must be positive, got 0s"},
		{"redis.probeInterval negative", redis + "redis: {url: 'redis://r:6379', probeInterval: -1s}\n", "config: redis.probeInterval: must be positive, got -1s"},
	} {
		_, err := config.Parse([]byte(tc.yaml+validSpace), noEnv)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: Parse = %v, want no error", tc.name, err)
		case tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.want)):
			t.Errorf("%s: Parse = %v, want an error starting %q", tc.name, err, tc.want)
		}
	}
	// The redis defaults are the store's, written once.
	cfg, err := config.Parse([]byte(redis+"redis: {url: 'redis://r:6379'}\n"+validSpace), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	got := cfg.StoreOptions()
	want := ratelimit.DefaultOptions()
	if got.Timeout != want.Timeout || got.DialTimeout != want.DialTimeout || got.ProbeInterval != want.ProbeInterval || got.KeyPrefix != want.KeyPrefix {
		t.Errorf("StoreOptions() = %+v, want ratelimit.DefaultOptions()'s durations and prefix, %+v", got, want)
	}
}
