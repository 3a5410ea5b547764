package ids_test

import (
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/ipack-gateway/ipack-gateway/ids"
)

// The codec was rewritten to allocate less. ref* is the first, plain
// implementation, kept as the reference the fast one must agree with.

func refEncode(raw string) string { return base64.RawStdEncoding.EncodeToString([]byte(raw)) }

func refDecode(s string) (string, bool) {
	if s == "" || len(s) > 512 {
		return "", false
	}
	if trimmed := strings.TrimRight(s, "="); trimmed != s {
		if len(s)%4 != 0 || len(s)-len(trimmed) > 2 {
			return "", false
		}
		s = trimmed
	}
	enc := base64.RawStdEncoding
	if strings.ContainsAny(s, "-_") {
		if strings.ContainsAny(s, "+/") {
			return "", false
		}
		enc = base64.RawURLEncoding
	}
	b, err := enc.Strict().DecodeString(s)
	if err != nil {
		return "", false
	}
	return string(b), true
}

func refIsDigits(s string) bool {
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

func refDecodeInstance(s string) (raw, num string, ok bool) {
	raw, ok = refDecode(s)
	if !ok {
		return "", "", false
	}
	num, ok = strings.CutPrefix(raw, "IntegrationPackInstance")
	if !ok || !refIsDigits(num) {
		return "", "", false
	}
	return raw, num, true
}

func refParseInstance(s string) (string, bool) {
	raw, _, ok := refDecodeInstance(s)
	if !ok {
		return "", false
	}
	return refEncode(raw), true
}

func refParseAttachment(s string) (ids.AttachmentKey, bool) {
	raw, ok := refDecode(s)
	if !ok {
		return ids.AttachmentKey{}, false
	}
	rest, ok := strings.CutPrefix(raw, "ATTACH_IPACK_ENV")
	if !ok {
		return ids.AttachmentKey{}, false
	}
	inst, env, ok := strings.Cut(rest, ":")
	if !ok {
		return ids.AttachmentKey{}, false
	}
	inst, ok = refParseInstance(inst)
	if !ok || ids.ValidateEnvironment(env) != nil {
		return ids.AttachmentKey{}, false
	}
	return ids.AttachmentKey{InstanceID: inst, EnvironmentID: env}, true
}

// FuzzMatchesReference checks that every function of the codec answers
// exactly as the reference does, for any input.
func FuzzMatchesReference(f *testing.F) {
	for _, s := range []string{
		seedInstance, seedInstance + "==", seedAttachment, seedEnv, "", "====",
		"SW50ZWdyYXRpb25QYWNrSW5zdGFuY2UxOTUw", "SW50ZWdy\nYXRpb25QYWNrSW5zdGFuY2UxOTUw",
		base64.RawURLEncoding.EncodeToString([]byte("ATTACH_IPACK_ENV" + seedInstance + ":" + seedEnv + "\xff\xfe")),
		base64.StdEncoding.EncodeToString([]byte("ATTACH_IPACK_ENV" + seedInstance + ":" + seedEnv)),
	} {
		f.Add(s, uint64(34486))
	}
	f.Fuzz(func(t *testing.T, s string, n uint64) {
		got, err := ids.ParseInstance(s)
		want, ok := refParseInstance(s)
		if (err == nil) != ok || got != want || (err != nil && !errors.Is(err, ids.ErrInvalidInstance)) {
			t.Fatalf("ParseInstance(%q) = %q, %v; reference %q, %v", s, got, err, want, ok)
		}
		num, err := ids.InstanceNumber(s)
		_, refNum, ok := refDecodeInstance(s)
		if wantNum, _ := strconv.ParseUint(refNum, 10, 64); (err == nil) != ok || (ok && num != wantNum) {
			t.Fatalf("InstanceNumber(%q) = %d, %v; reference %q", s, num, err, refNum)
		}
		key, err := ids.ParseAttachment(s)
		wantKey, ok := refParseAttachment(s)
		if (err == nil) != ok || key != wantKey || (err != nil && !errors.Is(err, ids.ErrInvalidAttachment)) {
			t.Fatalf("ParseAttachment(%q) = %+v, %v; reference %+v, %v", s, key, err, wantKey, ok)
		}
		if got, want := ids.Instance(n), refEncode("IntegrationPackInstance"+strconv.FormatUint(n, 10)); got != want {
			t.Fatalf("Instance(%d) = %q, want %q", n, got, want)
		}
		if got, want := ids.Attachment(s, s), refEncode("ATTACH_IPACK_ENV"+s+":"+s); got != want {
			t.Fatalf("Attachment(%q, %q) = %q, want %q", s, s, got, want)
		}
	})
}
