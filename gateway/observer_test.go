package gateway_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/ipack-gateway/ipack-gateway/config"
	"github.com/ipack-gateway/ipack-gateway/gateway"
	"github.com/ipack-gateway/ipack-gateway/gateway/telemetry"
	"github.com/ipack-gateway/ipack-gateway/internal/compose"
	"github.com/ipack-gateway/ipack-gateway/platformapi"
	"github.com/ipack-gateway/ipack-gateway/resolver"
)

// fakePlatform is a resolver.Platform that answers CreateAttachment with
// create; its other methods are not called by these tests (the embedded
// nil interface would panic).
type fakePlatform struct {
	resolver.Platform
	create func(ctx context.Context, acct platformapi.Account, instanceID, environmentID string) (platformapi.Attachment, error)
}

func (f fakePlatform) CreateAttachment(ctx context.Context, acct platformapi.Account, instanceID, environmentID string) (platformapi.Attachment, error) {
	return f.create(ctx, acct, instanceID, environmentID)
}

// fakeServer is the gateway over p, built by the composition root, with
// one credentials space "fake-space" of account "acct-fake" that admits
// testToken, and the Observer it reports to;
// tune, when given, changes the config first.
func fakeServer(t *testing.T, p resolver.Platform, tune ...func(*config.Config)) (*gateway.Server, *telemetry.Observer) {
	t.Helper()
	return fakeServerLogging(t, p, slog.New(slog.DiscardHandler), tune...)
}

// fakeServerLogging is fakeServer logging to log.
func fakeServerLogging(t *testing.T, p resolver.Platform, log *slog.Logger, tune ...func(*config.Config)) (*gateway.Server, *telemetry.Observer) {
	t.Helper()
	cfg := config.Default()
	cfg.Spaces = []config.SpaceConfig{{
		GUID: "fake-space", AccountID: "acct-fake",
		Credentials:  config.Credentials{Username: "u", Password: "p"},
		ClientTokens: []string{sha(testToken)},
	}}
	for _, f := range tune {
		f(&cfg)
	}
	obs := telemetry.NewObserver("", nil)
	srv, err := compose.Gateway(&cfg, log, compose.Options{Platform: p, Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	return srv, obs
}

// TestServerOverFakePlatform: the server runs on a fake Platform, no REST
// and no simulator: an attach of two environments answers the one the
// fake attached and, at its own index, the error of the one it refused.
func TestServerOverFakePlatform(t *testing.T) {
	const good, bad = "86b413a8-1ebf-4c95-bc5b-139573b77910", "00000000-0000-4000-8000-000000000001"
	var mu sync.Mutex
	var accounts []string
	srv, _ := fakeServer(t, fakePlatform{create: func(_ context.Context, acct platformapi.Account, inst, env string) (platformapi.Attachment, error) {
		mu.Lock()
		accounts = append(accounts, acct.ID)
		mu.Unlock()
		if env == bad {
			return platformapi.Attachment{}, &platformapi.Error{Method: "POST", Object: "IntegrationPackEnvironmentAttachment", StatusCode: http.StatusNotFound}
		}
		return platformapi.Attachment{ID: "att-1", IntegrationPackInstanceID: inst, EnvironmentID: env}, nil
	}})
	body := `{"query":"mutation { integrationPackInstanceEnvironmentAttachmentAttach(input: {integrationPackInstanceId: \"` + seedInst + `\", environmentIds: [\"` + good + `\", \"` + bad + `\"]}) { environmentId } }"}`
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("SPACE_GUID", "fake-space")
	req.Header.Set("Authorization", "Bearer "+testToken)
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, req)
	got := w.Body.String()
	if w.Code != http.StatusOK || !strings.Contains(got, `{"environmentId":"`+good+`"}`) {
		t.Errorf("attach = %d %s, want 200 with %s attached", w.Code, got, good)
	}
	if !strings.Contains(got, `"path":["integrationPackInstanceEnvironmentAttachmentAttach",1,`) || !strings.Contains(got, `"code":"NOT_FOUND"`) ||
		!strings.Contains(got, `"environmentId":"`+bad+`"`) {
		t.Errorf("attach = %s, want a NOT_FOUND error at index 1 naming %s", got, bad)
	}
	if strings.Join(accounts, ",") != "acct-fake,acct-fake" {
		t.Errorf("the fake was called for accounts %v, want acct-fake twice", accounts)
	}
}
