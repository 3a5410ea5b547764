package resolver

import (
	"context"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/sync/singleflight"
)

// The spaces fields answer from the gateway's configuration and make no
// REST call, so on a passthrough space, where the gateway admits any
// bearer token and leaves judging it to the REST API, nothing would judge
// it: anyone who knows the space's guid would read its configuration. They
// make one call first, CheckCredentials with the request's credentials,
// and fail as any field fails whose REST call is refused (a REST 401:
// "Downstream Execution Error: Unauthorized", code UNAUTHORIZED; the
// gateway then remembers the token as refused, as for any REST 401).
//
// A success is remembered for verifiedTTL, by the key Unverified gives
// (a hash of the token and account), for at most verifiedMax tokens, so
// that a client asking for its spaces again and again costs one call per
// verifiedTTL; a token revoked meanwhile still reads the configuration
// that long, as it may still read anything else until its next REST call.
// A failure is not remembered here.
const (
	verifiedTTL = 30 * time.Second
	verifiedMax = 10000
)

// verifiedSet is the credentials CheckCredentials accepted lately, each
// until its expiry. Checks of one key at once share one call: the spaces
// fields of one request run concurrently. (golang-lru's expirable cache
// would expire entries itself, with a goroutine that runs for ever: a
// resolver leaves nothing running.)
type verifiedSet struct {
	until    *lru.Cache[[32]byte, time.Time]
	now      func() time.Time
	checking singleflight.Group
}

func newVerifiedSet() *verifiedSet {
	c, _ := lru.New[[32]byte, time.Time](verifiedMax) // only a size below 1 fails
	return &verifiedSet{until: c, now: time.Now}
}

func (v *verifiedSet) add(key [32]byte) { v.until.Add(key, v.now().Add(verifiedTTL)) }

func (v *verifiedSet) has(key [32]byte) bool {
	until, ok := v.until.Get(key)
	if ok && !v.now().Before(until) {
		v.until.Remove(key)
		return false
	}
	return ok
}

// checkUnverified returns nil when the request's credentials are checked
// already (the gateway's own client tokens and JWTs) or a REST call
// accepted them lately, else makes that call (see verifiedSet).
func (r *Resolver) checkUnverified(ctx context.Context, dir SpaceDirectory) error {
	key, unverified := dir.Unverified(ctx)
	if !unverified || r.verified.has(key) {
		return nil
	}
	callCtx, acct, err := account(ctx)
	if err != nil {
		return err
	}
	_, err, _ = r.verified.checking.Do(string(key[:]), func() (any, error) {
		if err := r.platform.CheckCredentials(callCtx, acct); err != nil {
			return nil, err
		}
		r.verified.add(key)
		return nil, nil
	})
	if err != nil {
		return fromPlatform(err)
	}
	return nil
}
