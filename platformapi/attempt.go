package platformapi

import "context"

// Attempt returns which try of a Client call a request's context belongs
// to: 1 for the first, 2 for the first retry, and so on; 0 when ctx is not
// the context of a Client call. A Transport passed in Options sees every
// attempt with its call's context, so it can count retries without the
// client sending anything extra upstream.
func Attempt(ctx context.Context) int {
	st := stateFrom(ctx)
	if st == nil {
		return 0
	}
	// CheckRetry counts an attempt once it is over, on the caller's
	// goroutine, before the next one starts: no lock is needed.
	return st.attempts + 1
}
