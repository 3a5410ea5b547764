package platformapi_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"

	"github.com/ipack-gateway/ipack-gateway/platformapi"
)

// Every call that puts an id into a path keeps it one segment: "", "."
// and ".." are refused unsent (a server would read them as the
// collection, or a step up), anything else is escaped where it must be.
func TestIDsStayOnePathSegment(t *testing.T) {
	ctx := context.Background()
	calls := []struct {
		name, object, suffix string
		run                  func(c *platformapi.Client, a platformapi.Account, id string) error
	}{
		{"DeleteAttachment", "IntegrationPackEnvironmentAttachment", "", func(c *platformapi.Client, a platformapi.Account, id string) error {
			return c.DeleteAttachment(ctx, a, id)
		}},
		{"GetInstance", "IntegrationPackInstance", "", func(c *platformapi.Client, a platformapi.Account, id string) error {
			_, err := c.GetInstance(ctx, a, id)
			return err
		}},
		{"UninstallInstance", "IntegrationPackInstance", "", func(c *platformapi.Client, a platformapi.Account, id string) error {
			return c.UninstallInstance(ctx, a, id)
		}},
		{"UpdateEnvironmentExtensions", "EnvironmentExtensions", "/update", func(c *platformapi.Client, a platformapi.Account, id string) error {
			_, err := c.UpdateEnvironmentExtensions(ctx, a, id, []byte(`{}`))
			return err
		}},
		{"UpdateMapExtension", "EnvironmentMapExtension", "/update", func(c *platformapi.Client, a platformapi.Account, id string) error {
			_, err := c.UpdateMapExtension(ctx, a, id, []byte(`{}`))
			return err
		}},
		{"UpdateProcessSchedules", "ProcessSchedules", "/update", func(c *platformapi.Client, a platformapi.Account, id string) error {
			_, err := c.UpdateProcessSchedules(ctx, a, id, []byte(`{}`))
			return err
		}},
	}
	var mu sync.Mutex
	var sent []string // paths as they left, escaped
	tr := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		mu.Lock()
		sent = append(sent, r.URL.EscapedPath())
		mu.Unlock()
		return http.DefaultTransport.RoundTrip(r)
	})
	c, _, acct := newDemoClient(t, platformapi.Options{Transport: tr, Retry: platformapi.RetryPolicy{MaxAttempts: 1}})
	reset := func() []string {
		mu.Lock()
		defer mu.Unlock()
		s := sent
		sent = nil
		return s
	}
	for _, call := range calls {
		for _, id := range []string{"", ".", ".."} {
			reset()
			err := call.run(c, acct, id)
			var pe *platformapi.Error
			if got := reset(); !errors.Is(err, platformapi.ErrBadID) || !errors.As(err, &pe) || pe.Outcome() != platformapi.OutcomeNotSent || len(got) != 0 {
				t.Errorf("%s(%q) = %v after sending %q; want ErrBadID, not sent", call.name, id, err, got)
			}
		}
		for id, seg := range map[string]string{"a/../b": "a%2F..%2Fb", "Q1BT=:x-_": "Q1BT=:x-_", "a b?c": "a%20b%3Fc"} {
			reset()
			_ = call.run(c, acct, id)
			want := "/demo-account/" + call.object + "/" + seg + call.suffix
			if got := reset(); len(got) != 1 || got[0] != want {
				t.Errorf("%s(%q) sent %q, want one request to %s", call.name, id, got, want)
			}
		}
	}
}
