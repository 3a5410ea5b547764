package admission

import (
	"errors"
	"net/http"
	"testing"
)

// TestWorkers: a request served on a worker panics on its connection's
// goroutine, where net/http expects it; the worker survives for the next.
func TestWorkers(t *testing.T) {
	ws := NewWorkers()
	serve := func(h http.Handler) (p any) {
		defer func() { p = recover() }()
		ws.Serve(nil, nil, h)
		return nil
	}
	if p := serve(panickingHandler{}); p != errSentinelPanic {
		t.Errorf("recovered %v, want the handler's panic", p)
	}
	ran := false
	if p := serve(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { ran = true })); p != nil || !ran {
		t.Errorf("after a panic: recovered %v, ran %v", p, ran)
	}
}

var errSentinelPanic = errors.New("handler panic")

type panickingHandler struct{}

func (panickingHandler) ServeHTTP(http.ResponseWriter, *http.Request) { panic(errSentinelPanic) }
