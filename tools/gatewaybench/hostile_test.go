package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gwconfig "github.com/ipack-gateway/ipack-gateway/config"
)

// The hostileCost scenario's configuration is one the gateway accepts,
// with the client limits at their defaults (the flood keeps to them) and
// its two clients.
func TestHostileConfigParses(t *testing.T) {
	def := gwconfig.Default()
	for _, tt := range []struct {
		maxExecuting, want int
		relaxed            bool
	}{{-1, def.Clients.MaxExecuting, false}, {0, 0, false}, {2, 2, true}} {
		cfg, err := gwconfig.Parse([]byte(hostileConfig("http://127.0.0.1:9", tt.maxExecuting, tt.relaxed, attackerTokens(1))), func(string) string { return "" })
		if err != nil {
			t.Fatalf("maxExecuting %d: %v", tt.maxExecuting, err)
		}
		if cfg.Clients.MaxExecuting != tt.want || cfg.Clients.RequestsPerSecond != def.Clients.RequestsPerSecond {
			t.Errorf("maxExecuting %d: clients %+v", tt.maxExecuting, cfg.Clients)
		}
		if relaxed := cfg.GraphQL.MaxTokens > def.GraphQL.MaxTokens; relaxed != tt.relaxed {
			t.Errorf("relaxed %v: graphql %+v", tt.relaxed, cfg.GraphQL)
		}
		if len(cfg.Spaces) != 1 || len(cfg.Spaces[0].ClientTokens) != 2 {
			t.Errorf("spaces %+v, want one with the attacker's and the victim's tokens", cfg.Spaces)
		}
	}
}

// Every hostile request fits in the default body bound, and names itself.
func TestHostileDocuments(t *testing.T) {
	seen := map[string]bool{}
	for _, d := range hostileDocuments() {
		if len(d.body) > gwconfig.DefaultMaxBodyBytes || len(d.body) < 100 || seen[d.name] {
			t.Errorf("%s: %d bytes (or named twice)", d.name, len(d.body))
		}
		seen[d.name] = true
	}
}

// flood keeps to its rate, counts answers by status and stops by itself.
func TestFlood(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) % 3 {
		case 0:
			w.WriteHeader(http.StatusTooManyRequests)
		case 1:
			w.WriteHeader(http.StatusRequestEntityTooLarge)
		}
	}))
	defer srv.Close()
	docs := []hostileDocument{{"a", []byte("{}")}, {"b", []byte("[]")}}
	start := time.Now()
	var tokens sync.Map
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tokens.Store(r.Header.Get("Authorization"), true)
		switch n.Add(1) % 3 {
		case 0:
			w.WriteHeader(http.StatusTooManyRequests)
		case 1:
			w.WriteHeader(http.StatusRequestEntityTooLarge)
		}
	})
	c := flood(context.Background(), srv.Client(), srv.URL, docs, attackerTokens(2), 4, 100, 300*time.Millisecond)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("flood took %s", d)
	}
	// 100/s for 0.3 s: 30 slots, give or take the last of each connection.
	if c.Sent < 20 || c.Sent > 34 || c.Executed+c.Throttled+c.Refused+c.Failed != c.Sent || c.Throttled == 0 || c.Refused == 0 || c.Executed == 0 {
		t.Errorf("counts %+v", c)
	}
	seen := 0
	tokens.Range(func(any, any) bool { seen++; return true })
	if seen != 2 {
		t.Errorf("%d tokens sent, want both", seen)
	}
}

// Many attackers: one token each, all in the configuration.
func TestHostileAttackers(t *testing.T) {
	tokens := attackerTokens(128)
	cfg, err := gwconfig.Parse([]byte(hostileConfig("http://127.0.0.1:9", -1, false, tokens)), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if n := len(cfg.Spaces[0].ClientTokens); n != 129 || tokens[0] == tokens[127] {
		t.Errorf("%d client tokens, want 128 attackers and the victim", n)
	}
}

// The scenario's targets and summary lines.
func TestHostileTargetsAndSummary(t *testing.T) {
	r := sampleReport()
	r.HostileCost = &HostileCost{AttackerClients: 64, VictimClients: 4, ClientMaxExecuting: -1, Documents: []string{"x"},
		VictimIdle: Summary{Requests: 100, P99Ms: 5}, Victim: Summary{Requests: 100, P99Ms: 300}, IdleRSSMiB: 20, PeakRSSMiB: 40}
	r.Targets = targets(r)
	met := map[string]bool{}
	for _, tg := range r.Targets {
		met[tg.Name] = tg.Met
	}
	if m, ok := met["hostile flood: victim p99 ms"]; !ok || m {
		t.Errorf("victim p99 of 300 ms: met %v (present %v)", m, ok)
	}
	if m, ok := met["hostile flood: gateway peak RSS MiB"]; !ok || !m {
		t.Errorf("peak RSS of 40 MiB: met %v (present %v)", m, ok)
	}
	var out bytes.Buffer
	printSummary(&out, r, "dir")
	for _, want := range []string{"Hostile cost", "under flood", "peak 40.0 MiB"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the summary lacks %q:\n%s", want, out.String())
		}
	}
}
