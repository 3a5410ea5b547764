package gateway_test

import (
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/ipack-gateway/ipack-gateway/config"
)

func TestReload(t *testing.T) {
	// No inbound limit: the test sends ~110 requests at once with a token.
	const extra = "clients: {requestsPerSecond: 0}\n"
	e := newOpsEnv(t, opsOptions{extraYAML: extra})
	const newToken = "new-token-91ac"
	load := func(tokens ...string) func() (*config.Config, error) {
		return func() (*config.Config, error) {
			yaml := opsYAML(e.upstream.URL, tokens[0], "", extra)
			for _, tok := range tokens[1:] {
				sum := sha256Hex(tok)
				yaml = strings.Replace(yaml, `clientTokens: ["`, `clientTokens: ["sha256:`+sum+`", "`, 1)
			}
			return config.Parse([]byte(yaml), func(string) string { return "x" })
		}
	}
	status := func(token string) int {
		// No REST call: the account's rate budget would pace the test.
		return e.request(t, "{ __typename }", map[string]string{"SPACE_GUID": testSpace, "Authorization": "Bearer " + token}).status
	}
	if got := status(newToken); got != 401 {
		t.Fatalf("new token before reload: %d, want 401", got)
	}

	// Requests keep flowing with the old token while the spaces are swapped
	// again and again: none fails. 4 clients × 25 requests, 50 reloads.
	var wg sync.WaitGroup
	failures := make(chan int, 100)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 25 {
				if st := status(testToken); st != 200 {
					failures <- st
				}
			}
		}()
	}
	for i := range 50 {
		tokens := []string{testToken}
		if i%2 == 0 {
			tokens = append(tokens, newToken)
		}
		if err := e.srv.Reload(load(tokens...)); err != nil {
			t.Fatalf("Reload: %v", err)
		}
	}
	wg.Wait()
	close(failures)
	for st := range failures {
		t.Errorf("request during reloads answered %d", st)
	}

	// Swap the token: the new one works, the old one no longer does.
	if err := e.srv.Reload(load(newToken)); err != nil {
		t.Fatal(err)
	}
	if a, b := status(newToken), status(testToken); a != 200 || b != 401 {
		t.Errorf("after reload: new token %d, old token %d; want 200, 401", a, b)
	}
	// A bad config is refused and the running one stays.
	bad := func() (*config.Config, error) {
		return config.Parse([]byte("spaces: []"), func(string) string { return "" })
	}
	if err := e.srv.Reload(bad); err == nil {
		t.Error("Reload of an invalid config succeeded")
	}
	if got := status(newToken); got != 200 {
		t.Errorf("after a failed reload: %d, want 200 (config kept)", got)
	}
	fams := e.scrape(t)
	if ok, failed := value(fams, "ipack_gateway_config_reloads_total", map[string]string{"result": "ok"}), value(fams, "ipack_gateway_config_reloads_total", map[string]string{"result": "error"}); ok != 51 || failed != 1 {
		t.Errorf("config_reloads_total ok=%v error=%v, want 51 and 1", ok, failed)
	}
	if n := len(logLines(t, e.logs.String(), "config reload failed; the running configuration stays")); n != 1 {
		t.Errorf("%d reload failure lines, want 1", n)
	}
	// Keys that need a restart are named, not applied.
	withAttach := func() (*config.Config, error) {
		return config.Parse([]byte(opsYAML(e.upstream.URL, newToken, "", extra+"attach: {concurrency: 2}\n")), func(string) string { return "x" })
	}
	if err := e.srv.Reload(withAttach); err != nil {
		t.Fatal(err)
	}
	if l := logLines(t, e.logs.String(), "config changes that need a restart were not applied"); len(l) != 1 || !strings.Contains(slogValue(l[0]["keys"]), "attach") {
		t.Errorf("restart warning = %v, want one naming attach", l)
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func slogValue(v any) string {
	var b strings.Builder
	slog.New(slog.NewTextHandler(&b, nil)).Info("", "v", v)
	return b.String()
}
