package gateway_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipack-gateway/ipack-gateway/authtoken"
	"github.com/ipack-gateway/ipack-gateway/config"
	"github.com/ipack-gateway/ipack-gateway/gateway"
	"github.com/ipack-gateway/ipack-gateway/internal/compose"
	"github.com/ipack-gateway/ipack-gateway/platformapi/simulator"
)

const costSigningKey = "spaces-cost-test-signing-key-0123456789"

// manySpaces is a gateway with n spaces on the demo account, space-000 …;
// space i admits client token token-i only, and every space the token
// endpoint's credentials jwt-user:jwt-pass. No REST call is made by the
// spaces queries, so the upstream is never reached.
// signer, when not nil, replaces the one of the test's signing key.
func manySpaces(t testing.TB, n int, signer *authtoken.Signer) *gateway.Server {
	t.Helper()
	hash := func(s string) string {
		sum := sha256.Sum256([]byte(s))
		return "sha256:" + hex.EncodeToString(sum[:])
	}
	var b strings.Builder
	fmt.Fprintf(&b, "platform: {baseURL: http://127.0.0.1:1}\ntokens: {signingKey: %s}\nhealth: {checkUpstream: false}\n", costSigningKey)
	// No per-client limit in the way of a test that sends many requests.
	b.WriteString("clients: {requestsPerSecond: 1000000, burst: 1000000}\nspaces:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - {guid: space-%03d, accountId: %s, credentials: {username: u, password: p}, clientTokens: [%q], tokenCredentials: [{username: jwt-user, passwordHash: %q}]}\n",
			i, simulator.DemoAccountID, hash(fmt.Sprintf("token-%d", i)), hash("jwt-pass"))
	}
	cfg, err := config.Parse([]byte(b.String()), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	srv, err := compose.Gateway(cfg, slog.New(slog.DiscardHandler), compose.Options{Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// askSpaces sends query to srv in space with token and answers the body.
func askSpaces(t testing.TB, srv http.Handler, space, token, query string) string {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(fmt.Sprintf(`{"query":%q}`, query)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("SPACE_GUID", space)
	req.Header.Set("Authorization", "Bearer "+token)
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, req)
	return w.Body.String()
}

// spacesFields asks every spaces field, twice over for the lists.
const spacesFields = `{ spaces { id } again: spaces { id } Space(id: "space-007") { id } spaceAccounts { id } }`

// The spaces fields check a JWT's signature no more than authentication
// did: once per request, however many spaces are configured and fields
// asked. Signature checks are counted by the signer's clock, which Verify
// reads; the same request without the spaces fields is the baseline.
func TestSpacesVerifyTheJWTOnce(t *testing.T) {
	const n = 40
	var clock atomic.Int64
	sig, err := authtoken.New(costSigningKey, authtoken.Options{Now: func() time.Time { clock.Add(1); return time.Now() }})
	if err != nil {
		t.Fatal(err)
	}
	srv := manySpaces(t, n, sig)
	req := httptest.NewRequest(http.MethodGet, "/auth/jwt/generate/"+simulator.DemoAccountID, nil)
	req.SetBasicAuth("jwt-user", "jwt-pass")
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, req)
	jwt, _ := io.ReadAll(w.Body)
	if w.Code != http.StatusOK {
		t.Fatalf("token endpoint = %d %s", w.Code, jwt)
	}

	clock.Store(0)
	if got := askSpaces(t, srv, "space-003", string(jwt), `{ __typename }`); !strings.Contains(got, `"Query"`) {
		t.Fatalf("baseline = %s", got)
	}
	base := clock.Load()
	clock.Store(0)
	got := askSpaces(t, srv, "space-003", string(jwt), spacesFields)
	if !strings.Contains(got, `"Space":{"id":"space-007"}`) || strings.Count(got, `"id":"space-0`) != 2*n+1 {
		t.Fatalf("spaces = %s, want all %d spaces twice, space-007 and the account", got, n)
	}
	if c := clock.Load(); c != base {
		t.Errorf("signer clock read %d times by a request with the spaces fields, %d without; want the same (the JWT verified once)", c, base)
	}
}

// With client tokens, the spaces fields compare the token with each
// space's tokens once, and make nothing per space that does not admit it:
// the allocations of a request grow with the spaces it sees, not with the
// spaces configured (before, each refusing space made an error, and a miss
// scanned every space again).
func TestSpacesCostDoesNotGrowWithConfiguredSpaces(t *testing.T) {
	allocs := func(n int) float64 {
		srv := manySpaces(t, n, nil)
		if got := askSpaces(t, srv, "space-001", "token-1", spacesFields); strings.Contains(got, "errors") && !strings.Contains(got, "NOT_FOUND") {
			t.Fatalf("spaces with %d spaces = %s", n, got)
		}
		return testing.AllocsPerRun(20, func() { askSpaces(t, srv, "space-001", "token-1", spacesFields) })
	}
	few, many := allocs(3), allocs(400)
	// Before: at least one error per refusing space and field, 3 × 397.
	if many-few > 100 {
		t.Errorf("allocations per request: %.0f with 3 spaces, %.0f with 400; want about the same", few, many)
	}
}
