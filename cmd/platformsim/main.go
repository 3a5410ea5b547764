// Command platformsim serves the Platform REST API simulator
// (package platformapi/simulator) as a process of its own, so that the
// gateway and load tools can talk to it over real sockets.
//
//	platformsim                               demo data, the vendor's 10 req/s limit, on 127.0.0.1:8081
//	platformsim -listen 127.0.0.1:0 -latency 20ms -jitter 2ms -rate-limit 0
//	platformsim -gateway-config /tmp/gw.yaml  also write a gateway config for it
//
// Latency, jitter and faults are the simulator's own (simulator.Faults):
// -unavailable, -server-error, -reset, -hang and -slow-body are the
// fractions of requests that get each fault.
//
// It prints "listening http://ADDR" on stdout once it accepts connections.
// With -gateway-config FILE it writes a gateway configuration that works
// against it as it runs (package internal/simconfig) and prints the lines
// that start the gateway with it (go run ./cmd/gateway -config FILE, the
// REST password in the environment) and send it a first attach.
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
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/time/rate"

	"github.com/ipack-gateway/ipack-gateway/internal/simconfig"
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
	var faults simulator.Faults
	fs.DurationVar(&faults.Latency, "latency", 0, "added to every REST request: the upstream's latency")
	fs.DurationVar(&faults.Jitter, "jitter", 0, "random extra latency, uniform in [0, jitter]")
	fs.Float64Var(&faults.Unavailable, "unavailable", 0, "fraction of requests answered 503")
	fs.Float64Var(&faults.UnavailableRetryAfter, "retry-after", 0, "fraction of those 503s that carry Retry-After: 1")
	fs.Float64Var(&faults.TooManyRequests, "too-many-requests", 0, "fraction of requests answered 429, as by a rate limiter in front of the vendor")
	fs.Float64Var(&faults.ServerError, "server-error", 0, "fraction of requests answered 500")
	fs.Float64Var(&faults.Reset, "reset", 0, "fraction of requests whose connection is dropped")
	fs.Float64Var(&faults.Hang, "hang", 0, "fraction of requests never answered")
	fs.Float64Var(&faults.SlowBody, "slow-body", 0, "fraction of answers sent one byte per -slow-body-delay")
	fs.DurationVar(&faults.SlowBodyDelay, "slow-body-delay", 100*time.Millisecond, "delay between the bytes of a slow body")
	fs.Float64Var(&faults.GatewayTimeout, "gateway-timeout", 0, "fraction of requests answered 504, as by a proxy that gave up")
	fs.Float64Var(&faults.Garbled, "garbled", 0, "fraction of requests answered 200 with a body that is not JSON")
	fs.Float64Var(&faults.AfterApply, "after-apply", 0, "fraction of 503s, 429s, resets, hangs, slow bodies, 504s and garbled answers that strike after the request took effect")
	fs.Uint64Var(&faults.Seed, "seed", 1, "seed of the fault sequence")
	rateLimit := fs.Float64("rate-limit", 10, "per-account requests per second before the simulator answers 503, as the vendor does; 0 disables the limit")
	burst := fs.Int("burst", 10, "requests per account allowed at once under -rate-limit")
	demo := fs.Bool("demo", true, "seed the vendor's documentation samples and the demo account (simulator.NewDemo); false starts empty")
	gatewayConfig := fs.String("gateway-config", "", "write a gateway configuration `file` that works against this simulator (its address, the demo account, a new client token), and print how to start the gateway with it")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	case faults.Latency < 0 || faults.Jitter < 0 || faults.SlowBodyDelay < 0:
		return errors.New("-latency, -jitter and -slow-body-delay must not be negative")
	case !fraction(faults.Unavailable) || !fraction(faults.UnavailableRetryAfter) || !fraction(faults.TooManyRequests) || !fraction(faults.ServerError) ||
		!fraction(faults.Reset) || !fraction(faults.Hang) || !fraction(faults.SlowBody) || !fraction(faults.AfterApply) ||
		!fraction(faults.GatewayTimeout) || !fraction(faults.Garbled):
		return errors.New("fault fractions must be between 0 and 1")
	case faults.Unavailable+faults.TooManyRequests+faults.ServerError+faults.Reset+faults.Hang+faults.SlowBody+faults.GatewayTimeout+faults.Garbled > 1:
		return errors.New("fault fractions must not add up to more than 1")
	case *rateLimit < 0:
		return errors.New("-rate-limit must not be negative (0 disables it)")
	case *burst < 1:
		return errors.New("-burst must be at least 1")
	case *gatewayConfig != "" && !*demo:
		return errors.New("-gateway-config needs the demo account (-demo)")
	}
	if faults.Latency == 0 && faults.Jitter == 0 && faults.Unavailable+faults.TooManyRequests+faults.ServerError+faults.Reset+faults.Hang+faults.SlowBody+faults.GatewayTimeout+faults.Garbled == 0 {
		faults = simulator.Faults{} // none: the simulator draws nothing per request
	}
	opts := simulator.Options{RateLimit: rate.Limit(*rateLimit), Burst: *burst, Faults: faults}
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
		Handler:           handler(sim),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	var gw simconfig.Gateway
	if *gatewayConfig != "" {
		gw = simconfig.Gateway{BaseURL: "http://" + ln.Addr().String(), Token: simconfig.NewToken()}
		if err := os.WriteFile(*gatewayConfig, gw.YAML(), 0o600); err != nil {
			ln.Close()
			return fmt.Errorf("-gateway-config: %w", err)
		}
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	fmt.Fprintf(stdout, "listening http://%s\n", ln.Addr())
	fmt.Fprintf(stdout, "REST API at http://%[1]s/{accountId}/… and http://%[1]s%[2]s/{accountId}/… (platform.baseURL: http://%[1]s%[2]s)\n", ln.Addr(), simulator.VendorBasePath)
	if *gatewayConfig != "" {
		fmt.Fprint(stdout, "\n"+gw.Instructions(*gatewayConfig))
	}
	log.Info("platformsim listening", "addr", ln.Addr().String(), "latency", faults.Latency, "jitter", faults.Jitter, "rateLimit", *rateLimit, "burst", *burst, "demo", *demo)
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

// handler serves the simulator, and its own endpoints under /-/, which no
// account id can shadow because the vendor's account ids never start
// with "-".
func handler(sim *simulator.Server) http.Handler {
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
	mux.Handle("/", sim)
	return mux
}

// Stats is the body of GET /-/stats.
type Stats struct {
	Requests  int `json:"requests"`  // REST requests handled
	Throttled int `json:"throttled"` // of which answered 503 for the rate limit
}

func fraction(f float64) bool { return f >= 0 && f <= 1 }
