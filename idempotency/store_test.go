package idempotency_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ipack-gateway/ipack-gateway/idempotency"
	"github.com/ipack-gateway/ipack-gateway/ratelimit/redistest"
)

// storeKit is a store under test, with its clock: advance moves it on by
// d (the memory store's fake clock; real time for Redis, whose own clock
// the scripts read).
type storeKit struct {
	store   idempotency.Store
	advance func(d time.Duration)
}

// Lifetimes of the suite's stores: short, since Redis's run in real time.
const (
	suiteRetention = 300 * time.Millisecond
	suiteLock      = 150 * time.Millisecond
)

func memoryKit(t *testing.T) storeKit {
	var mu sync.Mutex
	now := time.Unix(1_700_000_000, 0)
	m := idempotency.NewMemory(idempotency.MemoryOptions{Retention: suiteRetention, LockTimeout: suiteLock, Now: func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}})
	return storeKit{store: m, advance: func(d time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(d)
	}}
}

func redisKit(t *testing.T) storeKit {
	srv := redistest.New(t) // fails in CI (CI set) without redis-server
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { _ = rdb.Close() })
	s := idempotency.NewRedis(rdb, idempotency.RedisOptions{KeyPrefix: "test:", Retention: suiteRetention, LockTimeout: suiteLock})
	return storeKit{store: s, advance: time.Sleep}
}

// TestStores runs the same cases against both stores.
func TestStores(t *testing.T) {
	for name, kit := range map[string]func(*testing.T) storeKit{"memory": memoryKit, "redis": redisKit} {
		t.Run(name, func(t *testing.T) { storeSuite(t, kit) })
	}
}

func storeSuite(t *testing.T, newKit func(*testing.T) storeKit) {
	ctx := context.Background()
	fpA, fpB := idempotency.Fingerprint{1}, idempotency.Fingerprint{2}
	resp := &idempotency.Response{Status: 200, Header: http.Header{"Content-Type": {"application/json; charset=utf-8"}}, Body: []byte(`{"data":{"x":"\u0000binary\xff"}}`)}
	begin := func(t *testing.T, s idempotency.Store, id string, fp idempotency.Fingerprint) idempotency.Begun {
		t.Helper()
		b, err := s.Begin(ctx, id, fp)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name string
		run  func(t *testing.T, k storeKit)
	}{
		{"first acquires; the same running; another request mismatches", func(t *testing.T, k storeKit) {
			if b := begin(t, k.store, "id1", fpA); b.State != idempotency.Acquired {
				t.Fatalf("first Begin: state %d", b.State)
			}
			if b := begin(t, k.store, "id1", fpA); b.State != idempotency.Running {
				t.Errorf("repeat while running: state %d, want Running", b.State)
			}
			if b := begin(t, k.store, "id1", fpB); b.State != idempotency.Mismatch {
				t.Errorf("another request: state %d, want Mismatch", b.State)
			}
			if b := begin(t, k.store, "id2", fpA); b.State != idempotency.Acquired {
				t.Errorf("another id: state %d, want Acquired", b.State)
			}
		}},
		{"completed: answered, byte for byte; another request still mismatches", func(t *testing.T, k storeKit) {
			b := begin(t, k.store, "id1", fpA)
			if err := k.store.Complete(ctx, b.Claim, resp); err != nil {
				t.Fatal(err)
			}
			got := begin(t, k.store, "id1", fpA)
			if got.State != idempotency.Answered || got.Response.Status != 200 || string(got.Response.Body) != string(resp.Body) ||
				got.Response.Header.Get("Content-Type") != "application/json; charset=utf-8" {
				t.Errorf("after Complete: %+v", got)
			}
			if b := begin(t, k.store, "id1", fpB); b.State != idempotency.Mismatch {
				t.Errorf("another request: state %d, want Mismatch", b.State)
			}
			if err := k.store.Complete(ctx, b.Claim, resp); err != idempotency.ErrNotHeld {
				t.Errorf("second Complete: %v, want ErrNotHeld", err)
			}
		}},
		{"released: the key is free again", func(t *testing.T, k storeKit) {
			b := begin(t, k.store, "id1", fpA)
			if err := k.store.Release(ctx, b.Claim); err != nil {
				t.Fatal(err)
			}
			if b := begin(t, k.store, "id1", fpB); b.State != idempotency.Acquired {
				t.Errorf("after Release: state %d, want Acquired", b.State)
			}
		}},
		{"a stale claim cannot release or complete another's", func(t *testing.T, k storeKit) {
			old := begin(t, k.store, "id1", fpA)
			if err := k.store.Release(ctx, old.Claim); err != nil {
				t.Fatal(err)
			}
			cur := begin(t, k.store, "id1", fpA)
			if err := k.store.Release(ctx, old.Claim); err != nil {
				t.Fatal(err)
			}
			if err := k.store.Complete(ctx, old.Claim, resp); err != idempotency.ErrNotHeld {
				t.Errorf("stale Complete: %v, want ErrNotHeld", err)
			}
			if b := begin(t, k.store, "id1", fpA); b.State != idempotency.Running {
				t.Errorf("the current claim's record: state %d, want Running", b.State)
			}
			if err := k.store.Complete(ctx, cur.Claim, resp); err != nil {
				t.Errorf("current Complete: %v", err)
			}
		}},
		{"running past the lock timeout: abandoned", func(t *testing.T, k storeKit) {
			begin(t, k.store, "id1", fpA)
			k.advance(suiteLock + 50*time.Millisecond)
			if b := begin(t, k.store, "id1", fpA); b.State != idempotency.Abandoned {
				t.Errorf("state %d, want Abandoned", b.State)
			}
		}},
		{"answered past the retention: gone", func(t *testing.T, k storeKit) {
			b := begin(t, k.store, "id1", fpA)
			if err := k.store.Complete(ctx, b.Claim, resp); err != nil {
				t.Fatal(err)
			}
			k.advance(suiteRetention / 2)
			if b := begin(t, k.store, "id1", fpA); b.State != idempotency.Answered {
				t.Errorf("within the retention: state %d, want Answered", b.State)
			}
			k.advance(suiteRetention/2 + 100*time.Millisecond)
			if b := begin(t, k.store, "id1", fpB); b.State != idempotency.Acquired {
				t.Errorf("past the retention: state %d, want Acquired", b.State)
			}
		}},
		{"concurrent Begins: exactly one acquires", func(t *testing.T, k storeKit) {
			const n = 16
			var wg sync.WaitGroup
			states := make(chan idempotency.State, n)
			for range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					b, err := k.store.Begin(ctx, "race", fpA)
					if err != nil {
						t.Error(err)
						return
					}
					states <- b.State
				}()
			}
			wg.Wait()
			close(states)
			count := map[idempotency.State]int{}
			for s := range states {
				count[s]++
			}
			if count[idempotency.Acquired] != 1 || count[idempotency.Running] != n-1 {
				t.Errorf("states %v, want one Acquired and %d Running", count, n-1)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, newKit(t)) })
	}
}

// TestMemoryBounds: past MaxEntries or MaxBytes the oldest answered records
// go first; running ones are never dropped.
func TestMemoryBounds(t *testing.T) {
	ctx := context.Background()
	body := make([]byte, 1000)
	tests := []struct {
		name                 string
		maxEntries, maxBytes int
		answered             int // records completed, in order
		running              int // then begun and left running
		wantLen, wantEvicted int
	}{
		{"entries: the oldest answers go", 5, 1 << 20, 8, 0, 5, 3},
		{"bytes: the oldest answers go", 100, 3500, 8, 0, 3, 5},
		{"running requests stay, even past the bound", 3, 1 << 20, 2, 5, 5, 2},
	}
	for _, tt := range tests {
		m := idempotency.NewMemory(idempotency.MemoryOptions{MaxEntries: tt.maxEntries, MaxBytes: tt.maxBytes})
		for i := range tt.answered {
			b, err := m.Begin(ctx, fmt.Sprint("a", i), idempotency.Fingerprint{})
			if err != nil || b.State != idempotency.Acquired {
				t.Fatalf("%s: Begin %d: %v %v", tt.name, i, b.State, err)
			}
			if err := m.Complete(ctx, b.Claim, &idempotency.Response{Status: 200, Body: body}); err != nil {
				t.Fatal(err)
			}
		}
		for i := range tt.running {
			if b, _ := m.Begin(ctx, fmt.Sprint("r", i), idempotency.Fingerprint{}); b.State != idempotency.Acquired {
				t.Fatalf("%s: running %d: %v", tt.name, i, b.State)
			}
		}
		if m.Len() != tt.wantLen || int(m.Evicted()) != tt.wantEvicted {
			t.Errorf("%s: %d records, %d evicted; want %d and %d", tt.name, m.Len(), m.Evicted(), tt.wantLen, tt.wantEvicted)
		}
		// The newest answer is kept, unless all went; every running
		// request is.
		if tt.answered > tt.wantEvicted {
			if b, _ := m.Begin(ctx, fmt.Sprint("a", tt.answered-1), idempotency.Fingerprint{}); b.State != idempotency.Answered {
				t.Errorf("%s: the newest answer: %v", tt.name, b.State)
			}
		}
		for i := range tt.running {
			if b, _ := m.Begin(ctx, fmt.Sprint("r", i), idempotency.Fingerprint{}); b.State != idempotency.Running {
				t.Errorf("%s: running %d: %v", tt.name, i, b.State)
			}
		}
	}
}

// BenchmarkStores: what a keyed mutation costs the store, one Begin and
// one Complete of a 1 KiB response, in memory and in a local Redis.
func BenchmarkStores(b *testing.B) {
	resp := &idempotency.Response{Status: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: make([]byte, 1024)}
	srv := redistest.New(b)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	b.Cleanup(func() { _ = rdb.Close() })
	stores := map[string]idempotency.Store{
		"memory": idempotency.NewMemory(idempotency.MemoryOptions{}),
		"redis":  idempotency.NewRedis(rdb, idempotency.RedisOptions{KeyPrefix: "bench:"}),
	}
	for name, s := range stores {
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			for i := 0; b.Loop(); i++ {
				begun, err := s.Begin(ctx, fmt.Sprint(name, i), idempotency.Fingerprint{})
				if err != nil || begun.State != idempotency.Acquired {
					b.Fatal(begun.State, err)
				}
				if err := s.Complete(ctx, begun.Claim, resp); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
