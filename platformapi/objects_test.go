package platformapi_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipack-gateway/ipack-gateway/ids"
	"github.com/ipack-gateway/ipack-gateway/platformapi"
	"github.com/ipack-gateway/ipack-gateway/platformapi/simulator"
)

func newDemoClient(t *testing.T, opts platformapi.Options) (*platformapi.Client, *simulator.Server, platformapi.Account) {
	t.Helper()
	sim := simulator.NewDemo(simulator.Options{RateLimit: -1, RecordRequests: true})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	opts.BaseURL = srv.URL
	c, err := platformapi.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c, sim, platformapi.Account{ID: simulator.DemoAccountID, Credentials: platformapi.Basic(simulator.DemoUsername, simulator.DemoPassword)}
}

func TestInstanceCalls(t *testing.T) {
	c, sim, acct := newDemoClient(t, platformapi.Options{})
	ctx := context.Background()

	inst, err := c.InstallInstance(ctx, acct, simulator.DemoMultiPackID, "Sync APAC")
	if err != nil {
		t.Fatal(err)
	}
	if inst.ID != ids.Instance(34487) || inst.IntegrationPackID != simulator.DemoMultiPackID || inst.IntegrationPackOverrideName != "Sync APAC" {
		t.Errorf("InstallInstance = %+v", inst)
	}
	reqs := sim.Requests()
	if r := reqs[len(reqs)-1]; r.Method != "POST" || r.Path != "/demo-account/IntegrationPackInstance" ||
		string(r.Body) != `{"integrationPackId":"`+simulator.DemoMultiPackID+`","integrationPackOverrideName":"Sync APAC"}` {
		t.Errorf("install request = %s %s %s", r.Method, r.Path, r.Body)
	}
	// Without an override name the key is left out, not sent empty.
	sim.ResetRequests()
	if _, err := c.InstallInstance(ctx, acct, simulator.DemoMultiPackID, ""); err != nil {
		t.Fatal(err)
	}
	if r := sim.Requests()[0]; strings.Contains(string(r.Body), "OverrideName") {
		t.Errorf("install body without name = %s", r.Body)
	}

	all, err := c.QueryInstances(ctx, acct, nil)
	if err != nil || len(all) != 6 { // 1950, 34486, 20, 27972 and the two above
		t.Fatalf("QueryInstances = %d, %v; want 6", len(all), err)
	}
	f := platformapi.Equals("integrationPackOverrideName", "Sync APAC")
	if got, err := c.QueryInstances(ctx, acct, &f); err != nil || len(got) != 1 || got[0].ID != inst.ID {
		t.Errorf("QueryInstances(name) = %+v, %v", got, err)
	}

	sim.ResetRequests()
	if err := c.UninstallInstance(ctx, acct, inst.ID); err != nil {
		t.Fatal(err)
	}
	if r := sim.Requests()[0]; r.Method != "DELETE" || r.Path != "/demo-account/IntegrationPackInstance/"+inst.ID {
		t.Errorf("uninstall request = %s %s", r.Method, r.Path)
	}
	err = c.UninstallInstance(ctx, acct, inst.ID)
	var pe *platformapi.Error
	if !errors.As(err, &pe) || pe.StatusCode != 400 || !strings.Contains(pe.Message, "does not exist") {
		t.Errorf("second UninstallInstance = %v, want 400 does not exist", err)
	}
}

func TestEnvironmentAndPackQueries(t *testing.T) {
	c, sim, acct := newDemoClient(t, platformapi.Options{})
	ctx := context.Background()

	envs, err := c.QueryEnvironments(ctx, acct, nil)
	if err != nil || len(envs) != 120 {
		t.Fatalf("QueryEnvironments = %d, %v; want 120", len(envs), err)
	}
	if envs[0] != (platformapi.Environment{ID: simulator.DemoSeedEnvironmentA, Name: "Production", Classification: "PROD"}) {
		t.Errorf("first environment = %+v", envs[0])
	}
	// 120 results: query, then one queryMore with the raw token as text/plain.
	reqs := sim.Requests()
	if len(reqs) != 2 || reqs[1].Path != "/demo-account/Environment/queryMore" || reqs[1].Header.Get("Content-Type") != "text/plain" ||
		!strings.HasPrefix(string(reqs[1].Body), "EXAMPLE_QUERY_TOKEN_") {
		t.Errorf("requests = %d; second %s %q %q", len(reqs), reqs[len(reqs)-1].Path, reqs[len(reqs)-1].Header.Get("Content-Type"), reqs[len(reqs)-1].Body)
	}

	f := platformapi.Or(platformapi.Equals("id", simulator.DemoMultiPackID), platformapi.Equals("id", simulator.DemoSinglePackID))
	packs, err := c.QueryIntegrationPacks(ctx, acct, &f)
	if err != nil || len(packs) != 2 {
		t.Fatalf("QueryIntegrationPacks = %+v, %v", packs, err)
	}
	if p := packs[0]; p.ID != simulator.DemoMultiPackID || p.InstallationType != "MULTI" || p.Name == "" || p.Description == "" {
		t.Errorf("pack = %+v", p)
	}
}

// A query stops at Options.MaxQueryPages: 120 environments need two pages.
func TestQueryPageLimit(t *testing.T) {
	c, _, acct := newDemoClient(t, platformapi.Options{MaxQueryPages: 1})
	_, err := c.QueryEnvironments(context.Background(), acct, nil)
	if !errors.Is(err, platformapi.ErrTooManyPages) {
		t.Errorf("QueryEnvironments with 1 page allowed = %v, want ErrTooManyPages", err)
	}
}

func TestBearerCredentials(t *testing.T) {
	c, sim, _ := newDemoClient(t, platformapi.Options{})
	acct := platformapi.Account{ID: simulator.DemoAccountID, Credentials: platformapi.Bearer(simulator.DemoBearerToken)}
	if _, err := c.QueryIntegrationPacks(context.Background(), acct, nil); err != nil {
		t.Fatal(err)
	}
	if got := sim.Requests()[0].Header.Get("Authorization"); got != "Bearer "+simulator.DemoBearerToken {
		t.Errorf("Authorization = %q", got)
	}
}

// An install is not repeated once it may have been carried out (a proxy's
// 502 says it may), since a repeat could install the pack twice. A 503 or
// 429 does not prove that nothing was done either (the vendor documents no
// body that tells its rate-limit refusal apart, and a proxy may answer so
// after forwarding): not repeated. A failure to connect is: nothing left.
func TestInstallNotRepeatedWhenAmbiguous(t *testing.T) {
	for _, tc := range []struct {
		name          string
		firstStatus   int
		wantRequests  int
		wantErr       bool
		wantAmbiguous bool
	}{
		{"502 once: stop", http.StatusBadGateway, 1, true, true},
		{"503 once: stop", http.StatusServiceUnavailable, 1, true, true},
		{"429 once: stop", http.StatusTooManyRequests, 1, true, true},
		{"400 once: answered", http.StatusBadRequest, 1, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim := simulator.NewDemo(simulator.Options{RateLimit: -1})
			var n atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if n.Add(1) == 1 {
					w.WriteHeader(tc.firstStatus)
					return
				}
				sim.ServeHTTP(w, r)
			}))
			defer srv.Close()
			c, err := platformapi.New(platformapi.Options{BaseURL: srv.URL, Retry: platformapi.RetryPolicy{WaitMin: time.Millisecond, WaitMax: 2 * time.Millisecond}})
			if err != nil {
				t.Fatal(err)
			}
			acct := platformapi.Account{ID: simulator.DemoAccountID, Credentials: platformapi.Basic(simulator.DemoUsername, simulator.DemoPassword)}
			_, err = c.InstallInstance(context.Background(), acct, simulator.DemoMultiPackID, "")
			var pe *platformapi.Error
			if got := int(n.Load()); got != tc.wantRequests || (err != nil) != tc.wantErr ||
				(err != nil && (!errors.As(err, &pe) || pe.Ambiguous != tc.wantAmbiguous)) {
				t.Errorf("InstallInstance: %d requests, err %v; want %d, error %v, ambiguous %v", got, err, tc.wantRequests, tc.wantErr, tc.wantAmbiguous)
			}
		})
	}
}

// TestQueryMoreTokenRefused: a queryMore whose answer was lost is tried
// again, and the vendor refuses the token it already used (400). The query
// starts over from page 1 instead of failing; a token refused on every run
// ends, after two restarts, in ErrQueryTokenRefused, never a bare 400.
func TestQueryMoreTokenRefused(t *testing.T) {
	for _, tc := range []struct {
		name    string
		lose    int32 // queryMore answers lost after the simulator served them
		refuse  bool  // every queryMore is answered 400 Invalid query token
		wantErr bool
		want    []string // the requests' paths, in order
	}{
		{"answer lost once", 1, false, false, []string{"query", "queryMore", "queryMore", "query", "queryMore"}},
		{"refused every time", 0, true, true, []string{"query", "queryMore", "query", "queryMore", "query", "queryMore"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim := simulator.NewDemo(simulator.Options{RateLimit: -1})
			var lost atomic.Int32
			var mu sync.Mutex
			var got []string // the paths' last elements, as they arrive
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				got = append(got, r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:])
				mu.Unlock()
				if strings.HasSuffix(r.URL.Path, "/queryMore") {
					if tc.refuse {
						w.WriteHeader(http.StatusBadRequest)
						_, _ = w.Write([]byte(`{"@type":"Error","message":"Invalid query token."}`))
						return
					}
					if lost.Add(1) <= tc.lose {
						sim.ServeHTTP(httptest.NewRecorder(), r) // the token is used up
						panic(http.ErrAbortHandler)
					}
				}
				sim.ServeHTTP(w, r)
			}))
			defer srv.Close()
			c, err := platformapi.New(platformapi.Options{BaseURL: srv.URL, Retry: fastRetry})
			if err != nil {
				t.Fatal(err)
			}
			envs, err := c.QueryEnvironments(context.Background(), demoAcct, nil)
			var pe *platformapi.Error
			switch {
			case tc.wantErr && (!errors.Is(err, platformapi.ErrQueryTokenRefused) || !errors.As(err, &pe) || pe.StatusCode != 400):
				t.Errorf("QueryEnvironments = %v, want ErrQueryTokenRefused with the 400", err)
			case !tc.wantErr && (err != nil || len(envs) != 120):
				t.Errorf("QueryEnvironments = %d environments, %v; want all 120", len(envs), err)
			}
			mu.Lock()
			defer mu.Unlock()
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("requests = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestCheckCredentials: a GET of the account's own Account object; nil for
// credentials the API accepts, a 401 *Error for others.
func TestCheckCredentials(t *testing.T) {
	c, sim, basic := newDemoClient(t, platformapi.Options{})
	ctx := context.Background()
	for _, tt := range []struct {
		name   string
		acct   platformapi.Account
		status int // 0: accepted
	}{
		{"basic", basic, 0},
		{"bearer", platformapi.Account{ID: simulator.DemoAccountID, Credentials: platformapi.Bearer(simulator.DemoBearerToken)}, 0},
		{"bad bearer", platformapi.Account{ID: simulator.DemoAccountID, Credentials: platformapi.Bearer("guessed")}, 401},
		{"bad password", platformapi.Account{ID: simulator.DemoAccountID, Credentials: platformapi.Basic(simulator.DemoUsername, "guessed")}, 401},
	} {
		sim.ResetRequests()
		err := c.CheckCredentials(ctx, tt.acct)
		var pe *platformapi.Error
		switch {
		case tt.status == 0 && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.status != 0 && (!errors.As(err, &pe) || pe.StatusCode != tt.status):
			t.Errorf("%s: %v, want a %d", tt.name, err, tt.status)
		}
		reqs := sim.Requests()
		if len(reqs) != 1 || reqs[0].Method != "GET" || reqs[0].Path != "/"+simulator.DemoAccountID+"/Account/"+simulator.DemoAccountID {
			t.Errorf("%s: requests %+v, want one GET of the Account", tt.name, reqs)
		}
	}
}
