package main

import (
	"math"
	"runtime/debug"
	"testing"
)

func TestMemoryLimit(t *testing.T) {
	old := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(old)
	for _, tc := range []struct {
		limit int64
		want  string
	}{
		{math.MaxInt64, "none"},
		{230 << 20, "230MiB"}, // 90 % of a 256 MiB container
		{1 << 30, "1024MiB"},
	} {
		debug.SetMemoryLimit(tc.limit)
		if got := memoryLimit(); got != tc.want {
			t.Errorf("memoryLimit() with a limit of %d bytes = %q, want %q", tc.limit, got, tc.want)
		}
	}
}
