package platformapi

import (
	"context"
	"math"
	"time"

	"golang.org/x/time/rate"
)

// TokenSource is where an account's rate budget gets its tokens: the seam
// between pacing (how many calls may go) and fair queueing (whose call
// goes). The budget asks it only when a call is waiting, and hands the
// token to the call whose turn it is.
//
// The default is an in-process token bucket (NewLimiterSource); a source
// shared by several gateway replicas (GCRA in Redis, say) can replace it
// through Limits.TokenSource without changing the queueing.
type TokenSource interface {
	// Take takes one token and returns 0 when one is available now;
	// otherwise it takes none and returns how long until one may be (more
	// than 0). An error fails the call the token was asked for; the call
	// is not sent. Take must be safe for concurrent use and must not block
	// for long: implementations bound their own I/O.
	Take(ctx context.Context) (wait time.Duration, err error)
}

// NewLimiterSource returns the in-process TokenSource: a token bucket that
// fills at perSecond up to burst (at least 1).
func NewLimiterSource(perSecond float64, burst int) TokenSource {
	return limiterSource{rate.NewLimiter(rate.Limit(perSecond), max(burst, 1))}
}

type limiterSource struct{ lim *rate.Limiter }

func (s limiterSource) Take(context.Context) (time.Duration, error) {
	now := time.Now()
	if s.lim.AllowN(now, 1) {
		return 0, nil
	}
	// Rounded up, so that the caller never wakes just before the token.
	secs := (1 - s.lim.TokensAt(now)) / float64(s.lim.Limit())
	return max(time.Duration(math.Ceil(secs*float64(time.Second))), time.Microsecond), nil
}
