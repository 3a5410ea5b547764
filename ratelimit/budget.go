package ratelimit

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"golang.org/x/time/rate"
)

// Budget is one account's REST budget shared through a Store: every
// replica that takes from the same account's Budget draws on one GCRA in
// Redis. It satisfies platformapi.TokenSource.
//
// When the store is degraded, the budget falls back to a local share of
// it: perSecond / replicas, burst / replicas (at least 1), starting
// empty at each outage (see the package doc for what that guarantees).
type Budget struct {
	store *Store
	key   string
	limit redis_rate.Limit

	sharePerSecond float64
	shareBurst     int

	mu    sync.Mutex
	local *rate.Limiter // the share, while the store is degraded
	epoch uint64        // the store's outage that local was started in
}

// Budget returns the shared budget of account id: perSecond calls with
// burst, for a deployment of replicas replicas (at least 1).
func (s *Store) Budget(id string, perSecond float64, burst, replicas int) *Budget {
	replicas = max(replicas, 1)
	return &Budget{
		store:          s,
		key:            "budget:" + id,
		limit:          gcraLimit(perSecond, burst),
		sharePerSecond: perSecond / float64(replicas),
		shareBurst:     max(burst/replicas, 1),
	}
}

// Take takes one token and returns 0, or takes none and returns how long
// until one may be free. It asks Redis (one round trip, at most the
// store's timeout) unless the store is degraded; then, or when Redis fails
// now, it takes from the local share instead. Its only error is ctx's,
// when ctx ends while Redis is asked: Redis being down fails no call.
func (b *Budget) Take(ctx context.Context) (time.Duration, error) {
	res, err := b.store.allow(ctx, b.key, b.limit, 1)
	if err == nil {
		if res.Allowed > 0 {
			return 0, nil
		}
		// A microsecond more, so that the caller never wakes just before
		// the token, and never gets 0 for "wait".
		return max(res.RetryAfter, 0) + time.Microsecond, nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return 0, ctxErr
	}
	return b.takeLocal(), nil
}

// takeLocal takes from the local share, as the platformapi in-process
// bucket does.
func (b *Budget) takeLocal() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	if epoch := b.store.epoch.Load(); b.local == nil || b.epoch != epoch {
		// A new outage: start empty, since the replicas spent the shared
		// budget until a moment ago.
		b.local = rate.NewLimiter(rate.Limit(b.sharePerSecond), b.shareBurst)
		b.local.AllowN(now, b.shareBurst)
		b.epoch = epoch
	}
	if b.local.AllowN(now, 1) {
		return 0
	}
	secs := (1 - b.local.TokensAt(now)) / b.sharePerSecond
	return max(time.Duration(math.Ceil(secs*float64(time.Second))), time.Microsecond)
}
