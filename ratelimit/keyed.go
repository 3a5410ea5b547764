package ratelimit

import (
	"context"
	"encoding/hex"
	"time"

	"github.com/go-redis/redis_rate/v10"
	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"
)

// Key names a client to a Keyed limit: a SHA-256 of its token or address,
// never the token itself.
type Key = [32]byte

// Keyed limits events per client: the gateway's inbound request limit and
// its failed-authentication throttle. Implementations are safe for
// concurrent use and never block for long (Redis's are bounded by the
// store's timeout).
type Keyed interface {
	// Allow takes one event of key's allowance, or none and reports how
	// long until one is free. A refusal uses nothing up.
	Allow(ctx context.Context, key Key) (ok bool, retryAfter time.Duration)
	// Exhausted reports whether key has used up its allowance, and if so,
	// how long until it has some again; it uses none.
	Exhausted(ctx context.Context, key Key) (bool, time.Duration)
	// Charge uses one event of key's allowance, if it has one.
	Charge(ctx context.Context, key Key)
}

// NewMemory returns a Keyed limit in this process's memory: perSecond
// events per key with burst, for the 10,000 keys seen most recently (a
// forgotten one starts afresh). perSecond ≤ 0 returns nil, no limit: a nil
// *Memory allows everything.
func NewMemory(perSecond float64, burst int) *Memory {
	if perSecond <= 0 {
		return nil
	}
	c, _ := lru.New[Key, *rate.Limiter](10000)
	return &Memory{perSecond: rate.Limit(perSecond), burst: max(burst, 1), limiters: c}
}

// Memory is the in-process Keyed limit (NewMemory).
type Memory struct {
	perSecond rate.Limit
	burst     int
	limiters  *lru.Cache[Key, *rate.Limiter]
}

// Allow implements Keyed.
func (m *Memory) Allow(_ context.Context, key Key) (bool, time.Duration) {
	if m == nil {
		return true, 0
	}
	r := m.limiter(key).Reserve()
	if d := r.Delay(); d > 0 {
		r.Cancel() // refused events do not use up the allowance
		return false, d
	}
	return true, 0
}

// Exhausted implements Keyed.
func (m *Memory) Exhausted(_ context.Context, key Key) (bool, time.Duration) {
	if m == nil {
		return false, 0
	}
	lim, ok := m.limiters.Get(key)
	if !ok {
		return false, 0
	}
	if t := lim.Tokens(); t < 1 {
		return true, time.Duration((1 - t) / float64(m.perSecond) * float64(time.Second))
	}
	return false, 0
}

// Charge implements Keyed.
func (m *Memory) Charge(_ context.Context, key Key) {
	if m != nil {
		m.limiter(key).Allow()
	}
}

func (m *Memory) limiter(key Key) *rate.Limiter {
	lim, ok := m.limiters.Get(key)
	if !ok {
		lim = rate.NewLimiter(m.perSecond, m.burst)
		if prev, found, _ := m.limiters.PeekOrAdd(key, lim); found {
			lim = prev
		}
	}
	return lim
}

// Keyed returns a Keyed limit in the store, named name (its keys'
// prefix, after the store's): perSecond events per key with burst, for
// the whole deployment. While the store is degraded, fallback (nil: no
// limit) decides instead.
func (s *Store) Keyed(name string, perSecond float64, burst int, fallback Keyed) Keyed {
	if fallback == nil {
		fallback = (*Memory)(nil)
	}
	return &redisKeyed{store: s, name: name + ":", limit: gcraLimit(perSecond, burst), fallback: fallback}
}

type redisKeyed struct {
	store    *Store
	name     string
	limit    redis_rate.Limit
	fallback Keyed
}

func (k *redisKeyed) key(key Key) string {
	var buf [2 * len(Key{})]byte
	hex.Encode(buf[:], key[:])
	return k.name + string(buf[:])
}

func (k *redisKeyed) Allow(ctx context.Context, key Key) (bool, time.Duration) {
	res, err := k.store.allow(ctx, k.key(key), k.limit, 1)
	if err != nil {
		return k.fallback.Allow(ctx, key)
	}
	if res.Allowed > 0 {
		return true, 0
	}
	return false, max(res.RetryAfter, time.Microsecond)
}

// Exhausted reads key's GCRA without taking from it (n = 0): its reset
// time less burst-1 intervals is when one event is free again.
func (k *redisKeyed) Exhausted(ctx context.Context, key Key) (bool, time.Duration) {
	res, err := k.store.allow(ctx, k.key(key), k.limit, 0)
	if err != nil {
		return k.fallback.Exhausted(ctx, key)
	}
	if wait := res.ResetAfter - time.Duration(k.limit.Burst-1)*interval(k.limit); wait > 0 {
		return true, wait
	}
	return false, 0
}

func (k *redisKeyed) Charge(ctx context.Context, key Key) {
	// A charge is for something that happened: a client that leaves at
	// once must not take it back.
	ctx = context.WithoutCancel(ctx)
	if _, err := k.store.allow(ctx, k.key(key), k.limit, 1); err != nil {
		k.fallback.Charge(ctx, key)
	}
}
