package errcode_test

import (
	"testing"

	"github.com/ipack-gateway/ipack-gateway/errcode"
)

func TestClip(t *testing.T) {
	for _, tc := range []struct {
		s    string
		n    int
		want string
	}{
		{"", 3, ""},
		{"abc", 3, "abc"},
		{"abcd", 3, "abc…"},
		{"aé", 2, "a…"}, // é is two bytes: never cut inside a rune
		{"éé", 3, "é…"},
		{"abc", 0, "…"},
	} {
		if got := errcode.Clip(tc.s, tc.n); got != tc.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
		}
	}
}
