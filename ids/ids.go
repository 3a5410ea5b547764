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
	return encode(instancePrefix + strconv.FormatUint(n, 10))
}

// ParseInstance checks that s is an integration pack instance id and returns
// it in canonical form, ready for REST.
func ParseInstance(s string) (string, error) {
	raw, _, err := decodeInstance(s)
	if err != nil {
		return "", err
	}
	return encode(raw), nil
}

// InstanceNumber returns the REST number inside an instance id.
func InstanceNumber(s string) (uint64, error) {
	_, num, err := decodeInstance(s)
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(num, 10, 64) // cannot fail: at most 19 digits
}

func decodeInstance(s string) (raw, num string, err error) {
	raw, ok := decode(s)
	if !ok {
		return "", "", ErrInvalidInstance
	}
	num, ok = strings.CutPrefix(raw, instancePrefix)
	if !ok || !isDigits(num) {
		return "", "", ErrInvalidInstance
	}
	return raw, num, nil
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
	return encode(attachmentPrefix + instanceID + ":" + environmentID)
}

// ParseAttachment decodes an attachment id into its keys.
func ParseAttachment(s string) (AttachmentKey, error) {
	raw, ok := decode(s)
	if !ok {
		return AttachmentKey{}, ErrInvalidAttachment
	}
	rest, ok := strings.CutPrefix(raw, attachmentPrefix)
	if !ok {
		return AttachmentKey{}, ErrInvalidAttachment
	}
	// The instance part is base64 and so holds no ':'; the first one splits.
	inst, env, ok := strings.Cut(rest, ":")
	if !ok {
		return AttachmentKey{}, ErrInvalidAttachment
	}
	inst, err := ParseInstance(inst)
	if err != nil {
		return AttachmentKey{}, ErrInvalidAttachment
	}
	if ValidateEnvironment(env) != nil {
		return AttachmentKey{}, ErrInvalidAttachment
	}
	return AttachmentKey{InstanceID: inst, EnvironmentID: env}, nil
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

func encode(raw string) string {
	return base64.RawStdEncoding.EncodeToString([]byte(raw))
}

// decode accepts standard or URL-safe base64, padded or not.
func decode(s string) (string, bool) {
	if s == "" || len(s) > maxEncodedLen {
		return "", false
	}
	if trimmed := strings.TrimRight(s, "="); trimmed != s {
		// Padding, when present, must be the right padding.
		if len(s)%4 != 0 || len(s)-len(trimmed) > 2 {
			return "", false
		}
		s = trimmed
	}
	enc := base64.RawStdEncoding
	if strings.ContainsAny(s, "-_") {
		if strings.ContainsAny(s, "+/") {
			return "", false // a mix of alphabets is no one's encoding
		}
		enc = base64.RawURLEncoding
	}
	b, err := enc.Strict().DecodeString(s)
	if err != nil {
		return "", false
	}
	return string(b), true
}

func isDigits(s string) bool {
	if s == "" || len(s) > 19 {
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
