package platformapi_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/ipack-gateway/ipack-gateway/platformapi"
	"github.com/ipack-gateway/ipack-gateway/platformapi/simulator"
)

// TestCredentialsRefused: a 401 to Basic credentials, the account's own,
// is CredentialsRefused, on CheckCredentials as on any call; a 401 to a
// forwarded bearer token is not (it refuses a caller's token).
func TestCredentialsRefused(t *testing.T) {
	c, _, good := newDemoClient(t, platformapi.Options{})
	ctx := context.Background()
	tests := []struct {
		name    string
		call    func(platformapi.Account) error
		acct    platformapi.Account
		refused bool
	}{
		{"wrong password", checkCreds(c), platformapi.Account{ID: simulator.DemoAccountID, Credentials: platformapi.Basic(simulator.DemoUsername, "wrong")}, true},
		{"an account they cannot see", checkCreds(c), platformapi.Account{ID: "no-such-account", Credentials: good.Credentials}, true},
		{"refused bearer token", checkCreds(c), platformapi.Account{ID: simulator.DemoAccountID, Credentials: platformapi.Bearer("not-a-vendor-token")}, false},
		{"query, wrong password", func(a platformapi.Account) error {
			_, err := c.QueryEnvironments(ctx, a, nil)
			return err
		}, platformapi.Account{ID: simulator.DemoAccountID, Credentials: platformapi.Basic("x", "y")}, true},
		{"query, refused bearer token", func(a platformapi.Account) error {
			_, err := c.QueryEnvironments(ctx, a, nil)
			return err
		}, platformapi.Account{ID: simulator.DemoAccountID, Credentials: platformapi.Bearer("not-a-vendor-token")}, false},
	}
	for _, tt := range tests {
		err := tt.call(tt.acct)
		var pe *platformapi.Error
		if !errors.As(err, &pe) || pe.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: %v, want a 401", tt.name, err)
			continue
		}
		if pe.CredentialsRefused() != tt.refused || pe.BasicAuth != tt.refused {
			t.Errorf("%s: CredentialsRefused() = %v, BasicAuth %v; want %v", tt.name, pe.CredentialsRefused(), pe.BasicAuth, tt.refused)
		}
	}
}

func checkCreds(c *platformapi.Client) func(platformapi.Account) error {
	return func(a platformapi.Account) error { return c.CheckCredentials(context.Background(), a) }
}
