package main

import (
	"errors"
	"sync"
	"testing"
	"time"
)

// TestSampleMax: the sampler keeps the highest value read, skips failed
// reads, and reads no more once stop has returned.
func TestSampleMax(t *testing.T) {
	values := []int64{3, 9, 4, -1, 7}
	var mu sync.Mutex
	calls := 0
	read := func() (int64, error) {
		mu.Lock()
		defer mu.Unlock()
		i := calls
		calls++
		if i >= len(values) {
			return 1, nil
		}
		if values[i] < 0 {
			return 0, errors.New("no such process")
		}
		return values[i], nil
	}
	stop, max := sampleMax(read, time.Millisecond)
	for i := 0; i < 5000; i++ { // at most 5 s
		mu.Lock()
		n := calls
		mu.Unlock()
		if n > len(values) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	stop()
	mu.Lock()
	after := calls
	mu.Unlock()
	if *max != 9 {
		t.Errorf("max = %d, want 9", *max)
	}
	time.Sleep(5 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if calls != after {
		t.Errorf("%d reads after stop returned", calls-after)
	}
}
