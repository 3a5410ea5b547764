package gateway

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// health tracks what /readyz reports: the listener is up, the gateway is
// not draining, and the upstream answered recently (any HTTP answer counts,
// even an error status: the point is that it can be reached).
type health struct {
	checkUpstream bool
	interval      time.Duration // a REST answer this recent proves the upstream reachable
	probeURL      string
	client        *http.Client
	log           *slog.Logger

	listening    atomic.Bool
	draining     atomic.Bool
	lastUpstream atomic.Int64 // unix nanoseconds of the last upstream answer

	mu        sync.Mutex // one probe at a time
	probedAt  time.Time
	probeFail bool
}

func newHealth(cfg HealthConfig, probeURL string, transport http.RoundTripper, log *slog.Logger) *health {
	return &health{
		checkUpstream: *cfg.CheckUpstream,
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

func (h *health) upstreamSeen() { h.lastUpstream.Store(time.Now().UnixNano()) }

func (h *health) upstreamRecent() bool {
	return time.Since(time.Unix(0, h.lastUpstream.Load())) < h.interval
}

// upstreamReachable reports whether the upstream answered within the
// interval, else probes it with an unauthenticated GET of the REST root
// (cheap, and it spends no account's rate budget). A failed probe is
// remembered for a second so a burst of readiness checks makes one probe.
func (h *health) upstreamReachable(ctx context.Context) bool {
	if h.upstreamRecent() {
		return true
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.upstreamRecent() {
		return true
	}
	if h.probeFail && time.Since(h.probedAt) < time.Second {
		return false
	}
	h.probedAt, h.probeFail = time.Now(), true
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.probeURL, nil)
	if err != nil {
		return false
	}
	resp, err := h.client.Do(req)
	if err != nil {
		h.log.LogAttrs(ctx, slog.LevelWarn, "upstream probe failed", slog.String("err", err.Error()))
		return false
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	h.probeFail = false
	h.upstreamSeen()
	return true
}

// readiness is the body of /readyz.
type readiness struct {
	Status string            `json:"status"` // ready or unready
	Checks map[string]string `json:"checks"`
}

// serveReady answers 200 when the gateway should get traffic, 503 (with
// the failing check) when not: before the listener is up, while draining
// for shutdown, and when the upstream cannot be reached.
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
	switch {
	case !h.checkUpstream || rd.Status != "ready":
		rd.Checks["upstream"] = "not checked"
	case !h.upstreamReachable(r.Context()):
		fail("upstream", "unreachable")
	}
	status := http.StatusOK
	if rd.Status != "ready" {
		status = http.StatusServiceUnavailable
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, rd)
}
