package errcode

import "unicode/utf8"

// MaxEchoed bounds client text (a name, a value) quoted in an error
// message: Clip(s, MaxEchoed).
const MaxEchoed = 64

// Clip returns s cut to at most n bytes on a rune boundary, with "…"
// appended when it was cut. Client text quoted in a message, a log line or
// a span goes through it, so that what a request costs to log and to
// answer does not grow with what it sends.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
