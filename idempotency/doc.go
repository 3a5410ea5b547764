// Package idempotency makes a mutation sent with an Idempotency-Key header
// (the IETF httpapi working group's draft, "The Idempotency-Key HTTP
// Header Field") run once: the first request with a key runs, its response
// is recorded, and a repeat of it is answered from the record without
// running again. A client can then retry a mutation whose answer it lost
// (a timeout, a reset) without installing a pack or starting a process a
// second time.
//
//	store := idempotency.NewMemory(idempotency.MemoryOptions{Retention: 24 * time.Hour, LockTimeout: time.Hour})
//	k := idempotency.New(idempotency.Options{Store: store, WriteError: writeError})
//	if idempotency.Requested(r) {
//		k.Serve(w, r, scope, req, func(w http.ResponseWriter) bool { return runAndWrite(w) })
//	}
//
// A key belongs to a scope (the space and the client that sent it, see
// Scope): another client's use of the same key is another record. The
// record is found by a SHA-256 of the scope and the key, and matched to
// its request by a SHA-256 of the request (Fingerprint: its query,
// operation name and variables). For the first request and each repeat,
// Keeper.Serve answers:
//
//   - no record: the request runs (the caller's run), and its response is
//     recorded when run says it executed, then written. A request refused
//     before it ran (run returns false: a rate limit, a full queue) is
//     written but not recorded, and its claim on the key is dropped, so
//     that the client's retry runs;
//   - a record of the same request, answered: its response (status, body,
//     Content-Type and Retry-After), with Idempotent-Replayed: true;
//   - a record of the same request, still running: 409
//     IDEMPOTENCY_KEY_IN_USE with Retry-After: 1 (the draft's answer; a
//     repeat does not wait, so that it holds no execution turn);
//   - a record of another request: 422 IDEMPOTENCY_KEY_REUSED;
//   - a record whose request stopped without an answer (the replica that
//     ran it died): 500 GENERIC_SYSTEM_ERROR with extensions.outcome
//     "unknown", since what it did cannot be known;
//   - a malformed key: 400 BAD_REQUEST; a store that does not answer (Redis
//     down): 503 SERVICE_UNAVAILABLE with Retry-After: 1, and nothing runs.
//
// Records are kept for the store's retention after the request answered.
// The memory store (NewMemory) bounds its records' count and bytes, and
// drops the oldest answered ones past either; the Redis store (NewRedis)
// is shared by every replica, and Redis's own memory policy bounds it. A
// response's body is recorded up to a bound (Options.MaxResponseBytes);
// a larger one is recorded as an error that says it was carried out but
// not kept.
//
// Keys, request bodies and recorded responses are never logged nor put in
// errors or metrics: a key is stored hashed, and what the package logs
// names only the scope's space.
package idempotency
