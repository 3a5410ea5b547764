// Package clients proves the gateway against what its users' GraphQL
// clients expect, from outside, on the demo gateway started as a user
// starts it: graphql-http's GraphQL-over-HTTP audit (audit.mjs) and real
// client libraries (clients.test.mjs), at the versions package-lock.json
// pins. The JavaScript lives here, in the tools module, so that neither
// Node nor its packages are anything the gateway's module needs.
package clients

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ipack-gateway/ipack-gateway/internal/testutil"
)

// need finds a program the test cannot run without: a developer without
// it is told how to get it; CI (env CI set), which installs it, fails.
func need(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("no %s in CI: .ci/run installs Debian's nodejs and npm so that this test runs", name)
	}
	t.Skipf("no %s on this machine: the client test needs Node.js and npm (apt install nodejs npm; .ci/run installs them)", name)
	return ""
}

// run runs a command in this folder with env added, for at most within,
// and returns its combined output; it fails the test, showing that output
// and the gateway's log, when the command fails.
func run(t *testing.T, within time.Duration, gatewayLog *testutil.SyncBuffer, env []string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	t.Logf("%s %v: %s", name, args, time.Since(start).Round(time.Millisecond))
	if err != nil {
		logs := ""
		if gatewayLog != nil {
			logs = "\ngateway log:\n" + gatewayLog.String()
		}
		t.Fatalf("%s %v: %v\n%s%s", name, args, err, out.String(), logs)
	}
	return out.String()
}

var (
	auditLine = regexp.MustCompile(`graphql-http audit: (\d+)/(\d+) ok`)
	passLine  = regexp.MustCompile(`(?m)^# pass (\d+)$`)
	failLine  = regexp.MustCompile(`(?m)^# fail (\d+)$`)
)

// TestClients installs the pinned packages (npm ci), then runs the audit
// and the client libraries against one demo gateway. Any audit result
// other than ok, MUST, SHOULD or MAY alike, fails it.
func TestClients(t *testing.T) {
	node := need(t, "node")
	npm := need(t, "npm")
	t.Log("node " + strings.TrimSpace(run(t, 10*time.Second, nil, nil, node, "--version")))
	// The lockfile is the versions proved; an offline cache is enough.
	run(t, 5*time.Minute, nil, nil, npm, "ci", "--prefer-offline", "--no-audit", "--no-fund")

	base, logs := testutil.StartDemoGateway(t)
	env := []string{"GATEWAY_URL=" + base, "GATEWAY_SPACE=demo-space", "GATEWAY_TOKEN=demo-token"}

	audit := run(t, 2*time.Minute, logs, env, node, "audit.mjs")
	m := auditLine.FindStringSubmatch(audit)
	if m == nil {
		t.Fatalf("the audit printed no count:\n%s", audit)
	}
	ok, total := atoi(t, m[1]), atoi(t, m[2])
	if total == 0 || ok != total {
		t.Fatalf("graphql-http audit: %d/%d ok\n%s", ok, total, audit)
	}
	t.Log(strings.TrimSpace(audit))

	tests := run(t, 2*time.Minute, logs, env, node, "--test", "--test-reporter=tap", "clients.test.mjs")
	pass, fail := passLine.FindStringSubmatch(tests), failLine.FindStringSubmatch(tests)
	if pass == nil || fail == nil || atoi(t, pass[1]) == 0 || atoi(t, fail[1]) != 0 {
		t.Fatalf("client libraries: no passing run\n%s", tests)
	}
	t.Logf("client libraries: %s tests passed", pass[1])
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
