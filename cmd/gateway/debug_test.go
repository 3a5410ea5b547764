package main

import (
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/ipack-gateway/ipack-gateway/internal/testutil"
)

// TestDebugListener: -debug-listen serves the profiler on its own address,
// and the public listener never does.
func TestDebugListener(t *testing.T) {
	base, _, stderr := startRun(t, []string{"-listen", "127.0.0.1:0", "-debug-listen", "127.0.0.1:0"}, func(string) string { return "" })
	addr := testutil.WaitFor(t, stderr, regexp.MustCompile(`"debugAddr":"(127\.0\.0\.1:\d+)"`), 5*time.Second, nil)
	for _, tc := range []struct {
		url  string
		want int
	}{
		{"http://" + addr + "/debug/pprof/", http.StatusOK},
		{"http://" + addr + "/debug/pprof/goroutine?debug=1", http.StatusOK},
		{base + "/debug/pprof/", http.StatusNotFound},
		{base + "/debug/pprof/goroutine?debug=1", http.StatusNotFound},
	} {
		res, err := http.Get(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tc.want {
			t.Errorf("GET %s = %d, want %d", tc.url, res.StatusCode, tc.want)
		}
	}
}
