package gateway

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipack-gateway/ipack-gateway/config"
	"github.com/ipack-gateway/ipack-gateway/gateway/telemetry"
)

// health tracks what /readyz reports: the listener is up, the gateway is
// not draining, the upstream answered recently, and the REST API accepts
// the spaces' credentials (credentials.go). Any HTTP answer but 404
// counts, even an error status: the point is that the REST API can be
// reached at platform.baseURL. A 404 can be an object that does not exist,
// but when it is all the upstream answers, the base URL is likely wrong, and
// a gateway whose every call fails must not look ready.
type health struct {
	checkUpstream bool
	interval      time.Duration // a REST answer this recent proves the upstream reachable
	probeURL      string        // a REST object's URL, so a wrong base path answers 404
	client        *http.Client
	log           *slog.Logger

	listening atomic.Bool
	draining  atomic.Bool
	upstream  *telemetry.Observer // learns of every REST answer
	creds     *credentials        // what REST said of each space's credentials

	mu        sync.Mutex // one probe at a time
	probedAt  time.Time
	probeFail string // why the last probe failed, "" when it did not
}

func newHealth(cfg config.HealthConfig, probeURL string, transport http.RoundTripper, upstream *telemetry.Observer, log *slog.Logger) *health {
	return &health{
		upstream:      upstream,
		checkUpstream: cfg.CheckUpstream,
		interval:      cfg.UpstreamInterval,
		probeURL:      probeURL,
		log:           log,
		client: &http.Client{
			Transport:     transport,
			Timeout:       cfg.ProbeTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

func (h *health) upstreamRecent() bool { return h.upstream.UpstreamAnsweredWithin(h.interval) }

// upstreamProblem returns "" when the upstream answered within the
// interval, else probes it with an unauthenticated GET of a REST object's
// URL (cheap, and it spends no account's rate budget; the API answers 401)
// and says what is wrong: "unreachable", or a 404 that means
// platform.baseURL does not point at the REST API. A failed probe is
// remembered for a second so a burst of readiness checks makes one probe.
func (h *health) upstreamProblem(ctx context.Context) string {
	if h.upstreamRecent() {
		return ""
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.upstreamRecent() {
		return ""
	}
	if h.probeFail != "" && time.Since(h.probedAt) < time.Second {
		return h.probeFail
	}
	h.probedAt, h.probeFail = time.Now(), "unreachable"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.probeURL, nil)
	if err != nil {
		return h.probeFail
	}
	resp, err := h.client.Do(req)
	if err != nil {
		h.log.LogAttrs(ctx, slog.LevelWarn, "upstream probe failed", slog.String("err", err.Error()))
		return h.probeFail
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		h.probeFail = "answers 404: is platform.baseURL the REST API's root?"
		h.log.LogAttrs(ctx, slog.LevelWarn, "upstream probe answered 404: platform.baseURL may be wrong")
		return h.probeFail
	}
	h.probeFail = ""
	h.upstream.UpstreamAnswered()
	return ""
}

// readiness is the body of /readyz.
type readiness struct {
	Status string            `json:"status"` // ready or unready
	Checks map[string]string `json:"checks"`
}

// serveReady answers 200 when the gateway should get traffic, 503 (with
// the failing check) when not: before the listener is up, while draining
// for shutdown, when the upstream cannot be reached, and when the REST API
// refuses the credentials of every space (all are credentials spaces).
// Refused credentials of some spaces only are reported, the gateway
// ready: pulling the replica out of the load balancer would take the
// other spaces down with them, and every replica has the same
// configuration.
func (s *Server) serveReady(w http.ResponseWriter, r *http.Request) {
	h := s.health
	rd := readiness{Status: "ready", Checks: map[string]string{"config": "ok", "listener": "ok", "draining": "no", "upstream": "ok"}}
	fail := func(check, state string) {
		rd.Status, rd.Checks[check] = "unready", state
	}
	if s.spaces.Load() == nil {
		fail("config", "not loaded")
	}
	if !h.listening.Load() {
		fail("listener", "down")
	}
	if h.draining.Load() {
		fail("draining", "yes")
	}
	// Informational: a replica on its local share still serves.
	rd.Checks["rateLimitStore"] = s.limits.storeState()
	switch {
	case !h.checkUpstream || rd.Status != "ready":
		rd.Checks["upstream"] = "not checked"
		rd.Checks["credentials"] = "not checked"
	default:
		// The credentials first: when a probe is needed, its answer
		// proves the upstream reachable too, and upstreamProblem does
		// not probe again.
		ctx, cancel := context.WithTimeout(r.Context(), h.client.Timeout)
		check, none := h.creds.readiness(ctx, *s.spaces.Load())
		cancel()
		rd.Checks["credentials"] = check
		if p := h.upstreamProblem(r.Context()); p != "" {
			fail("upstream", p)
			rd.Checks["credentials"] = "not checked"
		} else if none {
			// Every space's credentials refused: nothing could be
			// served. One bad space among others only shows here.
			fail("credentials", check)
		}
	}
	status := http.StatusOK
	if rd.Status != "ready" {
		status = http.StatusServiceUnavailable
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, rd)
}
