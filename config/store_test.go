package config_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ipack-gateway/ipack-gateway/config"
)

// The store's keys fail with errors naming them, and a password in
// redis.url never shows in one.
func TestConfigStoreErrors(t *testing.T) {
	const secret = "pa55-W0rd"
	for _, tc := range []struct {
		name, platform, extra, want string
	}{
		{"unknown store", "rateLimit: {store: etcd}", "", "platform.rateLimit.store"},
		{"replicas on memory", "rateLimit: {replicas: 2}", "", "platform.rateLimit.replicas"},
		{"replicas zero or less", "rateLimit: {store: redis, replicas: -1}", "redis: {url: 'redis://r:6379'}", "platform.rateLimit.replicas"},
		{"redis without url", "rateLimit: {store: redis, replicas: 2}", "", "redis.url"},
		{"bad url", "rateLimit: {store: redis}", "redis: {url: 'redis://u:" + secret + "@r:6379/db'}", "redis.url"},
		{"not redis://", "rateLimit: {store: redis}", "redis: {url: 'http://u:" + secret + "@r:6379'}", "redis.url"},
		{"sentinel without addrs", "rateLimit: {store: redis}", "redis: {url: 'redis://r:6379', masterName: m}", "redis.addrs"},
		{"sentinel and cluster", "rateLimit: {store: redis}", "redis: {url: 'redis://r:6379', masterName: m, addrs: ['s:26379'], cluster: true}", "redis.cluster"},
		{"bad addr", "rateLimit: {store: redis}", "redis: {url: 'redis://r:6379', addrs: ['nohostport']}", "redis.addrs[0]"},
		{"negative timeout", "rateLimit: {store: redis}", "redis: {url: 'redis://r:6379', timeout: -1s}", "redis.timeout"},
	} {
		yaml := "platform:\n  " + tc.platform + "\n" + tc.extra + "\n" + validSpace
		_, err := config.Parse([]byte(yaml), noEnv)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: ParseConfig error = %v, want one naming %s", tc.name, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), secret) {
			t.Errorf("%s: the error shows the password: %v", tc.name, err)
		}
	}
	// Printed, the config shows no password either.
	cfg, err := config.Parse([]byte("platform: {rateLimit: {store: redis}}\nredis: {url: 'redis://u:"+secret+"@r:6379/0'}\n"+validSpace), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		for name, v := range map[string]any{"config": cfg, "redis": cfg.Redis} {
			if s := fmt.Sprintf(format, v); strings.Contains(s, secret) {
				t.Errorf("Sprintf(%q, %s) shows the Redis password: %s", format, name, s)
			}
		}
	}

	// The defaults: memory, one replica; a redis section is allowed (and
	// unused) with memory.
	cfg, err = config.Parse([]byte("redis: {url: 'redis://r:6379'}\n"+validSpace), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if rl := cfg.Platform.RateLimit; rl.Store != config.StoreMemory || rl.Replicas != 1 {
		t.Errorf("defaults: store %q, replicas %d; want memory, 1", rl.Store, rl.Replicas)
	}
}
