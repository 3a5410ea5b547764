package simconfig_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/ipack-gateway/ipack-gateway/config"
	"github.com/ipack-gateway/ipack-gateway/internal/simconfig"
	"github.com/ipack-gateway/ipack-gateway/platformapi/simulator"
)

// The file is a valid configuration once PasswordEnv holds the password:
// the simulator's address and demo account, the token's hash, the
// password from the environment only.
func TestYAML(t *testing.T) {
	g := simconfig.Gateway{BaseURL: "http://127.0.0.1:8081", Token: simconfig.NewToken()}
	yaml := g.YAML()
	if strings.Contains(string(yaml), g.Token) || strings.Contains(string(yaml), simulator.DemoPassword) {
		t.Errorf("the file holds a secret in the clear:\n%s", yaml)
	}
	if _, err := config.Parse(yaml, func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), simconfig.PasswordEnv) {
		t.Errorf("Parse without %s = %v, want an error naming it", simconfig.PasswordEnv, err)
	}
	cfg, err := config.Parse(yaml, func(k string) string {
		if k == simconfig.PasswordEnv {
			return g.Password()
		}
		return ""
	})
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, yaml)
	}
	sum := sha256.Sum256([]byte(g.Token))
	sp := cfg.Spaces[0]
	if cfg.Listen != simconfig.DefaultListen || cfg.Platform.BaseURL != g.BaseURL || len(cfg.Spaces) != 1 ||
		sp.GUID != simconfig.Space || sp.AccountID != simulator.DemoAccountID ||
		sp.Credentials.Username != simulator.DemoUsername || string(sp.Credentials.Password) != simulator.DemoPassword ||
		len(sp.ClientTokens) != 1 || sp.ClientTokens[0] != "sha256:"+hex.EncodeToString(sum[:]) {
		t.Errorf("config = %+v, spaces %+v", cfg, cfg.Spaces)
	}
	if a, b := simconfig.NewToken(), simconfig.NewToken(); a == b || len(a) < 20 {
		t.Errorf("NewToken = %q, %q: want long random tokens", a, b)
	}
}

func TestInstructions(t *testing.T) {
	g := simconfig.Gateway{BaseURL: "http://127.0.0.1:8081", Listen: "127.0.0.1:9090", Token: "tok"}
	out := g.Instructions("/tmp/my gw.yaml")
	for _, want := range []string{
		"export " + simconfig.PasswordEnv + "='" + simulator.DemoPassword + "'\n",
		"go run ./cmd/gateway -config '/tmp/my gw.yaml'\n",
		"curl -s http://127.0.0.1:9090/graphql",
		"-H 'SPACE_GUID: " + simconfig.Space + "' -H 'Authorization: Bearer tok'",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("instructions lack %q:\n%s", want, out)
		}
	}
}
