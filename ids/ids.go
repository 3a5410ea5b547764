// Package ids encodes and decodes the opaque identifiers that the vendor's
// GraphQL API hands to clients.
//
// Every opaque id is unpadded standard base64 of a type prefix followed by
// the REST key(s):
//
//	IntegrationPackInstance<number>                    an instance id
//	ATTACH_IPACK_ENV<instance id>:<environment id>     an attachment id
//
// An instance id is the same string in REST and in GraphQL. An attachment id
// embeds the instance id in its opaque (already encoded) form, so it is base64
// twice over. Decoding accepts the standard and URL-safe alphabets, with or
// without padding; encoding always emits the canonical form, which is what the
// vendor returns. The formats are inferred from the vendor's samples (see
// ../shared/notes/platform-api.md); this file is the one place to change them.
package ids

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
)

const (
	instancePrefix   = "IntegrationPackInstance"
	attachmentPrefix = "ATTACH_IPACK_ENV"

	// maxEncodedLen bounds what we try to decode: real ids are far shorter,
	// and a bound keeps hostile input from costing more than a few bytes.
	maxEncodedLen = 512
)

// Errors returned by the Parse functions. Callers branch on them with
// errors.Is to pick the GraphQL error code.
var (
	ErrInvalidInstance    = errors.New("not an integration pack instance id")
	ErrInvalidAttachment  = errors.New("not an integration pack environment attachment id")
	ErrInvalidEnvironment = errors.New("not an environment id")
	ErrInvalidPack        = errors.New("not an integration pack id")
)

// Instance returns the canonical opaque id of the integration pack instance
// with the given REST number.
func Instance(n uint64) string {
	var buf [64]byte
	return encode(strconv.AppendUint(append(buf[:0], instancePrefix...), n, 10))
}

// ParseInstance checks that s is an integration pack instance id and returns
// it in canonical form, ready for REST.
func ParseInstance(s string) (string, error) {
	var buf [maxDecodedLen]byte
	raw, canon, ok := decode(buf[:], s)
	if !ok || instanceNumber(raw) == nil {
		return "", ErrInvalidInstance
	}
	if canon != "" {
		return canon, nil // s as it came, less any padding: no allocation
	}
	return encode(raw), nil
}

// InstanceNumber returns the REST number inside an instance id.
func InstanceNumber(s string) (uint64, error) {
	var buf [maxDecodedLen]byte
	raw, _, ok := decode(buf[:], s)
	num := instanceNumber(raw)
	if !ok || num == nil {
		return 0, ErrInvalidInstance
	}
	return strconv.ParseUint(string(num), 10, 64) // cannot fail: at most 19 digits
}

// instanceNumber returns the digits of a decoded instance id, or nil when
// raw is not one.
func instanceNumber(raw []byte) []byte {
	num, ok := bytes.CutPrefix(raw, []byte(instancePrefix))
	if !ok || !isDigits(num) {
		return nil
	}
	return num
}

// AttachmentKey is what an attachment id stands for: the attachment of one
// integration pack instance to one environment.
type AttachmentKey struct {
	InstanceID    string // canonical opaque instance id
	EnvironmentID string // environment GUID
}

// Attachment returns the canonical opaque id of the attachment of instanceID
// to environmentID. instanceID must be canonical (see ParseInstance).
func Attachment(instanceID, environmentID string) string {
	var buf [128]byte // real ids fit; longer ones grow onto the heap
	raw := append(buf[:0], attachmentPrefix...)
	raw = append(raw, instanceID...)
	raw = append(raw, ':')
	return encode(append(raw, environmentID...))
}

// ParseAttachment decodes an attachment id into its keys.
func ParseAttachment(s string) (AttachmentKey, error) {
	var buf [maxDecodedLen]byte
	raw, _, ok := decode(buf[:], s)
	if !ok {
		return AttachmentKey{}, ErrInvalidAttachment
	}
	rest, ok := bytes.CutPrefix(raw, []byte(attachmentPrefix))
	if !ok {
		return AttachmentKey{}, ErrInvalidAttachment
	}
	// The instance part is base64 and so holds no ':'; the first one splits.
	inst, env, ok := bytes.Cut(rest, []byte(":"))
	if !ok {
		return AttachmentKey{}, ErrInvalidAttachment
	}
	instID, err := ParseInstance(string(inst))
	if err != nil {
		return AttachmentKey{}, ErrInvalidAttachment
	}
	envID := string(env)
	if ValidateEnvironment(envID) != nil {
		return AttachmentKey{}, ErrInvalidAttachment
	}
	return AttachmentKey{InstanceID: instID, EnvironmentID: envID}, nil
}

// String returns the canonical opaque id of k.
func (k AttachmentKey) String() string { return Attachment(k.InstanceID, k.EnvironmentID) }

// ValidateEnvironment reports whether s has the form of an environment id: a
// GUID, 8-4-4-4-12 hexadecimal digits. Upper and lower case are both accepted
// and kept as given, since REST echoes what it was sent.
func ValidateEnvironment(s string) error {
	if len(s) != 36 {
		return ErrInvalidEnvironment
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return ErrInvalidEnvironment
			}
		default:
			if !isHex(c) {
				return ErrInvalidEnvironment
			}
		}
	}
	return nil
}

// ValidateIntegrationPack reports whether s has the form of an integration
// pack id: a GUID, like an environment id.
func ValidateIntegrationPack(s string) error {
	if ValidateEnvironment(s) != nil {
		return ErrInvalidPack
	}
	return nil
}

// The strict decoders: they reject non-zero trailing bits, so that one id
// has one encoding. Strict() copies its Encoding, so they are made once.
var (
	rawStdStrict = base64.RawStdEncoding.Strict()
	rawURLStrict = base64.RawURLEncoding.Strict()
)

// maxDecodedLen is the most that maxEncodedLen characters decode to.
const maxDecodedLen = maxEncodedLen / 4 * 3

// encode returns the canonical text of raw: unpadded standard base64.
func encode(raw []byte) string {
	var buf [256]byte
	out := buf[:0]
	if n := base64.RawStdEncoding.EncodedLen(len(raw)); n > len(buf) {
		out = make([]byte, 0, n)
	}
	return string(base64.RawStdEncoding.AppendEncode(out, raw))
}

// decode accepts standard or URL-safe base64, padded or not, and decodes
// it into dst, which must hold maxDecodedLen bytes. When s is the standard
// alphabet with nothing ignored, canon is s without its padding: the
// canonical text of raw, since the strict decoder admits one text per value.
func decode(dst []byte, s string) (raw []byte, canon string, ok bool) {
	if s == "" || len(s) > maxEncodedLen {
		return nil, "", false
	}
	if trimmed := strings.TrimRight(s, "="); trimmed != s {
		// Padding, when present, must be the right padding.
		if len(s)%4 != 0 || len(s)-len(trimmed) > 2 {
			return nil, "", false
		}
		s = trimmed
	}
	enc := rawStdStrict
	if strings.ContainsAny(s, "-_") {
		if strings.ContainsAny(s, "+/") {
			return nil, "", false // a mix of alphabets is no one's encoding
		}
		enc = rawURLStrict
	}
	var src [maxEncodedLen]byte
	n, err := enc.Decode(dst, src[:copy(src[:], s)])
	if err != nil {
		return nil, "", false
	}
	if enc == rawStdStrict && !strings.ContainsAny(s, "\r\n") { // the decoder skips CR and LF
		canon = s
	}
	return dst[:n], canon, true
}

func isDigits(s []byte) bool {
	if len(s) == 0 || len(s) > 19 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
