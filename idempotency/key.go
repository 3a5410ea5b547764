package idempotency

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"strings"
)

// Header is the request header that carries a key.
const Header = "Idempotency-Key"

// ReplayedHeader is set on a response answered from a record.
const ReplayedHeader = "Idempotent-Replayed"

// MaxKeyLength bounds a key, in bytes: long enough for any UUID or
// client-made name, short enough to bound what a request makes the
// gateway hash.
const MaxKeyLength = 255

// Requested reports whether r carries an Idempotency-Key header.
func Requested(r *http.Request) bool { return len(r.Header.Values(Header)) > 0 }

// ParseKey returns the key of the Idempotency-Key values of a request: one
// value, a Structured Field string ("…", the draft's form) or a bare token
// as many clients send it, of 1 to MaxKeyLength printable ASCII characters.
// Its errors never quote the value.
func ParseKey(values []string) (string, error) {
	if len(values) != 1 {
		return "", fmt.Errorf("send one %s header, not %d", Header, len(values))
	}
	v := strings.TrimSpace(values[0])
	if strings.HasPrefix(v, `"`) {
		s, err := parseSFString(v)
		if err != nil {
			return "", err
		}
		v = s
	}
	if v == "" || len(v) > MaxKeyLength {
		return "", fmt.Errorf("%s must be 1 to %d characters long", Header, MaxKeyLength)
	}
	for i := range len(v) {
		if c := v[i]; c < 0x20 || c > 0x7e {
			return "", fmt.Errorf("%s must be printable ASCII (a Structured Field string)", Header)
		}
	}
	return v, nil
}

// parseSFString parses a Structured Field string (RFC 9651, 4.2.5): a
// quoted run of printable ASCII where \ escapes only " and \.
func parseSFString(v string) (string, error) {
	bad := errors.New(Header + ` is not a well-formed string: "…" with only \" and \\ escaped`)
	if len(v) < 2 || v[len(v)-1] != '"' {
		return "", bad
	}
	var b strings.Builder
	for i := 1; i < len(v)-1; i++ {
		c := v[i]
		switch {
		case c == '\\':
			i++
			if i == len(v)-1 || (v[i] != '"' && v[i] != '\\') {
				return "", bad
			}
			b.WriteByte(v[i])
		case c == '"':
			return "", bad
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// Scope is whose key it is: a key names a request of one client in one
// space, and the same key of another client is another record.
type Scope struct {
	// Space is the space's GUID.
	Space string
	// Client identifies the client within the space: the gateway gives
	// the SHA-256 of its bearer token, of its JWT's user, or of its
	// address on a passthrough space.
	Client []byte
}

// ID is the record's name in a store: a hex SHA-256 of the scope and the
// key, so that neither a key nor a client's identity is stored as is.
func (s Scope) ID(key string) string {
	h := sha256.New()
	writeField(h, []byte(s.Space))
	writeField(h, s.Client)
	writeField(h, []byte(key))
	return hex.EncodeToString(h.Sum(nil))
}

// Fingerprint identifies a request's content: two requests with the same
// fingerprint ask for the same thing.
type Fingerprint [sha256.Size]byte

// Request is what a GraphQL request asks: its fingerprint is taken of
// these, and of nothing else (extensions and headers are not part of it).
type Request struct {
	Query         string
	OperationName string
	// Variables is the request's variables as JSON, or empty.
	Variables json.RawMessage
}

// Fingerprint hashes the canonical form of r: the query and operation
// name as sent, and the variables as JSON values, so that their order of
// keys and their whitespace do not count (numbers are compared as
// written: 1 and 1.0 differ). No variables, null and {} are the same.
func (r Request) Fingerprint() (Fingerprint, error) {
	vars, err := canonicalJSON(r.Variables)
	if err != nil {
		return Fingerprint{}, err
	}
	h := sha256.New()
	writeField(h, []byte(r.Query))
	writeField(h, []byte(r.OperationName))
	writeField(h, vars)
	var fp Fingerprint
	h.Sum(fp[:0])
	return fp, nil
}

// writeField writes b to h after its length, so that no two lists of
// fields hash alike.
func writeField(h hash.Hash, b []byte) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(b)))
	h.Write(n[:])
	h.Write(b)
}

// canonicalJSON re-encodes raw with object keys sorted (encoding/json
// sorts map keys) and numbers as written.
func canonicalJSON(raw json.RawMessage) ([]byte, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return []byte("{}"), nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("idempotency: variables: %w", err)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("idempotency: variables: %w", err)
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}
