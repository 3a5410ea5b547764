package platformapi_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ipack-gateway/ipack-gateway/platformapi"
)

func TestErrorMessage(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"vendor JSON", `{"@type":"Error","message":"Environment x does not exist."}`, "Environment x does not exist."},
		{"spec example", `{"message":"Bad request"}`, "Bad request"},
		{"spec intro nested", `{"error":{"message":"Invalid token"}}`, "Invalid token"},
		{"error string", `{"error":"Forbidden"}`, "Forbidden"},
		{"message wins", `{"message":"a","error":{"message":"b"}}`, "a"},
		{"empty message falls through", `{"message":"","error":{"message":"b"}}`, "b"},
		{"JSON without message", `{"status":500}`, ""},
		{"non-string message", `{"message":42}`, ""},
		{"XML", `<?xml version="1.0"?><error><message>Rate limit exceeded</message></error>`, "Rate limit exceeded"},
		{"XML namespaced root", `<bns:Error xmlns:bns="http://api.platform.boomi.com/"><message>No access</message></bns:Error>`, "No access"},
		{"HTML page", "<!DOCTYPE html><html><body>502 Bad Gateway</body></html>", ""},
		{"plain text", "  Service   Unavailable\n\tretry later ", "Service Unavailable retry later"},
		{"broken JSON is text", `{"message":`, `{"message":`},
		{"empty", "   ", ""},
		{"control characters", "bad\x00\x1b[31mred", "bad [31mred"},
	}
	for _, tt := range tests {
		if got := platformapi.ErrorMessage([]byte(tt.body)); got != tt.want {
			t.Errorf("%s: ErrorMessage(%q) = %q, want %q", tt.name, tt.body, got, tt.want)
		}
	}
}

func TestErrorMessageBounded(t *testing.T) {
	got := platformapi.ErrorMessage([]byte(`{"message":"` + strings.Repeat("é", 1000) + `"}`))
	// 300 runes kept, then an ellipsis.
	if n := utf8.RuneCountInString(got); n != 301 {
		t.Errorf("ErrorMessage(1000 runes) has %d runes, want 301", n)
	}
}

// FuzzErrorMessage checks that any body yields a single printable line of
// bounded length, valid UTF-8, without panicking.
func FuzzErrorMessage(f *testing.F) {
	for _, s := range []string{
		`{"@type":"Error","message":"x"}`, `{"error":{"message":"y"}}`, `<error><message>z</message></error>`,
		"<html>", "plain", "", `{"message":"\u0000"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got := platformapi.ErrorMessage(body)
		if !utf8.ValidString(got) {
			t.Fatalf("ErrorMessage(%q) = %q: not UTF-8", body, got)
		}
		if strings.ContainsAny(got, "\n\r\t\x00") {
			t.Fatalf("ErrorMessage(%q) = %q: not one printable line", body, got)
		}
		if utf8.RuneCountInString(got) > 301 {
			t.Fatalf("ErrorMessage(%q) has %d runes", body, utf8.RuneCountInString(got))
		}
	})
}
