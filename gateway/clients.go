package gateway

import (
	"math"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"
)

// clientLimiter bounds each client's request rate, keyed by the SHA-256 of
// its bearer token (the token itself is never kept). The most recently
// seen 10,000 clients are remembered; a forgotten one starts afresh.
type clientLimiter struct {
	perSecond rate.Limit
	burst     int
	limiters  *lru.Cache[[32]byte, *rate.Limiter]
}

func newClientLimiter(perSecond float64, burst int) *clientLimiter {
	if perSecond <= 0 {
		return nil
	}
	c, _ := lru.New[[32]byte, *rate.Limiter](10000)
	return &clientLimiter{perSecond: rate.Limit(perSecond), burst: burst, limiters: c}
}

// allow reports whether the client may make a request now, and if not,
// after how long it may.
func (l *clientLimiter) allow(client [32]byte) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	lim, ok := l.limiters.Get(client)
	if !ok {
		lim = rate.NewLimiter(l.perSecond, l.burst)
		if prev, found, _ := l.limiters.PeekOrAdd(client, lim); found {
			lim = prev
		}
	}
	r := lim.Reserve()
	if d := r.Delay(); d > 0 {
		r.Cancel() // refused requests do not use up the budget
		return false, d
	}
	return true, 0
}

// retryAfterSeconds rounds d up to whole seconds for Retry-After.
func retryAfterSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}
