package config

import (
	"fmt"
	"time"

	"github.com/ipack-gateway/ipack-gateway/authtoken"
)

// How a space's REST calls authenticate (SpaceConfig.Auth).
const (
	// AuthCredentials: with the space's stored credentials; clients prove
	// themselves with a client token or a gateway-issued JWT.
	AuthCredentials = "credentials"
	// AuthPassthrough: with the client's own bearer token, forwarded as
	// "Authorization: Bearer …", so a client holding a token the vendor
	// issued keeps working unchanged. The REST API judges the token.
	AuthPassthrough = "passthrough"
)

// TokensConfig configures the gateway's JWTs: what GET
// /auth/jwt/generate/{accountId} issues and the GraphQL endpoint accepts.
type TokensConfig struct {
	// SigningKey is an HS256 secret of at least 32 bytes, or an Ed25519
	// private key in PEM (PKCS#8), which selects EdDSA.
	SigningKey Secret `yaml:"signingKey"`
	// Lifetime of an issued token. Default 5m, the vendor's.
	Lifetime time.Duration `yaml:"lifetime"`
}

// TokenCredential is one HTTP Basic credential the token endpoint accepts.
type TokenCredential struct {
	// Username is as the client sends it, e.g. BOOMI_TOKEN.jane@example.com.
	Username string `yaml:"username"`
	// PasswordHash is sha256:<hex> of the password (an API token); the
	// password itself is never stored.
	PasswordHash string `yaml:"passwordHash"`
}

// Secret is a configuration value that must not be printed.
type Secret string

// String redacts the secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// GoString redacts the secret in %#v.
func (s Secret) GoString() string { return s.String() }

// Passthrough reports whether the space forwards the client's bearer token
// (Auth is AuthPassthrough).
func (s SpaceConfig) Passthrough() bool { return s.Auth == AuthPassthrough }

// validateAuth checks a space's authentication keys; key is "spaces[i]".
func (s *SpaceConfig) validateAuth(key string) error {
	bad := func(k, format string, args ...any) error {
		return fmt.Errorf("config: %s.%s: %s", key, k, fmt.Sprintf(format, args...))
	}
	switch s.Auth {
	case AuthCredentials, "":
		switch {
		case s.Credentials.Username == "":
			return bad("credentials.username", "is required")
		case s.Credentials.Password == "":
			return bad("credentials.password", "is required")
		case len(s.ClientTokens) == 0 && len(s.TokenCredentials) == 0:
			return bad("clientTokens", "at least one token hash is required (or tokenCredentials, for tokens from /auth/jwt/generate)")
		}
	case AuthPassthrough:
		// Anything here would be ignored; refusing it keeps a reader of the
		// config from believing it protects the space.
		const why = "must be empty: a passthrough space forwards the client's bearer token to the REST API, which judges it"
		switch {
		case s.Credentials != (Credentials{}):
			return bad("credentials", why)
		case len(s.ClientTokens) > 0:
			return bad("clientTokens", why)
		case len(s.TokenCredentials) > 0:
			return bad("tokenCredentials", why)
		}
	default:
		return bad("auth", "want %q or %q, got %q", AuthCredentials, AuthPassthrough, s.Auth)
	}
	for j, tc := range s.TokenCredentials {
		k := fmt.Sprintf("tokenCredentials[%d]", j)
		if tc.Username == "" {
			return bad(k+".username", "is required")
		}
		if _, err := TokenHash(tc.PasswordHash); err != nil {
			return bad(k+".passwordHash", "%v", err)
		}
	}
	return nil
}

// validateTokens checks the tokens section against the spaces.
func (c *Config) validateTokens() error {
	needKey := false
	for _, s := range c.Spaces {
		needKey = needKey || len(s.TokenCredentials) > 0
	}
	switch {
	case c.Tokens.SigningKey == "" && needKey:
		return fmt.Errorf("config: tokens.signingKey: is required when a space has tokenCredentials")
	case c.Tokens.Lifetime < time.Second || c.Tokens.Lifetime > 24*time.Hour:
		return fmt.Errorf("config: tokens.lifetime: must be between 1s and 24h, got %s", c.Tokens.Lifetime)
	}
	if c.Tokens.SigningKey != "" {
		if _, err := authtoken.New(string(c.Tokens.SigningKey), authtoken.Options{}); err != nil {
			return fmt.Errorf("config: tokens.signingKey: %w", err)
		}
	}
	return nil
}

// Signer returns the token signer the section describes, or nil when no
// signing key is configured.
func (t TokensConfig) Signer() (*authtoken.Signer, error) {
	if t.SigningKey == "" {
		return nil, nil
	}
	s, err := authtoken.New(string(t.SigningKey), authtoken.Options{Lifetime: t.Lifetime})
	if err != nil {
		return nil, fmt.Errorf("config: tokens.signingKey: %w", err)
	}
	return s, nil
}
