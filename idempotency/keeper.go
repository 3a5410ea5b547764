package idempotency

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/ipack-gateway/ipack-gateway/errcode"
)

// Options configure a Keeper.
type Options struct {
	// Store keeps the records. Required.
	Store Store
	// MaxResponseBytes bounds the body recorded; a larger response is
	// recorded as an error that says so (see Serve). Default 1 MiB.
	MaxResponseBytes int
	// WriteError answers the Keeper's own errors (400, 409, 422, 500,
	// 503) in the caller's error shape. Required.
	WriteError func(http.ResponseWriter, *errcode.Error)
	// Logger gets a warning when a store fails; never a key, a body or a
	// response. Default: discard.
	Logger *slog.Logger
}

// Keeper runs requests once per key (see the package documentation).
type Keeper struct {
	opts Options
}

// New returns a Keeper for o.
func New(o Options) *Keeper {
	if o.MaxResponseBytes <= 0 {
		o.MaxResponseBytes = DefaultMaxResponse
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Keeper{opts: o}
}

// Result is what Serve did, for logs and metrics.
type Result uint8

const (
	// Executed: the request ran and its response was recorded.
	Executed Result = iota
	// Refused: the request was refused before it ran (run returned false)
	// or the key was malformed; nothing was recorded.
	Refused
	// Replayed: answered from the record.
	Replayed
	// Conflict: the same request is running (409).
	Conflict
	// KeyReused: the key's record is of another request (422).
	KeyReused
	// Unknown: the record's request stopped without an answer (500).
	Unknown
	// Unavailable: the store did not answer; nothing ran (503).
	Unavailable
)

// String names r, as logs show it.
func (r Result) String() string {
	return [...]string{"executed", "refused", "replayed", "conflict", "key_reused", "unknown", "unavailable"}[r]
}

// Serve answers r, whose Idempotency-Key header is set (see Requested),
// once per key within scope. When the key has no record, run writes the
// request's response to the writer it is given (which keeps it) and
// reports whether the request ran: true records the response, false (a
// refusal before anything ran) does not and frees the key. The response
// is recorded before it is written to w, so that a client that reads it
// can count on a repeat being answered the same.
func (k *Keeper) Serve(w http.ResponseWriter, r *http.Request, scope Scope, req Request, run func(http.ResponseWriter) bool) Result {
	key, err := ParseKey(r.Header.Values(Header))
	if err != nil {
		k.opts.WriteError(w, errcode.New(errcode.BadRequest, err.Error()))
		return Refused
	}
	fp, err := req.Fingerprint()
	if err != nil {
		// The gateway decoded the variables already; a fingerprint that
		// fails is a bug, and nothing has run.
		k.opts.WriteError(w, &errcode.Error{Code: errcode.GenericSystemError, Message: "Internal error: the request could not be fingerprinted", Err: err})
		return Refused
	}
	ctx := r.Context()
	begun, err := k.opts.Store.Begin(ctx, scope.ID(key), fp)
	if err != nil {
		k.opts.Logger.LogAttrs(ctx, slog.LevelWarn, "idempotency store failed: request refused", slog.String("space", scope.Space), slog.String("err", err.Error()))
		w.Header().Set("Retry-After", "1")
		k.opts.WriteError(w, errcode.New(errcode.Unavailable, "The store of idempotency keys does not answer; nothing was done: try again"))
		return Unavailable
	}
	switch begun.State {
	case Answered:
		replay(w, begun.Response)
		return Replayed
	case Running:
		w.Header().Set("Retry-After", "1")
		k.opts.WriteError(w, errcode.New(errcode.IdempotencyKeyInUse, "A request with this Idempotency-Key is still running; try again when it has answered"))
		return Conflict
	case Mismatch:
		k.opts.WriteError(w, errcode.New(errcode.IdempotencyKeyReused, "This Idempotency-Key was used with another request (query, operationName or variables); use a new key for a new request"))
		return KeyReused
	case Abandoned:
		k.opts.WriteError(w, errcode.New(errcode.GenericSystemError,
			"The request with this Idempotency-Key stopped before it answered (the gateway that ran it stopped); what it did is not known: check before sending it again with a new key").
			With("outcome", "unknown"))
		return Unknown
	}
	return k.run(ctx, w, scope, begun.Claim, run)
}

// run runs the request of a claim and records its response.
func (k *Keeper) run(ctx context.Context, w http.ResponseWriter, scope Scope, c Claim, run func(http.ResponseWriter) bool) Result {
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	// The record is written whatever happens to the request: a client
	// gone, a deadline passed, a shutdown. Bounded by the store's own
	// timeout.
	sctx := context.WithoutCancel(ctx)
	settled := false
	defer func() {
		if !settled {
			// run panicked: what it did is not known. The panic goes on
			// to the caller's recoverer, which answers this request.
			k.complete(sctx, scope, c, k.unknown())
		}
	}()
	ran := run(rec)
	settled = true
	if !ran {
		if err := k.opts.Store.Release(sctx, c); err != nil {
			// The key stays claimed until its lock times out: a retry gets
			// 409, then "unknown". Rare, and never a second execution.
			k.opts.Logger.LogAttrs(ctx, slog.LevelWarn, "idempotency store failed to release a key", slog.String("space", scope.Space), slog.String("err", err.Error()))
		}
		rec.writeTo(w)
		return Refused
	}
	k.complete(sctx, scope, c, k.recorded(rec))
	rec.writeTo(w)
	return Executed
}

// complete records resp, trying twice: a record lost leaves the key
// claimed, and a repeat would be told the outcome is unknown although it
// was answered.
func (k *Keeper) complete(ctx context.Context, scope Scope, c Claim, resp *Response) {
	var err error
	for range 2 {
		if err = k.opts.Store.Complete(ctx, c, resp); err == nil || err == ErrNotHeld {
			break
		}
	}
	if err != nil {
		k.opts.Logger.LogAttrs(ctx, slog.LevelWarn, "idempotency store failed to record a response", slog.String("space", scope.Space), slog.String("err", err.Error()))
	}
}

// recorded is the record of rec: its status, recorded headers and body,
// or, past MaxResponseBytes, an error that says the request ran.
func (k *Keeper) recorded(rec *recorder) *Response {
	if rec.body.Len() > k.opts.MaxResponseBytes {
		return k.errorResponse(errcode.New(errcode.IdempotentResponseNotKept, fmt.Sprintf(
			"The request with this Idempotency-Key was carried out, but its response (%d bytes) was larger than the %d bytes kept; read the state back instead of sending it again",
			rec.body.Len(), k.opts.MaxResponseBytes)))
	}
	resp := &Response{Status: rec.status, Header: http.Header{}, Body: bytes.Clone(rec.body.Bytes())}
	for _, h := range RecordedHeaders {
		if v := rec.header.Values(h); len(v) > 0 {
			resp.Header[h] = v
		}
	}
	return resp
}

// unknown is the record of a request that panicked.
func (k *Keeper) unknown() *Response {
	return k.errorResponse(errcode.New(errcode.GenericSystemError,
		"The request with this Idempotency-Key failed with an internal error; what it did is not known: check before sending it again with a new key").
		With("outcome", "unknown"))
}

// errorResponse is e's response, as WriteError writes it.
func (k *Keeper) errorResponse(e *errcode.Error) *Response {
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	k.opts.WriteError(rec, e)
	return &Response{Status: rec.status, Header: http.Header{"Content-Type": rec.header.Values("Content-Type")}, Body: rec.body.Bytes()}
}

// replay writes a recorded response.
func replay(w http.ResponseWriter, resp *Response) {
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.Header().Set(ReplayedHeader, "true")
	w.WriteHeader(resp.Status)
	_, _ = w.Write(resp.Body)
}

// recorder keeps a response, to record it before it is sent.
type recorder struct {
	header http.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if !r.wrote {
		r.status, r.wrote = status, true
	}
}

func (r *recorder) Write(p []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(p)
}

// writeTo sends the kept response to w.
func (r *recorder) writeTo(w http.ResponseWriter) {
	for k, v := range r.header {
		w.Header()[k] = v
	}
	w.WriteHeader(r.status)
	_, _ = w.Write(r.body.Bytes())
}

// LogValue keeps a Response's body out of slog.
func (r *Response) LogValue() slog.Value {
	return slog.StringValue(fmt.Sprintf("[response: %d, %d bytes]", r.Status, len(r.Body)))
}
