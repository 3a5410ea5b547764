package main

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ipack-gateway/ipack-gateway/ids"
	"github.com/ipack-gateway/ipack-gateway/internal/simconfig"
	"github.com/ipack-gateway/ipack-gateway/platformapi/simulator"
)

// TestAgainstPlatformsim follows the newcomer's path of docs/
// getting-started.md in-process: a simulator on a loopback port (as
// platformsim serves it), the gateway configuration and instructions
// platformsim -gateway-config writes for it, run with -config and the
// printed environment, and the printed attach through the gateway.
func TestAgainstPlatformsim(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sim := simulator.NewDemo(simulator.Options{})
	hs := &http.Server{Handler: sim}
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("simulator: %v", err)
		}
	}()
	t.Cleanup(func() { hs.Close() })

	g := simconfig.Gateway{BaseURL: "http://" + ln.Addr().String(), Listen: "127.0.0.1:0", Token: simconfig.NewToken()}
	path := filepath.Join(t.TempDir(), "gw.yaml")
	if err := os.WriteFile(path, g.YAML(), 0o600); err != nil {
		t.Fatal(err)
	}
	printed := g.Instructions(path)
	env := regexp.MustCompile(`\nexport (\w+)='([^']*)'\n`).FindStringSubmatch(printed)
	args := regexp.MustCompile(`\ngo run \./cmd/gateway (.*)\n`).FindStringSubmatch(printed)
	if env == nil || args == nil {
		t.Fatalf("no export or gateway command in the instructions:\n%s", printed)
	}
	getenv := func(k string) string {
		if k == env[1] {
			return env[2]
		}
		return ""
	}
	base, _, logs := startRun(t, strings.Fields(args[1]), getenv)

	// The printed attach, sent to where the gateway listens.
	cmds := demoCommands(strings.ReplaceAll(printed, "http://127.0.0.1:0", base))
	if len(cmds) != 1 {
		t.Fatalf("instructions have %d curl commands, want 1:\n%s", len(cmds), printed)
	}
	status, body := cmds[0].do(t, "")
	var res struct {
		Data struct {
			Attach []struct{ ID, EnvironmentID string } `json:"integrationPackInstanceEnvironmentAttachmentAttach"`
		}
		Errors []any
	}
	if err := json.Unmarshal([]byte(body), &res); status != 200 || err != nil || len(res.Errors) > 0 ||
		len(res.Data.Attach) != 1 || res.Data.Attach[0].EnvironmentID != simulator.DemoSeedEnvironmentB {
		t.Fatalf("printed attach: %d %s\ngateway log:\n%s", status, body, logs)
	}
	if !sim.Attached(simulator.DemoAccountID, ids.Instance(34486), simulator.DemoSeedEnvironmentB) {
		t.Error("the simulator holds no attachment after the attach")
	}
	// The gateway is ready: the upstream answers and accepts the config's
	// credentials.
	res2, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer res2.Body.Close()
	var rd struct{ Checks map[string]string }
	if err := json.NewDecoder(res2.Body).Decode(&rd); err != nil || res2.StatusCode != 200 || rd.Checks["credentials"] != "ok" {
		t.Errorf("/readyz = %d %v, want 200 with credentials ok", res2.StatusCode, rd.Checks)
	}
}
