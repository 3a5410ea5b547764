package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// With -profile, every gateway is started with -debug-listen on a loopback
// port of its own, and the load scenarios fetch Go's profiles from it while
// they run: CPU and allocations over each overhead load, heap and goroutines
// (and runtime.MemStats, as text) in the middle of the memory load. They are
// written to -out as gateway-<scenario>-<kind>.pprof for `go tool pprof`
// (and gateway-memory-memstats.txt). Profiling costs the
// gateway CPU (a few per cent), so a profiled run's figures are not for
// comparing with an unprofiled one's.

// profiler fetches profiles from gateways' debug listeners into dir.
type profiler struct {
	dir    string
	client *http.Client
	wg     sync.WaitGroup
	mu     sync.Mutex
	errs   []error
}

func newProfiler(dir string) *profiler {
	return &profiler{dir: dir, client: &http.Client{Timeout: 2 * time.Minute}}
}

// fetch GETs path from p's debug listener after delay, into file name.
// It runs in the background; wait waits for every fetch.
func (pr *profiler) fetch(ctx context.Context, p *proc, delay time.Duration, path, name string) {
	if pr == nil || p.debugURL == "" {
		return
	}
	pr.wg.Go(func() {
		if err := sleep(ctx, delay); err != nil {
			return
		}
		if err := pr.get(ctx, p.debugURL+path, filepath.Join(pr.dir, name)); err != nil {
			pr.mu.Lock()
			pr.errs = append(pr.errs, fmt.Errorf("profile %s: %w", name, err))
			pr.mu.Unlock()
		}
	})
}

func (pr *profiler) get(ctx context.Context, url, file string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := pr.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		return fmt.Errorf("%s answered %d: %s", url, resp.StatusCode, b)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// overLoad profiles CPU and allocations of p over the measured part of a
// load of spec that starts now.
func (pr *profiler) overLoad(ctx context.Context, p *proc, scenario string, spec loadSpec) {
	secs := max(1, int(spec.duration/time.Second))
	pr.fetch(ctx, p, spec.warmup, fmt.Sprintf("/debug/pprof/profile?seconds=%d", secs), "gateway-"+scenario+"-cpu.pprof")
	pr.fetch(ctx, p, spec.warmup, fmt.Sprintf("/debug/pprof/allocs?seconds=%d", secs), "gateway-"+scenario+"-allocs.pprof")
}

// midLoad takes p's heap and goroutine profiles halfway through the
// measured part of a load of spec that starts now.
func (pr *profiler) midLoad(ctx context.Context, p *proc, scenario string, spec loadSpec) {
	at := spec.warmup + spec.duration/2
	pr.fetch(ctx, p, at, "/debug/pprof/heap", "gateway-"+scenario+"-heap.pprof")
	pr.fetch(ctx, p, at, "/debug/pprof/goroutine", "gateway-"+scenario+"-goroutine.pprof")
	// The heap profile as text ends with runtime.MemStats: heap, stacks
	// and GC figures at that moment.
	pr.fetch(ctx, p, at, "/debug/pprof/heap?debug=1", "gateway-"+scenario+"-memstats.txt")
}

// wait waits for every fetch started so far: the gateway must not stop
// before its profiles are in.
func (pr *profiler) wait() {
	if pr != nil {
		pr.wg.Wait()
	}
}

// errors waits for every fetch and returns their errors.
func (pr *profiler) errors() []error {
	if pr == nil {
		return nil
	}
	pr.wg.Wait()
	pr.mu.Lock()
	defer pr.mu.Unlock()
	errs := pr.errs
	pr.errs = nil
	return errs
}
