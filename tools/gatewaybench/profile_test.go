package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestProfiler: the profiles of a load are fetched from the gateway's
// debug listener into the output directory, and a listener that fails is
// reported, not ignored.
func TestProfiler(t *testing.T) {
	debug := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.RequestURI() == "/debug/pprof/heap" {
			http.Error(w, "no heap here", http.StatusInternalServerError)
			return
		}
		w.Write([]byte(r.URL.RequestURI()))
	}))
	defer debug.Close()
	dir := t.TempDir()
	pr := newProfiler(dir)
	p := &proc{debugURL: debug.URL}
	spec := loadSpec{clients: 1, warmup: time.Millisecond, duration: 200 * time.Millisecond}
	pr.overLoad(context.Background(), p, "0ms", spec)
	pr.midLoad(context.Background(), p, "memory", spec)
	pr.wait()
	for file, want := range map[string]string{
		"gateway-0ms-cpu.pprof":          "/debug/pprof/profile?seconds=1",
		"gateway-0ms-allocs.pprof":       "/debug/pprof/allocs?seconds=1",
		"gateway-memory-goroutine.pprof": "/debug/pprof/goroutine",
		"gateway-memory-memstats.txt":    "/debug/pprof/heap?debug=1",
	} {
		got, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", file, got, err, want)
		}
	}
	errs := pr.errors()
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "gateway-memory-heap.pprof") {
		t.Errorf("errors() = %v, want the heap profile's", errs)
	}
	// Without -profile there is no profiler, and nothing is fetched.
	var none *profiler
	none.overLoad(context.Background(), p, "0ms", spec)
	none.wait()
	if errs := none.errors(); errs != nil {
		t.Errorf("nil profiler: errors() = %v", errs)
	}
}
