package gateway_test

import (
	"strings"
	"testing"

	"github.com/ipack-gateway/ipack-gateway/config"
)

// A reload refused for a bad Redis URL logs its error without any piece
// of the password that ${REDIS_PASSWORD} put in it ("#" ends the URL's
// host there: the rest read as a fragment, the start as a port).
func TestReloadErrorShowsNoSecret(t *testing.T) {
	e := newOpsEnv(t, opsOptions{})
	getenv := func(name string) string {
		if name == "REDIS_PASSWORD" {
			return "Zq9Kx#Wm3Pv7"
		}
		return "x"
	}
	yaml := opsYAML(e.upstream.URL, testToken, "  rateLimit: {store: redis}\n", "redis: {url: 'redis://:${REDIS_PASSWORD}@redis:6379/0'}\n")
	err := e.srv.Reload(func() (*config.Config, error) { return config.Parse([]byte(yaml), getenv) })
	if err == nil {
		t.Fatal("Reload of a config with a bad redis.url succeeded")
	}
	logs := e.logs.String()
	if !strings.Contains(err.Error(), "redis.url") {
		t.Errorf("Reload error = %v, want one naming redis.url", err)
	}
	if n := len(logLines(t, logs, "config reload failed; the running configuration stays")); n != 1 {
		t.Fatalf("%d reload failure lines, want 1:\n%s", n, logs)
	}
	for _, piece := range []string{"Zq9Kx", "Wm3Pv7"} {
		if strings.Contains(err.Error(), piece) || strings.Contains(logs, piece) {
			t.Errorf("the reload's error or log shows %q of the password: %v\n%s", piece, err, logs)
		}
	}
}
