package idempotency

import (
	"container/list"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// MemoryOptions configure NewMemory. Zero fields take the defaults.
type MemoryOptions struct {
	// Retention is how long an answer is kept after its request answered.
	Retention time.Duration
	// LockTimeout is how long a request may run before a repeat takes it
	// for abandoned (see Abandoned): longer than any request can take.
	LockTimeout time.Duration
	// MaxEntries and MaxBytes bound the records kept (their responses'
	// bodies and headers, for MaxBytes). Past either, the oldest answered
	// records are dropped before their retention ends. Running requests
	// are never dropped: they are bounded by the requests that can execute
	// at once, not by these.
	MaxEntries int
	MaxBytes   int
	// Now is the clock; nil is time.Now. Tests set it.
	Now func() time.Time
}

// Memory keeps records in this process: for one replica. It is safe for
// concurrent use.
type Memory struct {
	opts MemoryOptions

	mu       sync.Mutex
	records  map[string]*record
	answered list.List // of *record, oldest answer first: also the order they expire in
	bytes    int       // of the answered records' responses
	evicted  atomic.Uint64
}

type record struct {
	id      string
	fp      Fingerprint
	token   string    // while running
	started time.Time // while running
	resp    *Response // once answered
	size    int
	expires time.Time
	elem    *list.Element // in answered
}

// NewMemory returns an empty memory store.
func NewMemory(o MemoryOptions) *Memory {
	if o.Retention <= 0 {
		o.Retention = DefaultRetention
	}
	if o.LockTimeout <= 0 {
		o.LockTimeout = time.Hour
	}
	if o.MaxEntries <= 0 {
		o.MaxEntries = DefaultMaxEntries
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Memory{opts: o, records: map[string]*record{}}
}

// Begin implements Store.
func (m *Memory) Begin(_ context.Context, id string, fp Fingerprint) (Begun, error) {
	now := m.opts.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expire(now)
	if r := m.records[id]; r != nil && now.Before(r.expires) {
		switch {
		case r.fp != fp:
			return Begun{State: Mismatch}, nil
		case r.resp != nil:
			return Begun{State: Answered, Response: r.resp}, nil
		case now.Sub(r.started) > m.opts.LockTimeout:
			return Begun{State: Abandoned}, nil
		}
		return Begun{State: Running}, nil
	} else if r != nil {
		m.drop(r) // a running record past its lifetime
	}
	c := newClaim(id)
	m.records[id] = &record{id: id, fp: fp, token: c.token, started: now,
		expires: now.Add(m.opts.LockTimeout + m.opts.Retention)}
	m.evict()
	return Begun{State: Acquired, Claim: c}, nil
}

// Complete implements Store.
func (m *Memory) Complete(_ context.Context, c Claim, resp *Response) error {
	now := m.opts.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.records[c.id]
	if r == nil || r.resp != nil || r.token != c.token {
		return ErrNotHeld
	}
	r.resp, r.token, r.size = resp, "", resp.size()
	r.expires = now.Add(m.opts.Retention)
	r.elem = m.answered.PushBack(r)
	m.bytes += r.size
	m.evict()
	return nil
}

// Release implements Store.
func (m *Memory) Release(_ context.Context, c Claim) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r := m.records[c.id]; r != nil && r.resp == nil && r.token == c.token {
		m.drop(r)
	}
	return nil
}

// Len returns the number of records, running and answered.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.records)
}

// Evicted returns the number of answered records dropped before their
// retention ended, to keep within MaxEntries and MaxBytes.
func (m *Memory) Evicted() uint64 { return m.evicted.Load() }

// String describes the store without its records.
func (m *Memory) String() string {
	return fmt.Sprintf("idempotency.Memory{retention: %s, maxEntries: %d, maxBytes: %d}", m.opts.Retention, m.opts.MaxEntries, m.opts.MaxBytes)
}

// expire drops the answered records whose retention ended. They expire in
// the order they answered: the front of the list first.
func (m *Memory) expire(now time.Time) {
	for e := m.answered.Front(); e != nil; e = m.answered.Front() {
		r := e.Value.(*record)
		if now.Before(r.expires) {
			return
		}
		m.drop(r)
	}
}

// evict drops the oldest answered records while the store is over a bound.
func (m *Memory) evict() {
	for (len(m.records) > m.opts.MaxEntries || m.bytes > m.opts.MaxBytes) && m.answered.Len() > 0 {
		m.drop(m.answered.Front().Value.(*record))
		m.evicted.Add(1)
	}
}

func (m *Memory) drop(r *record) {
	delete(m.records, r.id)
	if r.elem != nil {
		m.answered.Remove(r.elem)
		m.bytes -= r.size
		r.elem = nil
	}
}
