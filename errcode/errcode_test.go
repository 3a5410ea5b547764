package errcode_test

import (
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"testing"

	"github.com/ipack-gateway/ipack-gateway/errcode"
)

func TestFromStatus(t *testing.T) {
	tests := []struct {
		status int
		want   errcode.Code
	}{
		{400, errcode.BadUserInput},
		{401, errcode.Unauthorized},
		{403, errcode.Unauthorized},
		{404, errcode.NotFound},
		{410, errcode.NotFound},
		{429, errcode.RateLimited},
		{503, errcode.RateLimited},
		{504, errcode.UpstreamTimeout},
		{500, errcode.PlatformCallError},
		{502, errcode.PlatformCallError},
		{409, errcode.PlatformCallError},
		{302, errcode.PlatformCallError},
		{0, errcode.PlatformCallError},
	}
	for _, tt := range tests {
		if got := errcode.FromStatus(tt.status); got != tt.want {
			t.Errorf("FromStatus(%d) = %s, want %s", tt.status, got, tt.want)
		}
	}
}

// TestRoundTrip reads the table in both directions: a code that an upstream
// status maps to is answered with a status that maps back to the same code.
func TestRoundTrip(t *testing.T) {
	for _, code := range []errcode.Code{errcode.BadUserInput, errcode.Unauthorized, errcode.NotFound, errcode.RateLimited, errcode.UpstreamTimeout} {
		st := code.HTTPStatus()
		if got := errcode.FromStatus(st); got != code {
			t.Errorf("FromStatus(%s.HTTPStatus() = %d) = %s, want %s", code, st, got, code)
		}
	}
	if got := errcode.PlatformCallError.HTTPStatus(); got != http.StatusBadGateway {
		t.Errorf("PlatformCallError.HTTPStatus() = %d, want 502", got)
	}
	if got := errcode.Code("NOPE").HTTPStatus(); got != 500 {
		t.Errorf("unknown HTTPStatus() = %d, want 500", got)
	}
}

func TestHTTPStatus(t *testing.T) {
	tests := []struct {
		code errcode.Code
		want int
	}{
		{errcode.MissingSpaceID, 401},
		{errcode.SpaceNotFound, 401},
		{errcode.Forbidden, 403},
		{errcode.PayloadTooLarge, 413},
		{errcode.MethodNotAllowed, 405},
		{errcode.UnsupportedMediaType, 415},
		{errcode.BadRequest, 400},
		{errcode.GenericSystemError, 500},
		// The gateway's configuration, not the client's token: never 401,
		// which would send a client for a new token.
		{errcode.UpstreamCredentialsRefused, 502},
	}
	for _, tt := range tests {
		if got := tt.code.HTTPStatus(); got != tt.want {
			t.Errorf("%s.HTTPStatus() = %d, want %d", tt.code, got, tt.want)
		}
	}
}

func TestError(t *testing.T) {
	cause := errors.New("dial tcp: refused")
	base := &errcode.Error{Code: errcode.PlatformCallError, Message: "Downstream Execution Error: Bad Gateway", Err: cause}
	e := base.With("environmentId", "e1").With("status", 502)
	if base.Fields != nil {
		t.Errorf("With changed the receiver: %v", base.Fields)
	}
	want := map[string]any{"code": "PLATFORM_CALL_ERROR", "environmentId": "e1", "status": 502}
	if got := e.Extensions(); !reflect.DeepEqual(got, want) {
		t.Errorf("Extensions() = %v, want %v", got, want)
	}
	wrapped := fmt.Errorf("attach: %w", e)
	if !errors.Is(wrapped, cause) {
		t.Error("errors.Is(wrapped, cause) = false, want true")
	}
	var got *errcode.Error
	if !errors.As(wrapped, &got) || got.Code != errcode.PlatformCallError {
		t.Errorf("errors.As(wrapped) = %v, want the PLATFORM_CALL_ERROR error", got)
	}
}
