package idempotency_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/ipack-gateway/ipack-gateway/errcode"
	"github.com/ipack-gateway/ipack-gateway/idempotency"
)

// writeError answers e as the gateway does: its HTTP status and a GraphQL
// error body.
func writeError(w http.ResponseWriter, e *errcode.Error) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(e.Code.HTTPStatus())
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []any{map[string]any{"message": e.Message, "extensions": e.Extensions()}}})
}

// exchange is one request through a Keeper, and what came of it.
type exchange struct {
	key    string // the header's value; "" for none
	client string
	req    idempotency.Request
	run    func(http.ResponseWriter) bool // nil: the default, which counts
}

type outcome struct {
	result idempotency.Result
	status int
	header http.Header
	body   string
	ran    bool
}

// ok is a run that answers 200 with a body, a recorded header and one
// that is not.
func ok(body string) func(http.ResponseWriter) bool {
	return func(w http.ResponseWriter) bool {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("X-Per-Answer", "1")
		_, _ = w.Write([]byte(body))
		return true
	}
}

func serve(k *idempotency.Keeper, ex exchange) outcome {
	r := httptest.NewRequest("POST", "/graphql", nil)
	if ex.key != "" {
		r.Header.Set(idempotency.Header, ex.key)
	}
	run := ex.run
	if run == nil {
		run = ok(`{"data":{"n":1}}`)
	}
	var o outcome
	w := httptest.NewRecorder()
	o.result = k.Serve(w, r, idempotency.Scope{Space: "s", Client: []byte(ex.client)}, ex.req, func(w http.ResponseWriter) bool {
		o.ran = true
		return run(w)
	})
	o.status, o.header, o.body = w.Code, w.Header(), w.Body.String()
	return o
}

var mutation = idempotency.Request{Query: "mutation { x }", Variables: json.RawMessage(`{"a":1}`)}

// TestKeeper: each case is a sequence of requests through one Keeper;
// check looks at the last one's outcome.
func TestKeeper(t *testing.T) {
	tests := []struct {
		name  string
		steps []exchange
		check func(t *testing.T, first, last outcome)
	}{
		{"a repeat is answered from the record, without running", []exchange{
			{key: "k1", req: mutation},
			{key: "k1", req: mutation, run: ok(`{"data":{"n":2}}`)},
		}, func(t *testing.T, first, last outcome) {
			if !first.ran || first.result != idempotency.Executed || first.body != `{"data":{"n":1}}` || first.header.Get(idempotency.ReplayedHeader) != "" {
				t.Errorf("first: %+v", first)
			}
			if last.ran || last.result != idempotency.Replayed || last.status != 200 || last.body != first.body ||
				last.header.Get("Content-Type") != "application/json; charset=utf-8" || last.header.Get(idempotency.ReplayedHeader) != "true" {
				t.Errorf("repeat: %+v", last)
			}
			if last.header.Get("X-Per-Answer") != "" {
				t.Error("a header that is not recorded was replayed")
			}
		}},
		{"same variables, other order: a repeat", []exchange{
			{key: "k1", req: idempotency.Request{Query: "mutation { x }", Variables: json.RawMessage(`{"a":1,"b":2}`)}},
			{key: "k1", req: idempotency.Request{Query: "mutation { x }", Variables: json.RawMessage(`{ "b": 2, "a": 1 }`)}},
		}, func(t *testing.T, _, last outcome) {
			if last.ran || last.result != idempotency.Replayed {
				t.Errorf("repeat: %+v", last)
			}
		}},
		{"the same key with another request: 422", []exchange{
			{key: "k1", req: mutation},
			{key: "k1", req: idempotency.Request{Query: "mutation { x }", Variables: json.RawMessage(`{"a":2}`)}},
		}, func(t *testing.T, _, last outcome) {
			if last.ran || last.status != 422 || !strings.Contains(last.body, `"IDEMPOTENCY_KEY_REUSED"`) {
				t.Errorf("reuse: %+v", last)
			}
		}},
		{"another client's key is its own", []exchange{
			{key: "k1", client: "a", req: mutation},
			{key: "k1", client: "b", req: mutation},
		}, func(t *testing.T, _, last outcome) {
			if !last.ran || last.result != idempotency.Executed {
				t.Errorf("other client: %+v", last)
			}
		}},
		{"refused before it ran: not recorded, the key is free", []exchange{
			{key: "k1", req: mutation, run: func(w http.ResponseWriter) bool {
				w.Header().Set("Retry-After", "3")
				writeError(w, errcode.New(errcode.RateLimited, "slow down"))
				return false
			}},
			{key: "k1", req: mutation},
		}, func(t *testing.T, first, last outcome) {
			if first.status != 429 || first.header.Get("Retry-After") != "3" || first.result != idempotency.Refused {
				t.Errorf("refusal: %+v", first)
			}
			if !last.ran || last.result != idempotency.Executed {
				t.Errorf("retry after a refusal: %+v", last)
			}
		}},
		{"a failed execution is recorded like any answer", []exchange{
			{key: "k1", req: mutation, run: func(w http.ResponseWriter) bool {
				w.Header().Set("Retry-After", "2")
				w.WriteHeader(200)
				_, _ = w.Write([]byte(`{"errors":[{"message":"x","extensions":{"code":"RATE_LIMITED","outcome":"unknown"}}],"data":{"x":null}}`))
				return true
			}},
			{key: "k1", req: mutation},
		}, func(t *testing.T, first, last outcome) {
			if last.ran || last.body != first.body || last.header.Get("Retry-After") != "2" {
				t.Errorf("repeat of a failure: %+v", last)
			}
		}},
		{"too large a response: recorded as not kept", []exchange{
			{key: "k1", req: mutation, run: ok(`{"data":{"big":"` + strings.Repeat("x", 2000) + `"}}`)},
			{key: "k1", req: mutation},
		}, func(t *testing.T, first, last outcome) {
			if !strings.Contains(first.body, strings.Repeat("x", 2000)) {
				t.Errorf("the first answer was cut: %d bytes", len(first.body))
			}
			if last.ran || last.status != 200 || !strings.Contains(last.body, `"IDEMPOTENT_RESPONSE_NOT_KEPT"`) || !strings.Contains(last.body, "carried out") {
				t.Errorf("repeat: %+v", last)
			}
		}},
		{"a malformed key: 400, nothing runs", []exchange{
			{key: `"unterminated`, req: mutation},
		}, func(t *testing.T, _, last outcome) {
			if last.ran || last.status != 400 || !strings.Contains(last.body, `"BAD_REQUEST"`) || strings.Contains(last.body, "unterminated") {
				t.Errorf("malformed: %+v", last)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := idempotency.New(idempotency.Options{Store: idempotency.NewMemory(idempotency.MemoryOptions{}), WriteError: writeError, MaxResponseBytes: 1000})
			var first, last outcome
			for i, ex := range tt.steps {
				last = serve(k, ex)
				if i == 0 {
					first = last
				}
			}
			tt.check(t, first, last)
		})
	}
}

// TestKeeperWhileRunning: a repeat while the first request runs gets 409
// with Retry-After and does not run; once the first answered, a repeat
// gets its answer.
func TestKeeperWhileRunning(t *testing.T) {
	k := idempotency.New(idempotency.Options{Store: idempotency.NewMemory(idempotency.MemoryOptions{}), WriteError: writeError})
	started, release := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	var first outcome
	go func() {
		defer wg.Done()
		first = serve(k, exchange{key: "k", req: mutation, run: func(w http.ResponseWriter) bool {
			close(started)
			<-release
			return ok(`{"data":{"n":1}}`)(w)
		}})
	}()
	<-started
	during := serve(k, exchange{key: "k", req: mutation})
	close(release)
	wg.Wait()
	after := serve(k, exchange{key: "k", req: mutation})
	if during.ran || during.status != 409 || during.header.Get("Retry-After") != "1" || !strings.Contains(during.body, `"IDEMPOTENCY_KEY_IN_USE"`) {
		t.Errorf("during: %+v", during)
	}
	if after.ran || after.result != idempotency.Replayed || after.body != first.body {
		t.Errorf("after: %+v (first %+v)", after, first)
	}
}

// TestKeeperPanic: a request that panics leaves a record of unknown
// outcome, so that its repeat does not run it again; the panic goes on.
func TestKeeperPanic(t *testing.T) {
	k := idempotency.New(idempotency.Options{Store: idempotency.NewMemory(idempotency.MemoryOptions{}), WriteError: writeError})
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the panic did not reach the caller")
			}
		}()
		serve(k, exchange{key: "k", req: mutation, run: func(http.ResponseWriter) bool { panic("boom") }})
	}()
	o := serve(k, exchange{key: "k", req: mutation})
	if o.ran || o.status != 500 || !strings.Contains(o.body, `"outcome":"unknown"`) {
		t.Errorf("after a panic: %+v", o)
	}
}

// failing is a store that does not answer.
type failing struct{}

var errDown = errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")

func (failing) Begin(context.Context, string, idempotency.Fingerprint) (idempotency.Begun, error) {
	return idempotency.Begun{}, errDown
}
func (failing) Complete(context.Context, idempotency.Claim, *idempotency.Response) error {
	return errDown
}
func (failing) Release(context.Context, idempotency.Claim) error { return errDown }

// TestKeeperStoreDown: with the store down, a keyed request is refused
// with 503 and Retry-After, and does not run: running it without a record
// could run it twice.
func TestKeeperStoreDown(t *testing.T) {
	k := idempotency.New(idempotency.Options{Store: failing{}, WriteError: writeError})
	o := serve(k, exchange{key: "k", req: mutation})
	if o.ran || o.status != 503 || o.header.Get("Retry-After") != "1" || o.result != idempotency.Unavailable {
		t.Errorf("store down: %+v", o)
	}
}
