package resolver_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ipack-gateway/ipack-gateway/platformapi"
)

// TestAttachQueueFull: a call the rate budget refused because its client
// has too many requests waiting was never sent. Its environment fails with
// RATE_LIMITED and a retryAfter at once, without asking REST whether the
// attachment exists; the other environments are attached.
func TestAttachQueueFull(t *testing.T) {
	queries := 0
	p := &fakePlatform{
		create: func(ctx context.Context, instanceID, env string) (platformapi.Attachment, error) {
			if env == envB {
				return platformapi.Attachment{}, &platformapi.Error{Method: "POST", Object: "IntegrationPackEnvironmentAttachment",
					Err: &platformapi.QueueFullError{RetryAfter: 2500 * time.Millisecond}}
			}
			return echo("")(ctx, instanceID, env)
		},
		query: func(context.Context, *platformapi.Expression) ([]platformapi.Attachment, error) {
			queries++
			return nil, nil
		},
	}
	got := exec(t, p, attach("{ id environmentId }", envA, envB))
	want := `"path":["integrationPackInstanceEnvironmentAttachmentAttach",1,"id"],"extensions":{"code":"RATE_LIMITED","environmentId":"` + envB + `","outcome":"not_sent","retryAfter":3}`
	if !strings.Contains(got, want) || !strings.Contains(got, `"environmentId":"`+envA+`"`) {
		t.Errorf("attach with a refused call:\n got %s\nwant an error with %s, and %s attached", got, want, envA)
	}
	if queries != 0 {
		t.Errorf("%d settling queries for a call never sent, want 0", queries)
	}
}
