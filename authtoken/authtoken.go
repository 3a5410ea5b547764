// Package authtoken issues and verifies the gateway's own short-lived JSON
// Web Tokens: what GET /auth/jwt/generate/{accountId} hands out and what the
// GraphQL endpoint then accepts as a bearer token, like the vendor's.
//
// A token binds the account it was issued for, the spaces it is valid in
// and a fingerprint of the credential that asked for it (so the gateway can
// refuse it once that credential is removed); it is signed with HS256 (a
// shared secret) or EdDSA (an Ed25519 key), whichever key the gateway is
// configured with. Signing, parsing and claim checks are
// github.com/golang-jwt/jwt/v5's.
//
//	iss, err := authtoken.New(key, authtoken.Options{Lifetime: 5 * time.Minute})
//	tok, exp, err := iss.Issue(authtoken.Grant{Subject: "BOOMI_TOKEN.jane@example.com",
//		Credential: iss.Fingerprint(userHash, passwordHash), AccountID: "acme-A1B2C3", Spaces: []string{spaceGUID}})
//	claims, err := iss.Verify(tok) // errors.Is(err, authtoken.ErrExpired) once exp has passed
package authtoken

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Issuer and audience of every token; a token made for another service, or
// by one, does not pass.
const (
	Issuer   = "ipack-gateway"
	Audience = "ipack-gateway/graphql"
)

// DefaultLifetime is the vendor's: its tokens expire after five minutes.
const DefaultLifetime = 5 * time.Minute

// MinSecretLen is the shortest HS256 secret accepted: the size of the
// hash, as RFC 7518 asks.
const MinSecretLen = 32

// Errors of Verify. Both mean the client must get a new token.
var (
	ErrExpired = errors.New("authtoken: token expired")
	ErrInvalid = errors.New("authtoken: token invalid")
)

// Claims are what a token carries.
type Claims struct {
	// AccountID is the vendor account the token was issued for.
	AccountID string `json:"accountId"`
	// Spaces are the guids of the spaces the token is valid in.
	Spaces []string `json:"spaces"`
	// Credential is the Fingerprint of the credential the token was
	// issued on.
	Credential string `json:"cred"`
	jwt.RegisteredClaims
}

// Allows reports whether the token is valid in the space guid of account.
func (c *Claims) Allows(guid, accountID string) bool {
	return c.AccountID == accountID && slices.Contains(c.Spaces, guid)
}

// Options tune a Signer. Zero values select the defaults.
type Options struct {
	// Lifetime of an issued token. Default DefaultLifetime.
	Lifetime time.Duration
	// Now is the clock; nil means time.Now. Tests set it.
	Now func() time.Time
}

// Signer issues and verifies tokens with one key. It is safe for
// concurrent use.
type Signer struct {
	method    jwt.SigningMethod
	signKey   any
	verifyKey any
	lifetime  time.Duration
	now       func() time.Time
	parser    *jwt.Parser
	fpKey     []byte // HMAC key of Fingerprint, derived from the signing key
}

// fingerprintContext separates the fingerprint key from the signing key.
const fingerprintContext = "ipack-gateway/authtoken credential fingerprint v1\x00"

// New returns a Signer for key: an Ed25519 private key in PEM (PKCS#8,
// "-----BEGIN PRIVATE KEY-----") selects EdDSA; anything else is an HS256
// secret of at least MinSecretLen bytes. Errors never quote the key.
func New(key string, opts Options) (*Signer, error) {
	s := &Signer{lifetime: opts.Lifetime, now: opts.Now}
	if s.lifetime <= 0 {
		s.lifetime = DefaultLifetime
	}
	if s.now == nil {
		s.now = time.Now
	}
	if strings.Contains(key, "-----BEGIN") {
		k, err := jwt.ParseEdPrivateKeyFromPEM([]byte(key))
		if err != nil {
			return nil, errors.New("authtoken: the key looks like PEM but is not an Ed25519 private key in PKCS#8")
		}
		priv := k.(ed25519.PrivateKey) // ParseEdPrivateKeyFromPEM returns no other type
		s.method, s.signKey, s.verifyKey = jwt.SigningMethodEdDSA, priv, priv.Public()
		s.fpKey = deriveKey(priv.Seed())
	} else {
		if len(key) < MinSecretLen {
			return nil, fmt.Errorf("authtoken: an HS256 secret must be at least %d bytes, got %d", MinSecretLen, len(key))
		}
		s.method, s.signKey, s.verifyKey = jwt.SigningMethodHS256, []byte(key), []byte(key)
		s.fpKey = deriveKey([]byte(key))
	}
	s.parser = jwt.NewParser(
		// Only our own algorithm: no "none", and no HS256 token "signed"
		// with an EdDSA public key.
		jwt.WithValidMethods([]string{s.method.Alg()}),
		jwt.WithIssuer(Issuer),
		jwt.WithAudience(Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(s.now),
	)
	return s, nil
}

// Algorithm names the signing algorithm, HS256 or EdDSA.
func (s *Signer) Algorithm() string { return s.method.Alg() }

// Lifetime is how long an issued token is valid.
func (s *Signer) Lifetime() time.Duration { return s.lifetime }

func deriveKey(key []byte) []byte {
	sum := sha256.Sum256(append([]byte(fingerprintContext), key...))
	return sum[:]
}

// Fingerprint names a credential for the cred claim without revealing it:
// an HMAC-SHA256 of parts (e.g. the hashes of a username and its password)
// under a key derived from the signing key, 128 bits in base64url. Without
// the signing key no guess of the credential can be checked against a
// token's fingerprint; with it, every replica computes the same one.
func (s *Signer) Fingerprint(parts ...[]byte) string {
	m := hmac.New(sha256.New, s.fpKey)
	for _, p := range parts {
		var n [8]byte // length-prefixed, so that parts cannot run together
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		m.Write(n[:])
		m.Write(p)
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// Grant is what a token is issued for.
type Grant struct {
	// Subject is the user who asked for the token.
	Subject string
	// Credential is the Fingerprint of the credential the user presented.
	Credential string
	// AccountID is the account the token acts on.
	AccountID string
	// Spaces are the guids of the spaces the token is valid in.
	Spaces []string
}

// Issue returns a token for g, valid until the returned time.
func (s *Signer) Issue(g Grant) (string, time.Time, error) {
	if g.Credential == "" || g.AccountID == "" || len(g.Spaces) == 0 {
		return "", time.Time{}, errors.New("authtoken: a grant needs a credential, an account and spaces")
	}
	now := s.now().Truncate(time.Second) // JWT times are whole seconds
	exp := now.Add(s.lifetime)
	var id [16]byte
	_, _ = rand.Read(id[:]) // never fails
	claims := Claims{
		AccountID:  g.AccountID,
		Spaces:     g.Spaces,
		Credential: g.Credential,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    Issuer,
			Subject:   g.Subject,
			Audience:  jwt.ClaimStrings{Audience},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(exp),
			ID:        hex.EncodeToString(id[:]),
		},
	}
	tok, err := jwt.NewWithClaims(s.method, claims).SignedString(s.signKey)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("authtoken: signing: %w", err)
	}
	return tok, exp, nil
}

// Verify checks a token's signature, algorithm, issuer, audience and times
// and returns its claims. Failures wrap ErrExpired or ErrInvalid; the
// library's reason is kept for logs.
//
// A token expires at its exp, or one Lifetime after it was issued if that
// is sooner: shortening the lifetime (and restarting) shortens the tokens
// already out, too.
func (s *Signer) Verify(token string) (*Claims, error) {
	var c Claims
	_, err := s.parser.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return s.verifyKey, nil })
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return nil, fmt.Errorf("%w: %w", ErrExpired, err)
	case err != nil:
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	case c.AccountID == "" || len(c.Spaces) == 0 || c.Credential == "":
		// Tokens of earlier versions carry no credential; they are
		// refused rather than trusted beyond their credential's removal.
		return nil, fmt.Errorf("%w: no account, spaces or credential", ErrInvalid)
	case c.IssuedAt == nil:
		return nil, fmt.Errorf("%w: no issue time", ErrInvalid)
	case !s.now().Before(c.IssuedAt.Add(s.lifetime)):
		return nil, fmt.Errorf("%w: issued more than the lifetime (%s) ago", ErrExpired, s.lifetime)
	}
	return &c, nil
}

// LooksLikeJWT reports whether token has the compact JWT form, three
// dot-separated parts, so that a client token of another form is not
// mistaken for a broken JWT.
func LooksLikeJWT(token string) bool {
	return strings.Count(token, ".") == 2 && !strings.ContainsAny(token, " \t")
}
