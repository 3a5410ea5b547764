package platformapi_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/ipack-gateway/ipack-gateway/platformapi"
	"github.com/ipack-gateway/ipack-gateway/platformapi/simulator"
)

// CheckCredentials reads the account's Account object with the account's
// credentials; a 401 to Basic credentials is CredentialsRefused, a 401 to a
// forwarded bearer token is not (it refuses a caller's token).
func TestCheckCredentials(t *testing.T) {
	c, sim, good := newDemoClient(t, platformapi.Options{})
	ctx := context.Background()
	if err := c.CheckCredentials(ctx, good); err != nil {
		t.Fatalf("CheckCredentials(demo credentials) = %v", err)
	}
	if r := sim.Requests()[0]; r.Method != "GET" || r.Path != "/demo-account/Account/demo-account" || r.Header.Get("Authorization") == "" {
		t.Errorf("request = %s %s, Authorization %q", r.Method, r.Path, r.Header.Get("Authorization"))
	}

	tests := []struct {
		name    string
		acct    platformapi.Account
		refused bool
	}{
		{"wrong password", platformapi.Account{ID: simulator.DemoAccountID, Credentials: platformapi.Basic(simulator.DemoUsername, "wrong")}, true},
		{"another account", platformapi.Account{ID: "no-such-account", Credentials: good.Credentials}, true},
		{"refused bearer token", platformapi.Account{ID: simulator.DemoAccountID, Credentials: platformapi.Bearer("not-a-vendor-token")}, false},
	}
	for _, tt := range tests {
		err := c.CheckCredentials(ctx, tt.acct)
		var pe *platformapi.Error
		if !errors.As(err, &pe) || pe.StatusCode != http.StatusUnauthorized || pe.Object != "Account" {
			t.Errorf("%s: CheckCredentials = %v, want a 401 on Account", tt.name, err)
			continue
		}
		if pe.CredentialsRefused() != tt.refused {
			t.Errorf("%s: CredentialsRefused() = %v, want %v", tt.name, pe.CredentialsRefused(), tt.refused)
		}
	}
	// The bearer token the simulator accepts passes too.
	if err := c.CheckCredentials(ctx, platformapi.Account{ID: simulator.DemoAccountID, Credentials: platformapi.Bearer(simulator.DemoBearerToken)}); err != nil {
		t.Errorf("CheckCredentials(demo bearer token) = %v", err)
	}
	// Any other call's 401 is marked the same way.
	_, err := c.QueryEnvironments(ctx, platformapi.Account{ID: simulator.DemoAccountID, Credentials: platformapi.Basic("x", "y")}, nil)
	var pe *platformapi.Error
	if !errors.As(err, &pe) || !pe.CredentialsRefused() {
		t.Errorf("QueryEnvironments with wrong credentials = %v, want CredentialsRefused", err)
	}
}
