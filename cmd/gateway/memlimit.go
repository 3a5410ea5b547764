package main

import (
	"fmt"
	"log/slog"
	"math"
	"os"
	"runtime/debug"

	"github.com/KimMachineGun/automemlimit/memlimit"
)

// setMemoryLimit sets the Go runtime's soft memory limit (GOMEMLIMIT) to
// 90 % of the container's memory limit (cgroup v1 or v2), unless
// GOMEMLIMIT is set or AUTOMEMLIMIT=off (automemlimit's variables;
// AUTOMEMLIMIT=0.8 picks another share). Without a limit the heap may grow
// to twice what is live (GOGC=100) before a collection, and that headroom
// alone can take the gateway past its container's limit and get it killed;
// with one, the collector works harder near the limit instead. Outside a
// container with a memory limit nothing changes. It only writes a line
// when it fails; run logs the limit in force.
func setMemoryLimit() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	_, _ = memlimit.SetGoMemLimitWithOpts(memlimit.WithProvider(memlimit.FromCgroup), memlimit.WithLogger(log))
}

// memoryLimit describes the runtime's soft memory limit, for the log.
func memoryLimit() string {
	limit := debug.SetMemoryLimit(-1) // reads it
	if limit == math.MaxInt64 {
		return "none"
	}
	return fmt.Sprintf("%.0fMiB", float64(limit)/(1<<20))
}
