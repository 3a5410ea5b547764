package main

import (
	"github.com/ipack-gateway/ipack-gateway/internal/testutil"

	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// demoCommand is one command of the demo printout, as curl would send it.
type demoCommand struct {
	method, url, user, password, body string
	headers                           [][2]string
	setsToken                         bool // TOKEN=$(curl …)
}

var (
	curlURL    = regexp.MustCompile(`(http://[^\s'")]+)`)
	curlUser   = regexp.MustCompile(`-u '([^:']*):([^']*)'`)
	curlHeader = regexp.MustCompile(`-H (?:'([^:']+): ([^']*)'|"([^:"]+): ([^"]*)")`)
	curlBody   = regexp.MustCompile(`-d '([^']*)'`)
)

// demoCommands parses the curl commands of the demo printout, in order.
// A command is a paragraph holding "curl"; lines end in "\" to go on.
func demoCommands(out string) []demoCommand {
	var cmds []demoCommand
	for _, para := range strings.Split(out, "\n\n") {
		para = strings.ReplaceAll(para, "\\\n", " ")
		for _, line := range strings.Split(para, "\n") {
			if !strings.Contains(line, "curl ") {
				continue
			}
			c := demoCommand{method: "GET", setsToken: strings.HasPrefix(line, "TOKEN=$(")}
			if m := curlURL.FindStringSubmatch(line); m != nil {
				c.url = m[1]
			}
			if m := curlUser.FindStringSubmatch(line); m != nil {
				c.user, c.password = m[1], m[2]
			}
			for _, h := range curlHeader.FindAllStringSubmatch(line, -1) {
				if h[1] != "" {
					c.headers = append(c.headers, [2]string{h[1], h[2]})
				} else {
					c.headers = append(c.headers, [2]string{h[3], h[4]})
				}
			}
			if m := curlBody.FindStringSubmatch(line); m != nil {
				c.method, c.body = "POST", m[1]
			}
			cmds = append(cmds, c)
		}
	}
	return cmds
}

// do sends c, with token for $TOKEN.
func (c demoCommand) do(t *testing.T, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(c.method, c.url, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	if c.user != "" {
		req.SetBasicAuth(c.user, c.password)
	}
	for _, h := range c.headers {
		req.Header[h[0]] = []string{strings.ReplaceAll(h[1], "$TOKEN", token)}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

// startDemo runs the program in demo mode on a loopback port until the
// test ends and returns what it printed, which it writes once the listener
// is up.
func startDemo(t *testing.T) string {
	t.Helper()
	_, stdout, _ := startRun(t, []string{"-listen", "127.0.0.1:0"}, func(string) string { return "" })
	return testutil.WaitFor(t, stdout, regexp.MustCompile(`(?s)\A.*curl.*\n\n\z`), 5*time.Second, nil)
}

// TestDemoTokenAndPassthrough follows the printout's token flow and its
// passthrough example.
func TestDemoTokenAndPassthrough(t *testing.T) {
	cmds := demoCommands(startDemo(t))
	if len(cmds) != 4 {
		t.Fatalf("printout has %d commands, want 4 (attach, token, token use, passthrough): %+v", len(cmds), cmds)
	}

	status, token := cmds[1].do(t, "")
	if !cmds[1].setsToken || status != 200 || strings.Count(token, ".") != 2 {
		t.Fatalf("token command: %d %q", status, token)
	}
	status, body := cmds[2].do(t, token)
	var insts struct {
		Data struct {
			IntegrationPackInstances []struct {
				ID              string
				IntegrationPack struct{ Name, InstallationType string }
			}
		}
	}
	if err := json.Unmarshal([]byte(body), &insts); status != 200 || err != nil || len(insts.Data.IntegrationPackInstances) != 4 || // 1950, 34486, 20, 27972
		insts.Data.IntegrationPackInstances[0].IntegrationPack.InstallationType != "MULTI" {
		t.Errorf("instances with the token: %d %s", status, body)
	}
	if status, body := cmds[2].do(t, "not-a-token"); status != 401 {
		t.Errorf("instances with a bad token: %d %s, want 401", status, body)
	}

	// The passthrough example lists all 120 demo environments: two REST
	// pages of at most 100.
	status, body = cmds[3].do(t, "")
	var envs struct {
		Data struct {
			Environments []struct {
				ID, Classification                   string
				IntegrationPackEnvironmentAttachment []any
			}
		}
		Errors []any
	}
	if err := json.Unmarshal([]byte(body), &envs); status != 200 || err != nil || len(envs.Errors) > 0 || len(envs.Data.Environments) != 120 {
		t.Errorf("passthrough environments: %d, %d environments, errors %v", status, len(envs.Data.Environments), envs.Errors)
	}
}
