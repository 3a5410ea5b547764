package idempotency

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisOptions configure NewRedis. Zero fields take the defaults, but for
// KeyPrefix.
type RedisOptions struct {
	// KeyPrefix starts every key, then "idem:" and the record's id; the
	// replicas that share records must share it.
	KeyPrefix string
	// Retention is how long an answer is kept after its request answered.
	Retention time.Duration
	// LockTimeout is how long a request may run before a repeat takes it
	// for abandoned (see Abandoned): longer than any request can take.
	LockTimeout time.Duration
	// Timeout bounds each command. Default 1 s.
	Timeout time.Duration
}

// Redis keeps records in Redis, where every replica sees them: one hash
// per record, which expires with it. Each operation is one script, so it
// is atomic across replicas; ages are measured by Redis's own clock, so
// the replicas' clocks do not matter. It is safe for concurrent use.
type Redis struct {
	rdb  redis.UniversalClient
	opts RedisOptions
}

// NewRedis returns a store on rdb, which the caller owns (and closes).
func NewRedis(rdb redis.UniversalClient, o RedisOptions) *Redis {
	if o.Retention <= 0 {
		o.Retention = DefaultRetention
	}
	if o.LockTimeout <= 0 {
		o.LockTimeout = time.Hour
	}
	if o.Timeout <= 0 {
		o.Timeout = time.Second
	}
	return &Redis{rdb: rdb, opts: o}
}

// The scripts. A record is a hash: fp (the request's fingerprint), token
// and started (Redis's clock, in ms) while it runs, status, header (JSON)
// and body once it answered.
var (
	// beginScript: KEYS[1] the record; ARGV fingerprint, token, lifetime
	// of a running record in ms. It returns the record's fp, status,
	// header, body and age in ms, or nil after it made a running record.
	// (replicate_commands lets a script write after reading TIME on
	// Redis before 5; later ones do so always, as redis_rate relies on.)
	beginScript = redis.NewScript(`
redis.replicate_commands()
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local v = redis.call('HMGET', KEYS[1], 'fp', 'status', 'header', 'body', 'started')
if v[1] then
  local age = 0
  if v[5] then age = now - tonumber(v[5]) end
  return {v[1], v[2], v[3], v[4], age}
end
redis.call('HSET', KEYS[1], 'fp', ARGV[1], 'token', ARGV[2], 'started', now)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return false
`)
	// completeScript: KEYS[1] the record; ARGV token, status, header,
	// body, retention in ms. 1 when recorded, 0 when the token is not the
	// record's.
	completeScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'header', ARGV[3], 'body', ARGV[4])
redis.call('HDEL', KEYS[1], 'token', 'started')
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
`)
	// releaseScript: KEYS[1] the record; ARGV token. Deletes a record the
	// token holds.
	releaseScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'token') == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`)
)

func (s *Redis) key(id string) string { return s.opts.KeyPrefix + "idem:" + id }

// Begin implements Store.
func (s *Redis) Begin(ctx context.Context, id string, fp Fingerprint) (Begun, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	c := newClaim(id)
	lifetime := (s.opts.LockTimeout + s.opts.Retention).Milliseconds()
	v, err := beginScript.Run(ctx, s.rdb, []string{s.key(id)}, fp[:], c.token, lifetime).Slice()
	if errors.Is(err, redis.Nil) {
		return Begun{State: Acquired, Claim: c}, nil
	}
	if err != nil {
		return Begun{}, fmt.Errorf("idempotency: redis: %w", err)
	}
	if len(v) != 5 {
		return Begun{}, fmt.Errorf("idempotency: redis: the record has %d fields, want 5", len(v))
	}
	str := func(x any) (string, bool) { s, ok := x.(string); return s, ok }
	got, _ := str(v[0])
	if got != string(fp[:]) {
		return Begun{State: Mismatch}, nil
	}
	status, answered := str(v[1])
	if !answered {
		age, _ := v[4].(int64)
		if time.Duration(age)*time.Millisecond > s.opts.LockTimeout {
			return Begun{State: Abandoned}, nil
		}
		return Begun{State: Running}, nil
	}
	resp := &Response{Header: http.Header{}}
	if resp.Status, err = strconv.Atoi(status); err != nil {
		return Begun{}, fmt.Errorf("idempotency: redis: a record's status is not a number")
	}
	header, _ := str(v[2])
	if err := json.Unmarshal([]byte(header), &resp.Header); err != nil {
		return Begun{}, fmt.Errorf("idempotency: redis: a record's header is not JSON")
	}
	body, _ := str(v[3])
	resp.Body = []byte(body)
	return Begun{State: Answered, Response: resp}, nil
}

// Complete implements Store.
func (s *Redis) Complete(ctx context.Context, c Claim, resp *Response) error {
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	header, err := json.Marshal(resp.Header)
	if err != nil {
		return fmt.Errorf("idempotency: %w", err)
	}
	n, err := completeScript.Run(ctx, s.rdb, []string{s.key(c.id)}, c.token, resp.Status, header, resp.Body, s.opts.Retention.Milliseconds()).Int()
	switch {
	case err != nil:
		return fmt.Errorf("idempotency: redis: %w", err)
	case n == 0:
		return ErrNotHeld
	}
	return nil
}

// Release implements Store.
func (s *Redis) Release(ctx context.Context, c Claim) error {
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	if err := releaseScript.Run(ctx, s.rdb, []string{s.key(c.id)}, c.token).Err(); err != nil {
		return fmt.Errorf("idempotency: redis: %w", err)
	}
	return nil
}
