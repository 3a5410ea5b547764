// Command platformsim serves the Platform REST API simulator
// (package platformapi/simulator) as a process of its own, so that the
// gateway and load tools can talk to it over real sockets.
//
//	platformsim                               demo data, the vendor's 10 req/s limit, on 127.0.0.1:8081
//	platformsim -listen 127.0.0.1:0 -latency 20ms -jitter 2ms -rate-limit 0
//
// It prints "listening http://ADDR" on stdout once it accepts connections.
// GET /-/stats answers the simulator's counters as JSON (requests, and
// those answered 503 for the rate limit); GET /-/healthz answers "ok".
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/time/rate"

	"github.com/ipack-gateway/ipack-gateway/platformapi/simulator"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "platformsim:", err)
		os.Exit(1)
	}
}

// run is the whole program; tests call it in-process. It returns when ctx
// ends or on a start-up error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("platformsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8081", "listen `address`")
	latency := fs.Duration("latency", 0, "added to every REST request before it is handled: the upstream's latency")
	jitter := fs.Duration("jitter", 0, "random extra latency, uniform in [0, jitter)")
	rateLimit := fs.Float64("rate-limit", 10, "per-account requests per second before the simulator answers 503, as the vendor does; 0 disables the limit")
	burst := fs.Int("burst", 10, "requests per account allowed at once under -rate-limit")
	demo := fs.Bool("demo", true, "seed the vendor's documentation samples and the demo account (simulator.NewDemo); false starts empty")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	case *latency < 0 || *jitter < 0:
		return errors.New("-latency and -jitter must not be negative")
	case *rateLimit < 0:
		return errors.New("-rate-limit must not be negative (0 disables it)")
	case *burst < 1:
		return errors.New("-burst must be at least 1")
	}
	opts := simulator.Options{RateLimit: rate.Limit(*rateLimit), Burst: *burst}
	if *rateLimit == 0 {
		opts.RateLimit = -1 // the simulator's "no limit"
	}
	var sim *simulator.Server
	if *demo {
		sim = simulator.NewDemo(opts)
	} else {
		sim = simulator.New(opts)
	}

	log := slog.New(slog.NewTextHandler(stderr, nil))
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	hs := &http.Server{
		Handler:           handler(sim, *latency, *jitter),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	fmt.Fprintf(stdout, "listening http://%s\n", ln.Addr())
	log.Info("platformsim listening", "addr", ln.Addr().String(), "latency", *latency, "jitter", *jitter, "rateLimit", *rateLimit, "burst", *burst, "demo", *demo)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		hs.Close()
	}
	return nil
}

// handler serves the simulator behind the latency middleware, and the
// simulator's own endpoints under /-/, which no account id can shadow
// because the vendor's account ids never start with "-".
func handler(sim *simulator.Server, latency, jitter time.Duration) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /-/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /-/stats", func(w http.ResponseWriter, _ *http.Request) {
		st := sim.Stats()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(Stats{Requests: st.Requests, Throttled: st.Throttled})
	})
	mux.Handle("/", withLatency(sim, latency, jitter, rand.Int64N))
	return mux
}

// Stats is the body of GET /-/stats.
type Stats struct {
	Requests  int `json:"requests"`  // REST requests handled
	Throttled int `json:"throttled"` // of which answered 503 for the rate limit
}

// withLatency delays every request by latency plus a uniform random part
// of jitter before next sees it, as a distant upstream would. A client that
// gives up while waiting gets nothing. randN returns a number in [0, n);
// tests fix it.
func withLatency(next http.Handler, latency, jitter time.Duration, randN func(n int64) int64) http.Handler {
	if latency <= 0 && jitter <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d := latency
		if jitter > 0 {
			d += time.Duration(randN(int64(jitter)))
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			next.ServeHTTP(w, r)
		case <-r.Context().Done():
		}
	})
}
