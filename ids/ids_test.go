package ids_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/ipack-gateway/ipack-gateway/ids"
)

// From the vendor's sample response (seed attach-integration-pack-instance.md).
const (
	seedInstance   = "SW50ZWdyYXRpb25QYWNrSW5zdGFuY2UzNDQ4Ng"
	seedEnv        = "86b413a8-1ebf-4c95-bc5b-139573b77910"
	seedAttachment = "QVRUQUNIX0lQQUNLX0VOVlNXNTBaV2R5WVhScGIyNVFZV05yU1c1emRHRnVZMlV6TkRRNE5nOjg2YjQxM2E4LTFlYmYtNGM5NS1iYzViLTEzOTU3M2I3NzkxMA"
)

func TestSeedIDs(t *testing.T) {
	if got := ids.Instance(34486); got != seedInstance {
		t.Errorf("Instance(34486) = %q, want %q", got, seedInstance)
	}
	if got := ids.Instance(1950); got != "SW50ZWdyYXRpb25QYWNrSW5zdGFuY2UxOTUw" {
		t.Errorf("Instance(1950) = %q, want the seed request's id", got)
	}
	if got := ids.Attachment(seedInstance, seedEnv); got != seedAttachment {
		t.Errorf("Attachment(%q, %q) = %q, want %q", seedInstance, seedEnv, got, seedAttachment)
	}
	key, err := ids.ParseAttachment(seedAttachment)
	if err != nil {
		t.Fatalf("ParseAttachment(seed) error = %v", err)
	}
	if want := (ids.AttachmentKey{InstanceID: seedInstance, EnvironmentID: seedEnv}); key != want {
		t.Errorf("ParseAttachment(seed) = %+v, want %+v", key, want)
	}
	if n, err := ids.InstanceNumber(seedInstance); err != nil || n != 34486 {
		t.Errorf("InstanceNumber(%q) = %d, %v, want 34486, nil", seedInstance, n, err)
	}
}

func TestParseInstance(t *testing.T) {
	urlSafe := base64.RawURLEncoding.EncodeToString([]byte("IntegrationPackInstance1950"))
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{in: seedInstance, want: seedInstance},
		{in: seedInstance + "==", want: seedInstance},               // padded
		{in: urlSafe, want: "SW50ZWdyYXRpb25QYWNrSW5zdGFuY2UxOTUw"}, // URL-safe alphabet, same text here
		{in: base64.StdEncoding.EncodeToString([]byte("IntegrationPackInstance0")), want: "SW50ZWdyYXRpb25QYWNrSW5zdGFuY2Uw"},
		{in: seedInstance + "=", wantErr: true},            // wrong padding
		{in: seedInstance + "===", wantErr: true},          // too much padding
		{in: "", wantErr: true},                            // empty
		{in: "1950", wantErr: true},                        // REST number, not opaque
		{in: "IntegrationPackInstance1950", wantErr: true}, // not encoded
		{in: base64.RawStdEncoding.EncodeToString([]byte("IntegrationPackInstance")), wantErr: true},
		{in: base64.RawStdEncoding.EncodeToString([]byte("IntegrationPackInstance12a")), wantErr: true},
		{in: base64.RawStdEncoding.EncodeToString([]byte("IntegrationPack1950")), wantErr: true},
		{in: base64.RawStdEncoding.EncodeToString([]byte("IntegrationPackInstance-1")), wantErr: true},
		{in: base64.RawStdEncoding.EncodeToString([]byte("IntegrationPackInstance12345678901234567890")), wantErr: true}, // > uint64
		{in: seedAttachment, wantErr: true},                          // an attachment id
		{in: "SW50ZWdy YXRpb25QYWNrSW5zdGFuY2UxOTUw", wantErr: true}, // space inside
		{in: strings.Repeat("A", 1000), wantErr: true},               // too long
		{in: "SW50+ZWdy_YXRp", wantErr: true},                        // mixed alphabets
	}
	for _, tt := range tests {
		got, err := ids.ParseInstance(tt.in)
		if tt.wantErr {
			if !errors.Is(err, ids.ErrInvalidInstance) {
				t.Errorf("ParseInstance(%q) = %q, %v, want ErrInvalidInstance", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseInstance(%q) = %q, %v, want %q, nil", tt.in, got, err, tt.want)
		}
	}
}

func TestParseAttachment(t *testing.T) {
	enc := func(s string) string { return base64.RawStdEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		name    string
		in      string
		want    ids.AttachmentKey
		wantErr bool
	}{
		{name: "seed", in: seedAttachment, want: ids.AttachmentKey{InstanceID: seedInstance, EnvironmentID: seedEnv}},
		{name: "padded", in: base64.StdEncoding.EncodeToString([]byte("ATTACH_IPACK_ENV" + seedInstance + ":" + seedEnv)), want: ids.AttachmentKey{InstanceID: seedInstance, EnvironmentID: seedEnv}},
		{name: "padded inner instance is canonicalised", in: enc("ATTACH_IPACK_ENV" + seedInstance + "==:" + seedEnv), want: ids.AttachmentKey{InstanceID: seedInstance, EnvironmentID: seedEnv}},
		{name: "upper-case guid kept", in: enc("ATTACH_IPACK_ENV" + seedInstance + ":" + strings.ToUpper(seedEnv)), want: ids.AttachmentKey{InstanceID: seedInstance, EnvironmentID: strings.ToUpper(seedEnv)}},
		{name: "instance id", in: seedInstance, wantErr: true},
		{name: "no colon", in: enc("ATTACH_IPACK_ENV" + seedInstance + seedEnv), wantErr: true},
		{name: "bad instance", in: enc("ATTACH_IPACK_ENVabc:" + seedEnv), wantErr: true},
		{name: "bad environment", in: enc("ATTACH_IPACK_ENV" + seedInstance + ":not-a-guid"), wantErr: true},
		{name: "empty environment", in: enc("ATTACH_IPACK_ENV" + seedInstance + ":"), wantErr: true},
		{name: "wrong prefix", in: enc("ATTACH_IPACK_EN" + seedInstance + ":" + seedEnv), wantErr: true},
		{name: "not base64", in: "<IpackinstanceID>", wantErr: true},
		{name: "empty", in: "", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ids.ParseAttachment(tt.in)
		if tt.wantErr {
			if !errors.Is(err, ids.ErrInvalidAttachment) {
				t.Errorf("%s: ParseAttachment(%q) = %+v, %v, want ErrInvalidAttachment", tt.name, tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: ParseAttachment(%q) = %+v, %v, want %+v", tt.name, tt.in, got, err, tt.want)
		}
	}
}

func TestValidateEnvironment(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{seedEnv, true},
		{"730BC9B1-1F7C-4049-BB65-AACF993B6FE0", true},
		{"730bc9b1-1f7c-4049-bb65-aacf993b6fe", false},
		{"730bc9b1-1f7c-4049-bb65-aacf993b6fe0 ", false},
		{"730bc9b11f7c-4049-bb65-aacf993b6fe00", false},
		{"730bc9b1-1f7c-4049-bb65-aacf993b6fg0", false},
		{"", false},
	}
	for _, tt := range tests {
		if err := ids.ValidateEnvironment(tt.in); (err == nil) != tt.ok {
			t.Errorf("ValidateEnvironment(%q) = %v, want ok=%v", tt.in, err, tt.ok)
		}
	}
}

// FuzzParseAttachment checks that decoding never panics and that whatever
// decodes re-encodes to a canonical id that decodes to the same key.
func FuzzParseAttachment(f *testing.F) {
	f.Add(seedAttachment)
	f.Add(seedInstance)
	f.Add(base64.StdEncoding.EncodeToString([]byte("ATTACH_IPACK_ENV" + seedInstance + ":" + seedEnv)))
	f.Add("QVRUQUNIX0lQQUNLX0VOVl")
	f.Add("====")
	f.Fuzz(func(t *testing.T, s string) {
		key, err := ids.ParseAttachment(s)
		if err != nil {
			return
		}
		canon := key.String()
		again, err := ids.ParseAttachment(canon)
		if err != nil {
			t.Fatalf("ParseAttachment(%q) ok but its canonical form %q fails: %v", s, canon, err)
		}
		if again != key || again.String() != canon {
			t.Fatalf("round trip of %q: %+v then %+v", s, key, again)
		}
		if strings.ContainsAny(canon, "=-_") {
			t.Fatalf("canonical id %q is padded or URL-safe", canon)
		}
	})
}

// FuzzParseInstance checks the same properties for instance ids.
func FuzzParseInstance(f *testing.F) {
	f.Add(seedInstance)
	f.Add(seedInstance + "==")
	f.Add("SW50ZWdyYXRpb25QYWNrSW5zdGFuY2UxOTUw")
	f.Fuzz(func(t *testing.T, s string) {
		canon, err := ids.ParseInstance(s)
		if err != nil {
			return
		}
		again, err := ids.ParseInstance(canon)
		if err != nil || again != canon {
			t.Fatalf("ParseInstance(%q) = %q, but ParseInstance(%q) = %q, %v", s, canon, canon, again, err)
		}
		if _, err := ids.InstanceNumber(canon); err != nil {
			t.Fatalf("InstanceNumber(%q) error %v", canon, err)
		}
	})
}
