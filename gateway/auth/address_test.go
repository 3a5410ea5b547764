package auth

import (
	"net/http"
	"testing"
)

// TestAddressKey: a client is keyed by its address without the port; an
// IPv6 client by its /64, the block one host or site is usually given, so
// that rotating through its addresses does not make it fresh clients
// (fresh request rates, guesses, budget queues).
func TestAddressKey(t *testing.T) {
	tests := []struct {
		a, b string
		same bool
	}{
		{"192.0.2.1:1000", "192.0.2.1:2000", true},
		{"192.0.2.1:1000", "192.0.2.2:1000", false},
		{"[2001:db8:1:2::1]:1000", "[2001:db8:1:2:ffff:ffff:ffff:fffe]:2000", true},
		{"[2001:db8:1:2::1]:1000", "[2001:db8:1:3::1]:1000", false},
		{"[::ffff:192.0.2.1]:1000", "192.0.2.1:2000", true},  // IPv4-mapped is IPv4
		{"[::ffff:192.0.2.1]:1000", "192.0.2.2:2000", false}, // and not masked
		{"not-an-address", "not-an-address", true},
		{"not-an-address", "another", false},
	}
	for _, tt := range tests {
		ka := (&Authenticator{}).addressKey("k", &http.Request{RemoteAddr: tt.a})
		kb := (&Authenticator{}).addressKey("k", &http.Request{RemoteAddr: tt.b})
		if got := ka == kb; got != tt.same {
			t.Errorf("addressKey(%q) == addressKey(%q): %v, want %v", tt.a, tt.b, got, tt.same)
		}
	}
	if (&Authenticator{}).addressKey("a", &http.Request{RemoteAddr: "192.0.2.1:1"}) == (&Authenticator{}).addressKey("b", &http.Request{RemoteAddr: "192.0.2.1:1"}) {
		t.Error("addressKey ignores its kind")
	}
}
