package idempotency

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"time"
)

// Response is a recorded answer: what a repeat of its request is answered
// with.
type Response struct {
	Status int
	// Header holds the headers recorded with the answer (see
	// RecordedHeaders).
	Header http.Header
	Body   []byte
}

// RecordedHeaders are the response headers kept with a record: what
// describes the body, and what tells a client when to come back. Others
// (the request id, connection headers) belong to each answer.
var RecordedHeaders = []string{"Content-Type", "Retry-After"}

// size is what r costs a store, about.
func (r *Response) size() int {
	n := len(r.Body) + 64
	for k, vs := range r.Header {
		n += len(k)
		for _, v := range vs {
			n += len(v)
		}
	}
	return n
}

// State is what a store found for a key.
type State uint8

const (
	// Acquired: no record; the caller holds the key now, runs its request
	// and then Completes or Releases the claim.
	Acquired State = iota
	// Answered: the record of the same request, with its response.
	Answered
	// Running: the same request is running, and has been for less than
	// the store's lock timeout.
	Running
	// Mismatch: the key's record is of another request.
	Mismatch
	// Abandoned: the same request started longer ago than the lock timeout
	// and never answered: the process that ran it stopped. What it did is
	// not known.
	Abandoned
)

// Begun is what Store.Begin found.
type Begun struct {
	State State
	// Claim is the caller's hold on the key, when State is Acquired.
	Claim Claim
	// Response is the record's, when State is Answered.
	Response *Response
}

// Claim is a request's hold on its key, from Begin to Complete or Release.
type Claim struct {
	id    string
	token string
}

// newClaim makes a claim on id with a token no other claim has.
func newClaim(id string) Claim {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return Claim{id: id, token: hex.EncodeToString(b[:])}
}

// Store keeps the records. Its methods are safe for concurrent use, by
// every replica of a deployment where the store is shared.
type Store interface {
	// Begin looks id up: with no record it records that a request of
	// fingerprint fp runs, atomically, and returns Acquired; otherwise
	// what the record says of a request of fingerprint fp.
	Begin(ctx context.Context, id string, fp Fingerprint) (Begun, error)
	// Complete records resp as the answer of the claim's request, kept
	// for the store's retention. ErrNotHeld: the claim is gone.
	Complete(ctx context.Context, c Claim, resp *Response) error
	// Release drops the claim and its record: the request did not run.
	Release(ctx context.Context, c Claim) error
}

// ErrNotHeld is Complete's error when the claim's record is gone or
// another's: the request outlived its record's lifetime (lock timeout and
// retention).
var ErrNotHeld = errors.New("idempotency: the claim is no longer held")

// Defaults of the stores' options.
const (
	DefaultRetention   = 24 * time.Hour
	DefaultMaxEntries  = 10000
	DefaultMaxBytes    = 64 << 20
	DefaultMaxResponse = 1 << 20
)
