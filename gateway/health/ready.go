// Package health answers /readyz: whether this replica should get
// traffic. It is ready once its listener is up, until it drains for
// shutdown, while the REST API can be reached (a recent REST answer, else
// a cheap probe), and unless the REST API refuses the credentials of every
// space (credentials.go).
package health

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipack-gateway/ipack-gateway/config"
	"github.com/ipack-gateway/ipack-gateway/platformapi"
)

// Health tracks what /readyz reports, and answers it (ServeHTTP): the
// listener is up, the gateway is not draining, the upstream answered
// recently, and the REST API accepts the spaces' credentials
// (credentials.go). Any HTTP answer but 404 counts, even an error status:
// the point is that the REST API can be reached at platform.baseURL. A 404
// can be an object that does not exist, but when it is all the upstream
// answers, the base URL is likely wrong, and a gateway whose every call
// fails must not look ready.
type Health struct {
	checkUpstream bool
	interval      time.Duration // a REST answer this recent proves the upstream reachable
	probeURL      string        // a REST object's URL, so a wrong base path answers 404
	client        *http.Client
	log           *slog.Logger
	spaces        func() []Space
	store         func() string

	listening atomic.Bool
	draining  atomic.Bool
	upstream  Upstream     // learns of every REST answer
	creds     *credentials // what REST said of each space's credentials

	mu        sync.Mutex // one probe at a time
	probedAt  time.Time
	probeFail string // why the last probe failed, "" when it did not
}

// Upstream tells whether the REST API answered lately; it learns of every
// REST answer (*telemetry.Observer is one).
type Upstream interface {
	// UpstreamAnsweredWithin reports whether the REST API answered
	// (anything but a 404) within d.
	UpstreamAnsweredWithin(d time.Duration) bool
	// UpstreamAnswered notes an answer now: the probe's.
	UpstreamAnswered()
}

// A Space is what /readyz needs of a configured space.
type Space struct {
	GUID string
	// Credentials is the check of the space's REST credentials (Track);
	// nil for a passthrough space, which has none.
	Credentials *CredentialsCheck
}

// Options are what Health reads beyond the configuration.
type Options struct {
	// Upstream learns of every REST answer. Required.
	Upstream Upstream
	// Credentials, when set, lets /readyz ask the REST API whether it
	// accepts each credentials space's credentials (*platformapi.Client
	// does); nil: /readyz does not check them.
	Credentials CredentialsChecker
	// Spaces returns the spaces configured now; nil while no
	// configuration is loaded. Required.
	Spaces func() []Space
	// Store says where the rate limits are, for the informational
	// rateLimitStore check; nil: the check is left out.
	Store func() string
	// Log receives the probes' warnings. Required.
	Log *slog.Logger
}

// New returns the readiness of a gateway configured with cfg. Its probe
// reads a REST object, the first space's Account, without credentials:
// the API answers 401, and a base URL that does not lead to the API
// answers 404. It has a transport of its own: it is no REST call of any
// account's.
func New(cfg *config.Config, o Options) *Health {
	acct := url.PathEscape(cfg.Spaces[0].AccountID)
	hc := cfg.Health
	return &Health{
		upstream:      o.Upstream,
		checkUpstream: hc.CheckUpstream,
		interval:      hc.UpstreamInterval,
		probeURL:      strings.TrimRight(cfg.Platform.BaseURL, "/") + "/" + acct + "/Account/" + acct,
		log:           o.Log,
		spaces:        o.Spaces,
		store:         o.Store,
		creds:         newCredentials(o.Credentials, hc.UpstreamInterval, hc.ProbeTimeout, o.Log),
		client: &http.Client{
			Transport:     platformapi.NewTransport(cfg.Platform.AttemptTimeout),
			Timeout:       hc.ProbeTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

// SetListening says whether the listener is up.
func (h *Health) SetListening(up bool) { h.listening.Store(up) }

// Drain makes the gateway unready for good: it is shutting down.
func (h *Health) Drain() { h.draining.Store(true) }

func (h *Health) upstreamRecent() bool { return h.upstream.UpstreamAnsweredWithin(h.interval) }

// upstreamProblem returns "" when the upstream answered within the
// interval, else probes it with an unauthenticated GET of a REST object's
// URL (cheap, and it spends no account's rate budget; the API answers 401)
// and says what is wrong: "unreachable", or a 404 that means
// platform.baseURL does not point at the REST API. A failed probe is
// remembered for a second so a burst of readiness checks makes one probe.
func (h *Health) upstreamProblem(ctx context.Context) string {
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

// ServeHTTP answers /readyz: 200 when the gateway should get traffic, 503
// (with the failing check) when not: before the listener is up, while
// draining for shutdown, when the upstream cannot be reached, and when the
// REST API refuses the credentials of every space (all are credentials
// spaces). Refused credentials of some spaces only are reported, the
// gateway ready: pulling the replica out of the load balancer would take
// the other spaces down with them, and every replica has the same
// configuration.
func (h *Health) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rd := readiness{Status: "ready", Checks: map[string]string{"config": "ok", "listener": "ok", "draining": "no", "upstream": "ok"}}
	fail := func(check, state string) {
		rd.Status, rd.Checks[check] = "unready", state
	}
	spaces := h.spaces()
	if spaces == nil {
		fail("config", "not loaded")
	}
	if !h.listening.Load() {
		fail("listener", "down")
	}
	if h.draining.Load() {
		fail("draining", "yes")
	}
	if h.store != nil {
		// Informational: a replica on its local share still serves.
		rd.Checks["rateLimitStore"] = h.store()
	}
	switch {
	case !h.checkUpstream || rd.Status != "ready":
		rd.Checks["upstream"] = "not checked"
		rd.Checks["credentials"] = "not checked"
	default:
		// The credentials first: when a probe is needed, its answer
		// proves the upstream reachable too, and upstreamProblem does
		// not probe again.
		ctx, cancel := context.WithTimeout(r.Context(), h.client.Timeout)
		check, none := h.creds.readiness(ctx, spaces)
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
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(rd) // the client went away; nothing to do
}
