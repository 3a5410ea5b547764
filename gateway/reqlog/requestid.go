package reqlog

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
)

// RequestID is middleware that gives each request an id: the client's
// X-Request-Id when it is a sane token, else one made up, returned in the
// response's X-Request-Id. It starts the request's Info with it: one
// context value and one copy of the request for both.
func RequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), infoKey{}, &Info{id: id})))
	})
}

// IDFrom returns the id of the request of ctx, or "".
func IDFrom(ctx context.Context) string {
	if i, ok := ctx.Value(infoKey{}).(*Info); ok {
		return i.id
	}
	return ""
}

// validRequestID admits up to 128 visible ASCII characters, so a client's
// id cannot forge log lines or headers.
func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' || id[i] == '"' || id[i] == '\\' {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // never fails
	return hex.EncodeToString(b[:])
}
