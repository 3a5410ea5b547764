package authtoken_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ipack-gateway/ipack-gateway/authtoken"
)

const secret = "0123456789abcdef0123456789abcdef" // 32 bytes

func edKeyPEM(t *testing.T) (string, ed25519.PublicKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), pub
}

// clock is a settable clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestIssueVerify(t *testing.T) {
	edKey, _ := edKeyPEM(t)
	for _, tc := range []struct{ name, key, alg string }{
		{"HS256", secret, "HS256"},
		{"EdDSA", edKey, "EdDSA"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := &clock{time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
			s, err := authtoken.New(tc.key, authtoken.Options{Now: clk.now})
			if err != nil {
				t.Fatal(err)
			}
			if s.Algorithm() != tc.alg {
				t.Errorf("Algorithm() = %q, want %q", s.Algorithm(), tc.alg)
			}
			tok, exp, err := s.Issue(authtoken.Grant{Subject: "BOOMI_TOKEN.jane@example.com", Credential: "cred-1", AccountID: "acct-1", Spaces: []string{"space-a", "space-b"}})
			if err != nil {
				t.Fatal(err)
			}
			if want := clk.t.Add(5 * time.Minute); !exp.Equal(want) {
				t.Errorf("Issue expiry = %v, want %v (the vendor's five minutes)", exp, want)
			}
			if !authtoken.LooksLikeJWT(tok) {
				t.Errorf("LooksLikeJWT(%q) = false", tok)
			}
			c, err := s.Verify(tok)
			if err != nil {
				t.Fatalf("Verify(fresh token) = %v", err)
			}
			if c.Subject != "BOOMI_TOKEN.jane@example.com" || c.AccountID != "acct-1" || c.Credential != "cred-1" {
				t.Errorf("claims = %+v", c)
			}
			for _, tt := range []struct {
				guid, acct string
				want       bool
			}{
				{"space-a", "acct-1", true},
				{"space-b", "acct-1", true},
				{"space-c", "acct-1", false},
				{"space-a", "acct-2", false},
			} {
				if got := c.Allows(tt.guid, tt.acct); got != tt.want {
					t.Errorf("Allows(%q, %q) = %v, want %v", tt.guid, tt.acct, got, tt.want)
				}
			}

			// One second before expiry the token is good; at expiry it is not.
			clk.t = exp.Add(-time.Second)
			if _, err := s.Verify(tok); err != nil {
				t.Errorf("Verify 1s before expiry = %v", err)
			}
			clk.t = exp
			if _, err := s.Verify(tok); !errors.Is(err, authtoken.ErrExpired) {
				t.Errorf("Verify at expiry = %v, want ErrExpired", err)
			}
		})
	}
}

func TestVerifyRejects(t *testing.T) {
	edKey, edPub := edKeyPEM(t)
	hs, err := authtoken.New(secret, authtoken.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ed, err := authtoken.New(edKey, authtoken.Options{})
	if err != nil {
		t.Fatal(err)
	}
	other, _ := authtoken.New(strings.Repeat("x", 40), authtoken.Options{})
	g := authtoken.Grant{Subject: "u", Credential: "c", AccountID: "acct", Spaces: []string{"s"}}
	good, _, _ := hs.Issue(g)
	otherTok, _, _ := other.Issue(g)
	edTok, _, _ := ed.Issue(g)

	now := time.Now()
	valid := jwt.RegisteredClaims{
		Issuer: authtoken.Issuer, Audience: jwt.ClaimStrings{authtoken.Audience},
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute)),
	}
	sign := func(m jwt.SigningMethod, key any, c jwt.Claims) string {
		tok, err := jwt.NewWithClaims(m, c).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	with := func(edit func(*authtoken.Claims)) authtoken.Claims {
		c := authtoken.Claims{AccountID: "acct", Spaces: []string{"s"}, Credential: "c", RegisteredClaims: valid}
		edit(&c)
		return c
	}
	parts := strings.Split(good, ".")
	tampered := parts[0] + "." + jwtPayload(t, `{"accountId":"other","spaces":["s"]}`) + "." + parts[2]

	tests := []struct {
		name   string
		signer *authtoken.Signer
		token  string
	}{
		{"other secret", hs, otherTok},
		{"tampered payload", hs, tampered},
		{"EdDSA token to an HS256 signer", hs, edTok},
		{"alg none", hs, sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, with(func(*authtoken.Claims) {}))},
		// The classic confusion: HS256 "signed" with the public key.
		{"HS256 with the EdDSA public key", ed, sign(jwt.SigningMethodHS256, []byte(edPub), with(func(*authtoken.Claims) {}))},
		{"wrong issuer", hs, sign(jwt.SigningMethodHS256, []byte(secret), with(func(c *authtoken.Claims) { c.Issuer = "vendor" }))},
		{"wrong audience", hs, sign(jwt.SigningMethodHS256, []byte(secret), with(func(c *authtoken.Claims) { c.Audience = jwt.ClaimStrings{"x"} }))},
		{"no expiry", hs, sign(jwt.SigningMethodHS256, []byte(secret), with(func(c *authtoken.Claims) { c.ExpiresAt = nil }))},
		{"issued in the future", hs, sign(jwt.SigningMethodHS256, []byte(secret), with(func(c *authtoken.Claims) { c.IssuedAt = jwt.NewNumericDate(now.Add(time.Hour)) }))},
		{"no spaces", hs, sign(jwt.SigningMethodHS256, []byte(secret), with(func(c *authtoken.Claims) { c.Spaces = nil }))},
		{"no account", hs, sign(jwt.SigningMethodHS256, []byte(secret), with(func(c *authtoken.Claims) { c.AccountID = "" }))},
		// As issued before tokens named their credential.
		{"no credential", hs, sign(jwt.SigningMethodHS256, []byte(secret), with(func(c *authtoken.Claims) { c.Credential = "" }))},
		{"no issue time", hs, sign(jwt.SigningMethodHS256, []byte(secret), with(func(c *authtoken.Claims) { c.IssuedAt = nil }))},
		{"garbage", hs, "a.b.c"},
		{"empty", hs, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.signer.Verify(tc.token); !errors.Is(err, authtoken.ErrInvalid) {
				t.Errorf("Verify(%s) = %v, want ErrInvalid", tc.name, err)
			}
		})
	}
	if _, err := hs.Verify(sign(jwt.SigningMethodHS256, []byte(secret), with(func(*authtoken.Claims) {}))); err != nil {
		t.Errorf("Verify(hand-made valid token) = %v; the cases above prove nothing", err)
	}
}

// TestLifetimeShortened: a token issued under a longer lifetime expires
// one current lifetime after its issue, not at its own exp.
func TestLifetimeShortened(t *testing.T) {
	clk := &clock{time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	long, _ := authtoken.New(secret, authtoken.Options{Lifetime: 24 * time.Hour, Now: clk.now})
	short, _ := authtoken.New(secret, authtoken.Options{Lifetime: 5 * time.Minute, Now: clk.now})
	tok, _, err := long.Issue(authtoken.Grant{Subject: "u", Credential: "c", AccountID: "acct", Spaces: []string{"s"}})
	if err != nil {
		t.Fatal(err)
	}
	clk.t = clk.t.Add(5*time.Minute - time.Second)
	if _, err := short.Verify(tok); err != nil {
		t.Errorf("Verify 1s before the shorter lifetime = %v", err)
	}
	clk.t = clk.t.Add(time.Second)
	if _, err := short.Verify(tok); !errors.Is(err, authtoken.ErrExpired) {
		t.Errorf("Verify at the shorter lifetime = %v, want ErrExpired", err)
	}
	if _, err := long.Verify(tok); err != nil {
		t.Errorf("Verify under the lifetime it was issued with = %v", err)
	}
}

func TestIssueNeedsAGrant(t *testing.T) {
	s, _ := authtoken.New(secret, authtoken.Options{})
	for _, g := range []authtoken.Grant{
		{Subject: "u", AccountID: "acct", Spaces: []string{"s"}},
		{Subject: "u", Credential: "c", Spaces: []string{"s"}},
		{Subject: "u", Credential: "c", AccountID: "acct"},
	} {
		if tok, _, err := s.Issue(g); err == nil {
			t.Errorf("Issue(%+v) = %q, want an error", g, tok)
		}
	}
}

func TestFingerprint(t *testing.T) {
	edKey, _ := edKeyPEM(t)
	a, _ := authtoken.New(secret, authtoken.Options{})
	a2, _ := authtoken.New(secret, authtoken.Options{})
	b, _ := authtoken.New(strings.Repeat("y", 40), authtoken.Options{})
	ed, _ := authtoken.New(edKey, authtoken.Options{})
	fp := a.Fingerprint([]byte("user"), []byte("password-hash"))
	tests := []struct {
		name      string
		got       string
		wantEqual bool
	}{
		{"same key, same credential (another replica)", a2.Fingerprint([]byte("user"), []byte("password-hash")), true},
		{"another key", b.Fingerprint([]byte("user"), []byte("password-hash")), false},
		{"an EdDSA key", ed.Fingerprint([]byte("user"), []byte("password-hash")), false},
		{"another password", a.Fingerprint([]byte("user"), []byte("password-hasH")), false},
		{"parts run together differently", a.Fingerprint([]byte("userp"), []byte("assword-hash")), false},
	}
	for _, tt := range tests {
		if (tt.got == fp) != tt.wantEqual {
			t.Errorf("%s: %q vs %q, want equal = %v", tt.name, tt.got, fp, tt.wantEqual)
		}
	}
	if len(fp) != 22 || strings.Contains(fp, "password") {
		t.Errorf("Fingerprint = %q, want 22 base64url characters", fp)
	}
}

func jwtPayload(t *testing.T, s string) string {
	t.Helper()
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

func TestNewRejectsKeys(t *testing.T) {
	tests := []struct{ name, key string }{
		{"short secret", "too-short"},
		{"empty", ""},
		{"PEM that is not Ed25519", "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := authtoken.New(tc.key, authtoken.Options{})
			if err == nil {
				t.Fatalf("New(%s) = nil error", tc.name)
			}
			if tc.key != "" && strings.Contains(err.Error(), tc.key) {
				t.Errorf("New error %q quotes the key", err)
			}
		})
	}
}

func TestLooksLikeJWT(t *testing.T) {
	tests := []struct {
		tok  string
		want bool
	}{
		{"aaa.bbb.ccc", true},
		{"demo-token", false},
		{"a.b", false},
		{"a.b.c.d", false},
		{"a b.c.d", false},
	}
	for _, tc := range tests {
		if got := authtoken.LooksLikeJWT(tc.tok); got != tc.want {
			t.Errorf("LooksLikeJWT(%q) = %v, want %v", tc.tok, got, tc.want)
		}
	}
}
