package platformapi

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Error is a failed REST call: either the vendor answered with a status that
// is not a success, or no answer arrived at all (StatusCode 0, Err set).
type Error struct {
	Method     string // HTTP method
	Object     string // REST object, e.g. "IntegrationPackEnvironmentAttachment"
	StatusCode int    // last status received; 0 when none arrived
	Message    string // the vendor's message, parsed from the error body
	Attempts   int    // tries made, retries included
	Err        error  // transport or context error when StatusCode is 0
	// Ambiguous is set when an attempt may have been carried out by the
	// vendor without its answer reaching us (see OutcomeUnknown): the call's
	// effect is unknown.
	Ambiguous bool
	// NotSent is set when no attempt left the gateway (see OutcomeNotSent):
	// nothing changed upstream. Never set together with Ambiguous.
	NotSent bool
	// RetryAfter, for ErrCircuitOpen, is when the breaker next lets a call
	// through; for an answered status, the server's Retry-After, capped by
	// RetryPolicy.RetryAfterMax (0 when it sent none).
	RetryAfter time.Duration
	// BasicAuth is set when the call authenticated with Basic credentials,
	// the account's own user and API token, rather than a Bearer token
	// forwarded for a caller: a 401 then refuses the credentials the
	// caller holds for the account (see CredentialsRefused), not anyone's
	// token.
	BasicAuth bool

	refused bool // by the Observer (AttemptStart), before anything was sent
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "platformapi: %s %s", e.Method, e.Object)
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, ": %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	return b.String()
}

// Outcome classifies the failure: not sent, of unknown effect, or answered.
func (e *Error) Outcome() Outcome {
	switch {
	case e.Ambiguous:
		return OutcomeUnknown
	case e.NotSent, errors.Is(e.Err, ErrQueueFull), errors.Is(e.Err, ErrBudgetDeadline), errors.Is(e.Err, ErrCircuitOpen):
		// These refusals happen before anything is sent, whoever builds
		// the error.
		return OutcomeNotSent
	}
	return OutcomeAnswered
}

// CredentialsRefused reports whether the REST API answered 401 to the
// account's own Basic credentials: whoever the call served, the
// credentials are wrong, revoked or cannot see the account.
func (e *Error) CredentialsRefused() bool {
	return e.BasicAuth && e.StatusCode == http.StatusUnauthorized
}

// Unwrap returns the transport error, if any.
func (e *Error) Unwrap() error { return e.Err }

// Timeout reports whether the call failed because no answer arrived in time.
func (e *Error) Timeout() bool {
	if e.StatusCode == http.StatusGatewayTimeout || e.StatusCode == http.StatusRequestTimeout {
		return true
	}
	var ne net.Error
	return e.Err != nil && (errors.As(e.Err, &ne) && ne.Timeout() || errors.Is(e.Err, errDeadline))
}

// errDeadline marks a call stopped because the caller's deadline passed.
var errDeadline = errors.New("deadline exceeded")

// maxMessageLen bounds the vendor message we pass on; a proxy's HTML error
// page should not become a client's error message.
const maxMessageLen = 300

// ErrorMessage extracts the human-readable message from a REST error body.
// The vendor documents several shapes; it tries them in this order:
// {"message": "…"} (also with "@type":"Error"), {"error": {"message": "…"}},
// {"error": "…"}, XML <error><message>…</message></error>, then the raw text.
// An HTML page yields "". The result is a single line of at most 300 runes.
func ErrorMessage(body []byte) string {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return ""
	}
	switch body[0] {
	case '{':
		var v struct {
			Message json.RawMessage `json:"message"`
			Error   json.RawMessage `json:"error"`
		}
		if json.Unmarshal(body, &v) == nil {
			if s, ok := jsonString(v.Message); ok && s != "" {
				return clean(s)
			}
			if s, ok := jsonString(v.Error); ok && s != "" {
				return clean(s)
			}
			var nested struct {
				Message json.RawMessage `json:"message"`
			}
			if len(v.Error) > 0 && json.Unmarshal(v.Error, &nested) == nil {
				if s, ok := jsonString(nested.Message); ok && s != "" {
					return clean(s)
				}
			}
			return ""
		}
	case '<':
		if isHTML(body) {
			return ""
		}
		var v struct {
			Message string `xml:"message"`
		}
		if xml.Unmarshal(body, &v) == nil {
			return clean(v.Message)
		}
		return ""
	}
	return clean(string(body))
}

func jsonString(raw json.RawMessage) (string, bool) {
	var s string
	if len(raw) == 0 || json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

func isHTML(body []byte) bool {
	head := strings.ToLower(string(body[:min(len(body), 64)]))
	return strings.HasPrefix(head, "<!doctype html") || strings.HasPrefix(head, "<html")
}

// clean makes s a single printable line of bounded length.
func clean(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	var b strings.Builder
	n, space := 0, false
	for _, r := range s {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) {
			space = b.Len() > 0
			continue
		}
		need := 1 // runes this one adds, with the space it may bring
		if space {
			need = 2
		}
		if n+need > maxMessageLen {
			b.WriteString("…")
			break
		}
		if space {
			b.WriteByte(' ')
			n++
			space = false
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}
