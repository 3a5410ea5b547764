package gateway_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/ipack-gateway/ipack-gateway/authtoken"
	"github.com/ipack-gateway/ipack-gateway/internal/compose"
	"github.com/ipack-gateway/ipack-gateway/platformapi/simulator"
)

// TestNoSecretInLogsErrorsMetricsOrTraces drives successes and every kind
// of failure (gateway 401/403, REST 401, REST 503 with retries, upstream
// down) with known client tokens and REST passwords, then searches
// everything the gateway let out: every log line at debug level, every
// response (headers and body), /metrics, /readyz and every span.
func TestNoSecretInLogsErrorsMetricsOrTraces(t *testing.T) {
	t.Parallel() // long, and it asserts outcomes, not timings
	const (
		clientToken   = "ct-SECRET-7f3a9c0d"
		wrongToken    = "wt-SECRET-93bb10e4"
		restPassword  = "rp-SECRET-41d2e8aa"
		wrongPassword = "rp-SECRET-wrong-5521"
		signingKey    = "sk-SECRET-0123456789abcdef0123456789abcdef"
		tokenPassword = "tp-SECRET-api-token-77e1"
	)
	secrets := []string{clientToken, wrongToken, restPassword, wrongPassword, signingKey, tokenPassword,
		base64.StdEncoding.EncodeToString([]byte("BOOMI_TOKEN.t@example.com:" + tokenPassword)),
		base64.StdEncoding.EncodeToString([]byte(simulator.DemoUsername + ":" + restPassword)),
		base64.StdEncoding.EncodeToString([]byte(simulator.DemoUsername + ":" + wrongPassword)),
	}
	var seen strings.Builder
	record := func(what string, parts ...any) {
		fmt.Fprintf(&seen, "== %s\n", what)
		for _, p := range parts {
			fmt.Fprintf(&seen, "%v\n", p)
		}
	}
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })

	scenarios := []struct {
		name     string
		password string
		wrap     func(http.Handler) http.Handler
		down     bool
	}{
		{name: "good credentials, one 503 retried", password: restPassword, wrap: failFirst(1, http.StatusServiceUnavailable, "")},
		{name: "REST 401", password: wrongPassword},
		{name: "upstream down", password: restPassword, down: true},
	}
	for _, sc := range scenarios {
		e := newOpsEnv(t, opsOptions{password: sc.password, token: clientToken, wrap: sc.wrap,
			composeOpts: compose.Options{Tracer: tp},
			extraYAML:   "tokens: {signingKey: " + signingKey + "}\n",
			spaceYAML:   "    tokenCredentials: [{username: BOOMI_TOKEN.t@example.com, passwordHash: \"sha256:" + sha256Hex(tokenPassword) + "\"}]\n",
		})
		if sc.down {
			e.upstream.Close()
		}
		good := map[string]string{"SPACE_GUID": testSpace, "Authorization": "Bearer " + clientToken}
		// The token flow: a JWT for the token endpoint's credentials (its
		// answer is the one place a JWT may appear), then used; and a
		// wrong password.
		jwt := ""
		for _, pw := range []string{tokenPassword, wrongToken} {
			req, _ := http.NewRequest(http.MethodGet, e.base+"/auth/jwt/generate/"+simulator.DemoAccountID, nil)
			req.SetBasicAuth("BOOMI_TOKEN.t@example.com", pw)
			r := do(t, req)
			if pw == tokenPassword && r.status == http.StatusOK {
				jwt = strings.TrimSpace(string(r.body))
				continue
			}
			record(sc.name+" token response", r.status, r.header, string(r.body))
		}
		if jwt == "" {
			t.Fatalf("%s: the token endpoint issued no JWT", sc.name)
		}
		secrets = append(secrets, jwt)
		r := e.request(t, listQuery, map[string]string{"SPACE_GUID": testSpace, "Authorization": "Bearer " + jwt})
		record(sc.name+" JWT response", r.status, r.header, string(r.body))
		// A JWT signed with the right key for another space only: 403.
		signer, _ := authtoken.New(signingKey, authtoken.Options{})
		elsewhere, _, _ := signer.Issue(authtoken.Grant{Subject: "BOOMI_TOKEN.t@example.com", Credential: "c", AccountID: simulator.DemoAccountID, Spaces: []string{"another-space"}})
		secrets = append(secrets, elsewhere)
		requests := []map[string]string{
			good,
			{"SPACE_GUID": testSpace, "Authorization": "Bearer " + elsewhere},                                                 // 403
			{"SPACE_GUID": testSpace, "Authorization": "Bearer " + wrongToken},                                                // 401
			{"SPACE_GUID": testSpace, "Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("u:"+wrongToken))}, // 401
			{"SPACE_GUID": "no-such-space", "Authorization": "Bearer " + clientToken},                                         // 401
			{"Authorization": "Bearer " + clientToken},                                                                        // no space
		}
		for _, h := range requests {
			for _, q := range []string{attachQuery(seedInst, seedEnvA, seedEnvB), listQuery, `mutation { integrationPackInstanceEnvironmentAttachmentUnattach(id: "` + seedAttID + `") }`} {
				r := e.request(t, q, h)
				record(sc.name+" response", r.status, r.header, string(r.body))
			}
		}
		r = e.get(t, "/readyz", nil)
		record(sc.name+" /readyz", r.status, string(r.body))
		r = e.get(t, "/metrics", nil)
		record(sc.name+" /metrics", string(r.body))
		if err := e.stop(); err != nil {
			record(sc.name+" Serve error", err)
		}
		record(sc.name+" logs", e.logs.String())
	}
	for _, s := range exp.GetSpans() {
		record("span", s.Name, s.Attributes, s.Events, s.Status, s.Links)
	}

	out := seen.String()
	// The scenarios did what they should, so the search covers failures.
	for _, want := range []string{`"status":401`, `"code":"UNAUTHORIZED"`, `"code":"FORBIDDEN"`, "rest attempt failed", "connection refused", "REST POST IntegrationPackEnvironmentAttachment"} {
		if !strings.Contains(out, want) {
			t.Errorf("the scenarios produced no %q; the search would miss that path", want)
		}
	}
	for _, s := range secrets {
		if i := strings.Index(out, s); i >= 0 {
			t.Errorf("secret %q leaked: …%s…", s, out[max(0, i-200):min(len(out), i+len(s)+50)])
		}
	}
}
