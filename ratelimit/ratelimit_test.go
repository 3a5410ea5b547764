package ratelimit_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipack-gateway/ipack-gateway/internal/testutil"
	"github.com/ipack-gateway/ipack-gateway/ratelimit"
	"github.com/ipack-gateway/ipack-gateway/ratelimit/redistest"
)

// changes records the states a store reports through OnChange.
type changes struct {
	mu     sync.Mutex
	states []bool
}

func (c *changes) add(degraded bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.states = append(c.states, degraded)
}

func (c *changes) get() []bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]bool(nil), c.states...)
}

// open opens a store on srv with a short probe interval, as one replica.
// Its timeout is long: a loaded test machine must not make Redis look
// down where a test does not mean it to be.
func open(t *testing.T, srv *redistest.Server, mod func(*ratelimit.Options)) *ratelimit.Store {
	t.Helper()
	opts := ratelimit.DefaultOptions()
	opts.URL, opts.KeyPrefix, opts.Timeout, opts.ProbeInterval = srv.URL(), "test:", 2*time.Second, 20*time.Millisecond
	if mod != nil {
		mod(&opts)
	}
	s, err := ratelimit.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// withURL is DefaultOptions with url.
func withURL(url string) ratelimit.Options {
	o := ratelimit.DefaultOptions()
	o.URL = url
	return o
}

// waitFor is testutil.Eventually: cond polled for at most 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testutil.Eventually(t, what, cond)
}

// A budget so slow that nothing refills during the test (one token per
// 1,000 s) with a burst of 5: two replicas together get 5 tokens, not 10.
func TestBudgetIsSharedAcrossReplicas(t *testing.T) {
	srv := redistest.New(t)
	a := open(t, srv, nil).Budget("acct", 0.001, 5, 2)
	b := open(t, srv, nil).Budget("acct", 0.001, 5, 2)
	ctx := context.Background()
	granted := 0
	for i := range 10 {
		src := a
		if i%2 == 1 {
			src = b
		}
		wait, err := src.Take(ctx)
		if err != nil {
			t.Fatalf("Take %d: %v", i, err)
		}
		if wait == 0 {
			granted++
		} else if wait < 900*time.Second {
			// The next token is 1,000 s after the first grant.
			t.Errorf("Take %d: wait %v, want about 1,000 s", i, wait)
		}
	}
	if granted != 5 {
		t.Errorf("two replicas were granted %d tokens, want the burst, 5", granted)
	}
	// Another account has its own budget.
	if wait, err := open(t, srv, nil).Budget("other", 0.001, 5, 2).Take(ctx); err != nil || wait != 0 {
		t.Errorf("another account's Take = %v, %v; want 0, nil", wait, err)
	}
}

// Redis killed: Take fails nothing and keeps to the local share, the
// store says degraded once (log and OnChange), and when Redis is back
// (empty) the store and the budget use it again by themselves.
func TestBudgetFallsBackAndRecovers(t *testing.T) {
	srv := redistest.New(t)
	var logs testutil.SyncBuffer
	var ch changes
	st := open(t, srv, func(o *ratelimit.Options) {
		o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		o.OnChange = ch.add
	})
	// 10/s for 4 replicas: a share of 2.5/s, one token per 400 ms.
	bud := st.Budget("acct", 10, 1, 4)
	ctx := context.Background()
	if wait, err := bud.Take(ctx); err != nil || wait != 0 {
		t.Fatalf("first Take = %v, %v; want 0, nil", wait, err)
	}

	srv.Kill()
	wait, err := bud.Take(ctx)
	if err != nil {
		t.Fatalf("Take with Redis down: %v, want no error", err)
	}
	if !st.Degraded() {
		t.Fatal("store not degraded after Redis was killed")
	}
	// The share starts empty: the first local token is 400 ms away.
	if wait <= 0 || wait > 400*time.Millisecond {
		t.Errorf("first local Take: wait %v, want in (0, 400ms]", wait)
	}
	// Degraded, the next Takes do not ask Redis: they answer from the
	// share and never fail, however many.
	for i := range 100 {
		if _, err := bud.Take(ctx); err != nil {
			t.Fatalf("local Take %d: %v", i, err)
		}
	}
	if n := strings.Count(logs.String(), "does not answer"); n != 1 {
		t.Errorf("%d log lines say Redis is down, want 1:\n%s", n, logs.String())
	}

	srv.Restart(t)
	waitFor(t, "store healthy again", func() bool { return !st.Degraded() })
	if got := ch.get(); len(got) != 2 || !got[0] || got[1] {
		t.Errorf("OnChange got %v, want [true false]", got)
	}
	if n := strings.Count(logs.String(), "answers again"); n != 1 {
		t.Errorf("%d log lines say Redis is back, want 1:\n%s", n, logs.String())
	}
	if wait, err := bud.Take(ctx); err != nil || wait != 0 {
		t.Fatalf("Take after recovery = %v, %v; want 0, nil (an empty Redis is a full budget)", wait, err)
	}
	if got, err := srv.Do("EXISTS", "rate:test:budget:acct"); err != nil || got != ":1" {
		t.Errorf("EXISTS of the budget's key after recovery = %q, %v; want :1 (the budget is in Redis again)", got, err)
	}
}

// A Redis that stops answering (frozen, as a stalled server or a lossy
// network) costs one Take at most the store's timeout, then none.
func TestBudgetDoesNotWaitForASlowRedis(t *testing.T) {
	srv := redistest.New(t)
	st := open(t, srv, func(o *ratelimit.Options) { o.Timeout = 100 * time.Millisecond })
	bud := st.Budget("acct", 10, 1, 2)
	ctx := context.Background()
	if _, err := bud.Take(ctx); err != nil {
		t.Fatal(err)
	}
	srv.Freeze()
	defer srv.Thaw()
	start := time.Now()
	if _, err := bud.Take(ctx); err != nil {
		t.Fatalf("Take with Redis frozen: %v, want no error", err)
	}
	// Bounded, not timed: 100 ms of timeout (and one retry within it)
	// cannot take 3 s unless the bound does not hold.
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Take with Redis frozen took %v, want about the 100 ms timeout", d)
	}
	if !st.Degraded() {
		t.Error("store not degraded with Redis frozen")
	}
	srv.Thaw()
	waitFor(t, "store healthy after the thaw", func() bool { return !st.Degraded() })
}

// A caller whose context ends while Redis is asked gets its context's
// error: the call fails for its deadline, not for Redis, and the store
// stays healthy.
func TestBudgetTakeWithEndedContext(t *testing.T) {
	srv := redistest.New(t)
	st := open(t, srv, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := st.Budget("acct", 10, 1, 1).Take(ctx); err == nil {
		t.Error("Take with an ended context: no error")
	}
	if st.Degraded() {
		t.Error("a caller's cancelled context made the store degraded")
	}
}

// Redis emptied while running (FLUSHALL and SCRIPT FLUSH, as a restart
// without persistence leaves it): the script is loaded again and the
// budget starts full, with no error and no degraded state.
func TestBudgetSurvivesAnEmptiedRedis(t *testing.T) {
	srv := redistest.New(t)
	st := open(t, srv, nil)
	bud := st.Budget("acct", 0.001, 1, 1)
	ctx := context.Background()
	if wait, err := bud.Take(ctx); err != nil || wait != 0 {
		t.Fatalf("Take = %v, %v", wait, err)
	}
	if wait, _ := bud.Take(ctx); wait == 0 {
		t.Fatal("second Take granted: the burst is 1")
	}
	for _, cmd := range [][]string{{"FLUSHALL"}, {"SCRIPT", "FLUSH"}} {
		if _, err := srv.Do(cmd...); err != nil {
			t.Fatal(err)
		}
	}
	if wait, err := bud.Take(ctx); err != nil || wait != 0 {
		t.Errorf("Take after FLUSHALL and SCRIPT FLUSH = %v, %v; want 0, nil", wait, err)
	}
	if st.Degraded() {
		t.Error("store degraded by an emptied Redis")
	}
}

// The Keyed limits in Redis and in memory answer alike, and Redis's are
// one limit for every replica.
func TestKeyedRedisAndMemoryAgree(t *testing.T) {
	srv := redistest.New(t)
	r1, r2 := open(t, srv, nil), open(t, srv, nil)
	// Burst 3, one event per 1,000 s: nothing refills during the test.
	const perSecond, burst = 0.001, 3
	impls := []struct {
		name string
		a, b ratelimit.Keyed // two replicas
	}{
		{"memory", ratelimit.NewMemory(perSecond, burst), nil},
		{"redis", r1.Keyed("clients", perSecond, burst, nil), r2.Keyed("clients", perSecond, burst, nil)},
	}
	ctx := context.Background()
	key, other := ratelimit.Key{1}, ratelimit.Key{2}
	for _, im := range impls {
		t.Run(im.name, func(t *testing.T) {
			b := im.b
			if b == nil {
				b = im.a // one process: the same limit
			}
			if ex, _ := im.a.Exhausted(ctx, key); ex {
				t.Fatal("Exhausted of a fresh key = true")
			}
			im.a.Charge(ctx, key)
			b.Charge(ctx, key)
			if ex, _ := b.Exhausted(ctx, key); ex {
				t.Fatal("Exhausted after 2 of 3 = true")
			}
			if ok, _ := im.a.Allow(ctx, key); !ok {
				t.Fatal("Allow of the third = false")
			}
			ex, wait := b.Exhausted(ctx, key)
			if !ex || wait < 900*time.Second {
				t.Errorf("Exhausted after 3 of 3 = %v, %v; want true, about 1,000 s", ex, wait)
			}
			ok, wait := b.Allow(ctx, key)
			if ok || wait < 900*time.Second {
				t.Errorf("Allow past the burst = %v, %v; want false, about 1,000 s", ok, wait)
			}
			b.Charge(ctx, key) // nothing left to charge
			if ok, _ := im.a.Allow(ctx, other); !ok {
				t.Error("another key shares the first one's limit")
			}
		})
	}
}

// A degraded store's Keyed limits answer from their fallback.
func TestKeyedFallsBack(t *testing.T) {
	srv := redistest.New(t)
	st := open(t, srv, nil)
	fallback := ratelimit.NewMemory(0.001, 1)
	k := st.Keyed("auth", 0.001, 5, fallback)
	ctx := context.Background()
	srv.Kill()
	key := ratelimit.Key{7}
	// Redis's limit would allow 5; the fallback allows 1.
	if ok, _ := k.Allow(ctx, key); !ok {
		t.Fatal("first Allow with Redis down = false")
	}
	if ok, _ := k.Allow(ctx, key); ok {
		t.Error("second Allow with Redis down = true, want the fallback's burst of 1 to hold")
	}
	if ex, _ := k.Exhausted(ctx, key); !ex {
		t.Error("Exhausted with Redis down = false, want the fallback's answer")
	}
}

// A password in redis.url never shows in an error or a log line.
func TestPasswordNeverShown(t *testing.T) {
	const secret = "s3cret-Pa55"
	for _, u := range []string{
		"redis://user:" + secret + "@127.0.0.1:6379/notanumber",
		"http://user:" + secret + "@127.0.0.1:6379/0",
		"redis://user:" + secret + "@127.0.0.1:6379/0?dial_timeout=soon",
		"redis://user:" + secret + "@[::1/0",
		"redis://user:" + secret + "@127.0.0.1:6379/0/1",
	} {
		_, err := ratelimit.Open(withURL(u))
		if err == nil {
			t.Errorf("Open(%q) = nil error", strings.ReplaceAll(u, secret, "…"))
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("Open error shows the password: %v", err)
		}
	}
	// A server that refuses the password: the degraded log line.
	srv := redistest.New(t)
	var logs testutil.SyncBuffer
	opts := ratelimit.DefaultOptions()
	opts.URL, opts.Timeout, opts.Logger = "redis://user:"+secret+"@"+srv.Addr+"/0", 2*time.Second, slog.New(slog.NewTextHandler(&logs, nil))
	st, err := ratelimit.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Budget("acct", 10, 1, 1).Take(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !st.Degraded() {
		t.Fatal("store healthy with credentials Redis refuses")
	}
	if s := logs.String(); strings.Contains(s, secret) || !strings.Contains(s, "does not answer") {
		t.Errorf("log = %q; want the degraded line without the password", s)
	}
}

// onMessage is a slog handler that runs do, once, when a record whose
// message contains msg is logged: a test's hook into the moment a store
// logs a state change.
type onMessage struct {
	slog.Handler
	msg  string
	once sync.Once
	do   func()
}

func (h *onMessage) Enabled(context.Context, slog.Level) bool { return true }

func (h *onMessage) Handle(ctx context.Context, r slog.Record) error {
	if strings.Contains(r.Message, h.msg) {
		h.once.Do(h.do)
	}
	return h.Handler.Handle(ctx, r)
}

// Redis fails again just as the store recovers (here: while the store
// logs that Redis answers again, between the recovery and its report):
// the last state OnChange reports must be the store's state, or the
// degraded gauge reads 0 through a whole outage.
func TestOnChangeEndsOnTheStoresState(t *testing.T) {
	srv := redistest.New(t)
	var ch changes
	var st *ratelimit.Store
	ctx := context.Background()
	// The probe can find the restarted Redis before Restart has seen it
	// answer; killing it then would fail Restart. The hook waits for it.
	restarted := make(chan struct{})
	hook := &onMessage{Handler: slog.DiscardHandler, msg: "answers again", do: func() {
		<-restarted
		srv.Kill()
		if _, err := st.Budget("acct", 10, 1, 1).Take(ctx); err != nil {
			t.Errorf("Take with Redis down: %v", err)
		}
	}}
	st = open(t, srv, func(o *ratelimit.Options) {
		o.Logger = slog.New(hook)
		o.OnChange = ch.add
	})
	srv.Kill()
	if _, err := st.Budget("acct", 10, 1, 1).Take(ctx); err != nil {
		t.Fatal(err)
	}
	srv.Restart(t)
	close(restarted)
	// Down, up, down again: three reports.
	for i := 0; i < 500 && len(ch.get()) < 3; i++ { // 500 × 20 ms: 10 s at most
		time.Sleep(20 * time.Millisecond)
	}
	if len(ch.get()) < 3 {
		t.Fatalf("state changes %v within 10 s; want three (down, up, down)", ch.get())
	}
	got := ch.get()
	if !st.Degraded() {
		t.Fatal("store healthy after Redis was killed again")
	}
	if last := got[len(got)-1]; last != st.Degraded() {
		t.Errorf("OnChange reported %v, last %v; want the last to be the store's state, %v", got, last, st.Degraded())
	}
}

// A password that holds a character a URL reserves, put in the URL
// unescaped, is cut anywhere (a port, a path, a query, a fragment): no
// piece of it shows in Open's error.
func TestUnescapedPasswordNeverShown(t *testing.T) {
	for _, secret := range []string{"Zq9Kx/Wm3Pv7", "Zq9Kx#Wm3Pv7", "Zq9Kx%zzWm3Pv7", "Zq9Kx?db=Wm3Pv7", "6379/Zq9KxWm3Pv7", "0/Zq9Kx@Wm3Pv7"} {
		for _, u := range []string{"redis://:" + secret + "@redis:6379/0", "redis://user:" + secret + "@redis:6379/0", "rediss://" + secret + "@redis"} {
			_, err := ratelimit.Open(withURL(u))
			if err == nil {
				continue
			}
			for _, piece := range []string{"Zq9Kx", "Wm3Pv7"} {
				if strings.Contains(err.Error(), piece) {
					t.Errorf("Open error shows %q of the password %q: %v", piece, secret, err)
				}
			}
		}
	}
}

// Options.Password is sent as is, whatever it holds, and may not be given
// twice.
func TestOptionsPassword(t *testing.T) {
	srv := redistest.New(t)
	const secret = "p/a#s@s%zz?w=rd"
	if _, err := srv.Do("CONFIG", "SET", "requirepass", secret); err != nil {
		t.Fatal(err)
	}
	st := open(t, srv, func(o *ratelimit.Options) { o.Password = secret })
	if wait, err := st.Budget("acct", 10, 1, 1).Take(context.Background()); err != nil || wait != 0 {
		t.Errorf("Take with the password = %v, %v; want 0, nil", wait, err)
	}
	if st.Degraded() {
		t.Error("store degraded: Redis refused Options.Password")
	}
	opts := withURL("redis://:Zq9Kx@redis:6379/0")
	opts.Password = secret
	_, err := ratelimit.Open(opts)
	if err == nil || strings.Contains(err.Error(), "Zq9Kx") || strings.Contains(err.Error(), secret) {
		t.Errorf("Open with a password in URL and Options = %v, want an error showing neither", err)
	}
}

// The defaults are DefaultOptions'; Open refuses a duration it cannot use
// (0 would time every command out at once, or tick a probe with no
// interval) instead of replacing it with a default of its own.
func TestOpenRefusesZeroDurations(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*ratelimit.Options)
	}{
		{"Timeout", func(o *ratelimit.Options) { o.Timeout = 0 }},
		{"DialTimeout", func(o *ratelimit.Options) { o.DialTimeout = -time.Second }},
		{"ProbeInterval", func(o *ratelimit.Options) { o.ProbeInterval = 0 }},
	} {
		opts := withURL("redis://127.0.0.1:1/0")
		tc.mod(&opts)
		st, err := ratelimit.Open(opts)
		if err == nil {
			_ = st.Close()
			t.Errorf("Open with %s %v = nil error", tc.name, opts)
		} else if !strings.Contains(err.Error(), tc.name) {
			t.Errorf("Open with a bad %s = %v, want an error naming it", tc.name, err)
		}
	}
	st, err := ratelimit.Open(withURL("redis://127.0.0.1:1/0"))
	if err != nil {
		t.Fatalf("Open(DefaultOptions with a URL) = %v", err)
	}
	_ = st.Close()
}
