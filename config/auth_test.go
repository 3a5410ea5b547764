package config_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ipack-gateway/ipack-gateway/config"
)

const authKey = "test-signing-key-0123456789abcdef" // 33 bytes

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(sum[:])
}

func TestConfigAuthKeys(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(priv)
	edPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	env := map[string]string{"HS_KEY": authKey, "ED_KEY": edPEM, "API": "secret-api-token"}
	getenv := func(k string) string { return env[k] }

	const creds = "    credentials: {username: u, password: \"${API}\"}\n"
	tokenCreds := fmt.Sprintf("    tokenCredentials: [{username: jane, passwordHash: %q}]\n", sha("pw"))
	space := func(body string) string { return "spaces:\n  - guid: g\n    accountId: a\n" + body }
	hs := "tokens:\n  signingKey: ${HS_KEY}\n"

	tests := []struct {
		name, yaml string
		wantErr    string // the key the error names; "" for none
	}{
		{"passthrough needs nothing else", space("    auth: passthrough\n"), ""},
		{"credentials and a client token", space(creds + fmt.Sprintf("    clientTokens: [%q]\n", sha("t"))), ""},
		{"token credentials instead of client tokens", hs + space(creds+tokenCreds), ""},
		{"Ed25519 key", "tokens:\n  signingKey: ${ED_KEY}\n" + space(creds+tokenCreds), ""},
		{"unknown auth", space("    auth: oauth\n"), "spaces[0].auth"},
		{"passthrough with credentials", space("    auth: passthrough\n" + creds), "spaces[0].credentials"},
		{"passthrough with client tokens", space("    auth: passthrough\n" + fmt.Sprintf("    clientTokens: [%q]\n", sha("t"))), "spaces[0].clientTokens"},
		{"passthrough with token credentials", hs + space("    auth: passthrough\n"+tokenCreds), "spaces[0].tokenCredentials"},
		{"credentials space with no way in", space(creds), "spaces[0].clientTokens"},
		{"credentials space without credentials", space(fmt.Sprintf("    clientTokens: [%q]\n", sha("t"))), "spaces[0].credentials.username"},
		{"token credentials without a key", space(creds + tokenCreds), "tokens.signingKey"},
		{"short key", "tokens:\n  signingKey: short\n" + space(creds+tokenCreds), "tokens.signingKey"},
		{"clear-text password", hs + space(creds+"    tokenCredentials: [{username: jane, passwordHash: pw}]\n"), "spaces[0].tokenCredentials[0].passwordHash"},
		{"no username", hs + space(creds+fmt.Sprintf("    tokenCredentials: [{passwordHash: %q}]\n", sha("pw"))), "spaces[0].tokenCredentials[0].username"},
		{"lifetime too long", hs + "  lifetime: 48h\n" + space(creds+tokenCreds), "tokens.lifetime"},
		{"lifetime negative", hs + "  lifetime: -1s\n" + space(creds+tokenCreds), "tokens.lifetime"},
		{"unknown key", "tokens:\n  signingKeyFile: x\n" + space("    auth: passthrough\n"), "signingKeyFile"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.Parse([]byte(tc.yaml), getenv)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("Parse = %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("Parse = %v, want an error naming %s", err, tc.wantErr)
			case err != nil:
				for _, secret := range env {
					if strings.Contains(err.Error(), secret) {
						t.Errorf("error %q quotes a secret", err)
					}
				}
				return
			}
			for _, verb := range []string{"%v", "%+v", "%#v"} {
				if s := fmt.Sprintf(verb, cfg); strings.Contains(s, authKey) || strings.Contains(s, "PRIVATE KEY") {
					t.Errorf("Config printed with %s shows the signing key", verb)
				}
			}
		})
	}
}

func TestConfigAuthDefaults(t *testing.T) {
	cfg, err := config.Parse([]byte(fmt.Sprintf("spaces:\n  - guid: g\n    accountId: a\n    credentials: {username: u, password: p}\n    clientTokens: [%q]\n", sha("t"))), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Spaces[0].Passthrough() || cfg.Tokens.Lifetime != 5*time.Minute || cfg.Tokens.SigningKey != "" {
		t.Errorf("defaults: auth %q, lifetime %s", cfg.Spaces[0].Auth, cfg.Tokens.Lifetime)
	}
}
