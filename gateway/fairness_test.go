package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipack-gateway/ipack-gateway/config"
	"github.com/ipack-gateway/ipack-gateway/internal/compose"
	"github.com/ipack-gateway/ipack-gateway/platformapi/simulator"
)

// instancesQuery costs one REST call (IntegrationPackInstance/query, one page).
const instancesQuery = `{ integrationPackInstances { id } }`

// TestFairnessAcrossSpaces (issue 13, item 5): one token floods the
// account with attaches; another space's one-call query is still served
// within a few of the account's grants, not after every queued request.
// So too when far fewer requests may execute at once than the flood has
// (graphql.maxExecuting, issue 12): the flood's requests, waiting for the
// budget, do not hold the turns that the query waits for.
func TestFairnessAcrossSpaces(t *testing.T) {
	for _, tt := range []struct{ name, extraYAML string }{
		{"default", ""},
		{"two requests execute at once", "graphql: {maxExecuting: 2}\n"},
	} {
		t.Run(tt.name, func(t *testing.T) { fairnessAcrossSpaces(t, tt.extraYAML) })
	}
}

func fairnessAcrossSpaces(t *testing.T, extraYAML string) {
	// Fairness is counted in grants, not time; but the other space's
	// request takes some time to reach the budget (routing, its turn,
	// authentication, parsing), and the flood's grants go on meanwhile. At
	// 10/s a grant is 100 ms, so a request delayed by a loaded machine does
	// not count the flood's grants of that delay against the budget.
	e := newEnv(t, envOptions{platformYAML: "  rateLimit: {requestsPerSecond: 10, burst: 1}\n", extraYAML: extraYAML})

	// The flood: 64 concurrent attach(100) from the test space's one token.
	// Each keeps attach.concurrency (8) calls queued for the budget.
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body, _ := json.Marshal(map[string]any{"query": attachQuery(seedInst, demoEnvs(1, 100)...)})
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.url+"/graphql", bytes.NewReader(body))
			req.Header["SPACE_GUID"] = []string{testSpace}
			req.Header.Set("Authorization", "Bearer "+testToken)
			req.Header.Set("Content-Type", "application/json")
			if res, err := http.DefaultClient.Do(req); err == nil {
				res.Body.Close()
			}
		}()
	}
	t.Cleanup(func() { stop(); wg.Wait() })
	// Let the flood queue: 10 of its calls at 10/s take 1 s, long after
	// every flood request has reached the budget.
	for i := 0; i < 500 && len(e.restCalls(http.MethodPost, "/IntegrationPackEnvironmentAttachment")) < 10; i++ {
		time.Sleep(10 * time.Millisecond)
	}

	// Another space (the passthrough one, another client too) asks five
	// times, one after the other. The budget serves spaces in turn: with
	// two spaces waiting, the query's call is granted after at most one
	// grant to the flood's space, plus one the dispatcher may already
	// hold, plus one granted call still on its way to the upstream when
	// the query was sent: at most 3 flood calls between the query and its
	// call, 4 with slack. Round-robin over requests (the bug) puts it
	// behind every queued flood request: 64 of them, 32 grants on average.
	pass := map[string]string{"SPACE_GUID": passthroughSpace, "Authorization": "Bearer " + simulator.DemoBearerToken, "Content-Type": "application/json"}
	for i := range 5 {
		before := len(e.sim.Requests())
		r := e.do(t, http.MethodPost, instancesQuery, nil, pass)
		if r.Status != 200 || len(r.Errors) != 0 {
			t.Fatalf("query %d from the other space: %d %s", i, r.Status, r.Raw)
		}
		reqs := e.sim.Requests()
		at := -1
		for j := before; j < len(reqs); j++ {
			if strings.HasSuffix(reqs[j].Path, "/IntegrationPackInstance/query") {
				at = j
				break
			}
		}
		if at < 0 {
			t.Fatalf("query %d: no IntegrationPackInstance/query call recorded", i)
		}
		if n := at - before; n > 4 {
			t.Errorf("query %d: its one REST call came after %d flood calls; fair queueing across spaces allows at most 4", i, n)
		}
	}
}

// TestClientQueueCap (issue 13, item 5): a client may have at most
// clients.maxQueued (default 16) requests waiting for the account's
// budget; more are refused at once with RATE_LIMITED and Retry-After, not
// queued until their deadline. On a passthrough space, fresh tokens from
// one address are one client.
func TestClientQueueCap(t *testing.T) {
	// One token now, the next after 100 s: every call but the first waits
	// until the request's deadline (1 s) ends it.
	e := newEnvYAML(t, nil, "  rateLimit: {requestsPerSecond: 0.01, burst: 1}\n", "graphql: {requestTimeout: 1s}\n")
	const n = 30
	results := make([]*response, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = e.do(t, http.MethodPost, instancesQuery, nil, map[string]string{
				"SPACE_GUID": passthroughSpace, "Authorization": fmt.Sprintf("Bearer garbage-%d", i), "Content-Type": "application/json",
			})
		}()
	}
	wg.Wait()
	// One request takes the only token (its made-up token is refused
	// upstream: UNAUTHORIZED); 16 wait until their deadline (RATE_LIMITED,
	// no retryAfter); the other 13 are refused at once, with a retryAfter.
	var sent, waited, refused int
	for i, r := range results {
		switch {
		case r.Status == http.StatusTooManyRequests:
			if r.code() != "RATE_LIMITED" || r.Header.Get("Retry-After") == "" {
				t.Errorf("request %d: 429 %s, Retry-After %q; want RATE_LIMITED with Retry-After", i, r.Raw, r.Header.Get("Retry-After"))
			}
			refused++
		case r.code() == "RATE_LIMITED" && r.Errors[0].Extensions["retryAfter"] != nil:
			refused++ // refused by the budget itself: admitted in a race
		case r.code() == "RATE_LIMITED":
			waited++
		case r.code() == "UNAUTHORIZED":
			sent++
		default:
			t.Errorf("request %d: %d %s", i, r.Status, r.Raw)
		}
	}
	if sent != 1 || waited != 16 || refused != n-17 {
		t.Errorf("%d requests from one address: %d sent, %d waited for the budget, %d refused; want 1, 16 (clients.maxQueued), %d", n, sent, waited, refused, n-17)
	}
	if got := len(e.sim.Requests()); got != 1 {
		t.Errorf("%d REST calls, want 1: the budget had one token", got)
	}
}

// TestFreshJWTsAreOneClient: tokens from the token endpoint are free to
// mint, so each fresh one must not be a fresh client (a fresh request
// rate, a fresh place in the budget's round-robin, a fresh queue bound):
// a JWT's client is its account and subject, the user it was issued to.
func TestFreshJWTsAreOneClient(t *testing.T) {
	sim := simulator.NewDemo(simulator.Options{RateLimit: -1})
	up := httptest.NewServer(sim)
	t.Cleanup(up.Close)
	yaml := fmt.Sprintf(`platform:
  baseURL: %s
tokens:
  signingKey: %s
clients: {requestsPerSecond: 0.01, burst: 2}
spaces:
  - guid: space-jwt
    accountId: %s
    credentials: {username: %q, password: %q}
    tokenCredentials: [{username: %q, passwordHash: %q}]
`, up.URL, authKey, simulator.DemoAccountID, simulator.DemoUsername, simulator.DemoPassword, authUser, sha(authPassword))
	cfg, err := config.Parse([]byte(yaml), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	srv, err := compose.Gateway(cfg, slog.New(slog.DiscardHandler), compose.Options{})
	if err != nil {
		t.Fatal(err)
	}
	gw := httptest.NewServer(srv)
	t.Cleanup(gw.Close)
	e := &env{url: gw.URL}

	// Three tokens for one user; a burst of 2 requests per client.
	var statuses []int
	for range 3 {
		req, _ := http.NewRequest(http.MethodGet, gw.URL+"/auth/jwt/generate/"+simulator.DemoAccountID, nil)
		req.SetBasicAuth(authUser, authPassword)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		tok, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("token endpoint: %d %s", res.StatusCode, tok)
		}
		r := e.do(t, http.MethodPost, `{ __typename }`, nil, map[string]string{
			"SPACE_GUID": "space-jwt", "Authorization": "Bearer " + string(tok), "Content-Type": "application/json",
		})
		statuses = append(statuses, r.Status)
	}
	if !slices.Equal(statuses, []int{200, 200, 429}) {
		t.Errorf("three requests, each with a fresh token of one user, burst 2: statuses %v, want [200 200 429]", statuses)
	}
}
