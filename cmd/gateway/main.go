// Command gateway runs ipack-gateway: a GraphQL endpoint that answers the
// vendor's integration-pack attachment operations by calling its Platform
// REST API.
//
//	gateway                      demo mode: an embedded simulator upstream
//	gateway -config gateway.yaml a real upstream
//	gateway -listen :9090        another address
//	gateway -config f -check-config  validate a config file and exit
//	gateway -version             print the version and exit
//	gateway -debug-listen 127.0.0.1:6060  also serve Go's profiler there
//	gateway -log-format text -log-level debug  logs as text, debug lines included
//
// run is the whole program: it reads the configuration (or, in demo mode,
// starts an embedded simulator and makes one), composes the gateway with
// internal/compose, which builds every part of it, and serves it. SIGHUP
// reloads the config file's spaces and client tokens; SIGTERM and SIGINT
// drain and stop.
package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
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

	"github.com/ipack-gateway/ipack-gateway/config"
	"github.com/ipack-gateway/ipack-gateway/gateway"
	"github.com/ipack-gateway/ipack-gateway/internal/compose"
	"github.com/ipack-gateway/ipack-gateway/platformapi/simulator"
)

func main() {
	setMemoryLimit() // from the container's, before anything allocates much
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "gateway:", err)
		os.Exit(1)
	}
}

// Demo mode's spaces and token.
const (
	demoSpace            = "demo-space"
	demoToken            = "demo-token"
	demoPassthroughSpace = "demo-passthrough"
)

// run is the whole program; tests call it in-process. It returns when ctx
// ends (after a graceful shutdown) or on a start-up error. SIGHUP reloads
// the config file's spaces and tokens. It reads the configuration; the
// composition root, compose.Gateway, builds every part from it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gateway", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "YAML config `file`; without it the gateway runs in demo mode against an embedded simulator")
	listen := fs.String("listen", "", "listen `address`, overriding the config's listen")
	logFormat := fs.String("log-format", "json", "log format: json or text")
	logLevel := fs.String("log-level", "info", "least log level written: debug, info, warn or error")
	checkConfig := fs.Bool("check-config", false, "validate the -config file and exit")
	showVersion := fs.Bool("version", false, "print the version and exit")
	debugListen := fs.String("debug-listen", "", "serve Go's profiler (net/http/pprof) on this private `address`; off by default")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *showVersion {
		fmt.Fprintln(stdout, versionLine())
		return nil
	}
	log, err := newLogger(stderr, *logFormat, *logLevel)
	if err != nil {
		return err
	}

	// load reads the file at start and on each SIGHUP; a path that leads
	// to /dev/zero or a huge file is refused at config.MaxFileBytes.
	load := func() (*config.Config, error) {
		data, err := config.ReadFile(*configPath)
		if err != nil {
			return nil, err
		}
		cfg, err := config.Parse(data, getenv)
		if err != nil {
			return nil, err
		}
		if *listen != "" {
			cfg.Listen = *listen
		}
		return cfg, nil
	}
	if *checkConfig {
		if *configPath == "" {
			return errors.New("-check-config needs -config")
		}
		cfg, err := load()
		if err != nil {
			return err
		}
		// Parse validated every key; compose checks the rest.
		if err := compose.Check(cfg, version()); err != nil {
			return err
		}
		spaces := "spaces"
		if len(cfg.Spaces) == 1 {
			spaces = "space"
		}
		fmt.Fprintf(stdout, "%s: config OK (%d %s)\n", *configPath, len(cfg.Spaces), spaces)
		return nil
	}

	var cfg *config.Config
	var graphiqlHeaders map[string]string
	demo := *configPath == ""
	if demo {
		sim, err := startDemoUpstream(ctx, log)
		if err != nil {
			return err
		}
		cfg = demoConfig(sim)
		if *listen != "" {
			cfg.Listen = *listen
		}
		graphiqlHeaders = map[string]string{"SPACE_GUID": demoSpace, "Authorization": "Bearer " + demoToken}
	} else {
		var err error
		if cfg, err = load(); err != nil {
			return err
		}
	}
	if *debugListen != "" {
		if err := serveDebug(ctx, *debugListen, log); err != nil {
			return fmt.Errorf("-debug-listen: %w", err)
		}
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	// The composition root builds every part from cfg; Serve closes what
	// it opened (the Redis store, the tracer provider) when it returns,
	// so nothing that can fail comes between the two.
	srv, err := compose.Gateway(cfg, log, compose.Options{Version: version(), GraphiQLHeaders: graphiqlHeaders})
	if err != nil {
		ln.Close()
		return err
	}
	if !demo {
		reloadOnHangup(ctx, srv, load)
	}
	addr := ln.Addr().String()
	log.Info("listening", "addr", addr, "demo", demo, "upstream", cfg.Platform.BaseURL, "version", version(), "memoryLimit", memoryLimit())
	if demo {
		printDemo(stdout, addr)
	}
	return srv.Serve(ctx, ln)
}

// newLogger returns the program's logger: JSON or text lines on w, from
// level up. Durations read the same in both formats ("30s"), not as
// nanoseconds in JSON.
func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("-log-level: want debug, info, warn or error, got %q", level)
	}
	opts := &slog.HandlerOptions{Level: lv, ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Value.Kind() == slog.KindDuration {
			a.Value = slog.StringValue(a.Value.Duration().String())
		}
		return a
	}}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("-log-format: want json or text, got %q", format)
}

// reloadOnHangup reloads the configuration on each SIGHUP until ctx ends.
func reloadOnHangup(ctx context.Context, srv *gateway.Server, load func() (*config.Config, error)) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		defer signal.Stop(hup)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				_ = srv.Reload(load) // Reload logs the outcome
			}
		}
	}()
}

// startDemoUpstream serves the simulator, seeded with the vendor's sample
// data, on a loopback port until ctx ends.
func startDemoUpstream(ctx context.Context, log *slog.Logger) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("demo upstream: %w", err)
	}
	hs := &http.Server{Handler: simulator.NewDemo(simulator.Options{}), ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("demo upstream stopped", "err", err)
		}
	}()
	context.AfterFunc(ctx, func() { hs.Close() })
	return "http://" + ln.Addr().String(), nil
}

// demoConfig is the demo's configuration: demo-space with a client token
// and the token flow (the simulator's own Basic credentials get a JWT, as
// with the vendor), and demo-passthrough, which forwards the client's bearer
// token to the simulator. The JWT key is new on every start.
func demoConfig(upstream string) *config.Config {
	sha := func(s string) string {
		sum := sha256.Sum256([]byte(s))
		return "sha256:" + hex.EncodeToString(sum[:])
	}
	var key [32]byte
	_, _ = rand.Read(key[:]) // never fails
	cfg := config.Default()
	cfg.Platform.BaseURL = upstream
	cfg.Tokens.SigningKey = config.Secret(hex.EncodeToString(key[:]))
	cfg.Spaces = []config.SpaceConfig{
		{
			GUID:        demoSpace,
			AccountID:   simulator.DemoAccountID,
			Name:        "Demo Space",
			Description: "The demo account's space",
			AccountName: "Demo Account",
			// The vendor's samples' values: the account group and dates
			// of the spaces sample's Trial1_Space, the logo text of the
			// spaceCreate sample.
			AccountGroup: config.SpaceAccountGroup{ID: "3ebe1222-b5fa-4d53-ab2f-fd57c4daf530", Name: "Trial1"},
			Theme:        config.SpaceTheme{LogoAltTxt: "testing"},
			CreatedDate:  "2022-11-03 08:43:50.0",
			ModifiedDate: "2023-04-14 08:15:00.0",
			Auth:         config.AuthCredentials,
			Credentials:  config.Credentials{Username: simulator.DemoUsername, Password: simulator.DemoPassword},
			ClientTokens: []string{sha(demoToken)},
			TokenCredentials: []config.TokenCredential{
				{Username: simulator.DemoUsername, PasswordHash: sha(simulator.DemoPassword)},
			},
		},
		{
			GUID:        demoPassthroughSpace,
			AccountID:   simulator.DemoAccountID,
			Name:        "Demo Passthrough Space",
			AccountName: "Demo Account",
			Auth:        config.AuthPassthrough,
		},
	}
	if err := cfg.Validate(); err != nil {
		panic("demo config: " + err.Error()) // a bug in the lines above
	}
	return &cfg
}

func printDemo(w io.Writer, addr string) {
	fmt.Fprintf(w, `ipack-gateway is running in demo mode on http://%[1]s (upstream: embedded simulator).
Space %[2]q, bearer token %[3]q. Replay the vendor's attach sample:

curl -s http://%[1]s/graphql \
  -H 'SPACE_GUID: %[2]s' -H 'Authorization: Bearer %[3]s' \
  -H 'Accept: application/json' -H 'Content-Type: application/json' \
  -d '{"query":"mutation attachIpackInstance { integrationPackInstanceEnvironmentAttachmentAttach(input: {integrationPackInstanceId: \"SW50ZWdyYXRpb25QYWNrSW5zdGFuY2UzNDQ4Ng\", environmentIds: [\"86b413a8-1ebf-4c95-bc5b-139573b77910\"]}) { id environmentId integrationPackInstanceId environmentExtensions } }"}'

Or get a 5-minute token as the vendor's clients do, and list the instances with it:

TOKEN=$(curl -s -u '%[4]s:%[5]s' http://%[1]s/auth/jwt/generate/%[6]s)
curl -s http://%[1]s/graphql \
  -H 'SPACE_GUID: %[2]s' -H "Authorization: Bearer $TOKEN" \
  -H 'Accept: application/json' -H 'Content-Type: application/json' \
  -d '{"query":"{ integrationPackInstances { id integrationPackOverrideName integrationPack { id name installationType } } }"}'

Space %[7]q forwards the client's bearer token to the REST API, which
accepts the stand-in vendor token %[8]q:

curl -s http://%[1]s/graphql \
  -H 'SPACE_GUID: %[7]s' -H 'Authorization: Bearer %[8]s' \
  -H 'Accept: application/json' -H 'Content-Type: application/json' \
  -d '{"query":"{ environments { id name classification integrationPackEnvironmentAttachment { id integrationPackInstanceId } } }"}'

`, addr, demoSpace, demoToken, simulator.DemoUsername, simulator.DemoPassword, simulator.DemoAccountID, demoPassthroughSpace, simulator.DemoBearerToken)
}
