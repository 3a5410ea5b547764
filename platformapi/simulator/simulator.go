// Package simulator is an in-memory stand-in for the vendor's Platform REST
// API. It speaks the same HTTP as the vendor (paths, JSON bodies, error
// bodies, HTTP Basic auth, paging with queryToken/queryMore, HTTP 503 past the
// per-account rate limit) so that the gateway can run with no account at all
// (demo mode) and be tested end to end over real HTTP.
//
//	sim := simulator.New(simulator.Options{})
//	sim.AddAccount("acct", "BOOMI_TOKEN.me@example.com", "secret")
//	sim.AddEnvironment("acct", simulator.Environment{ID: "…", Name: "Prod", Classification: "PROD"})
//	srv := httptest.NewServer(sim)
//
// Behaviour the vendor does not document is marked "inferred" where it is
// chosen; it follows ../shared/notes/platform-api.md.
package simulator

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"golang.org/x/time/rate"

	"github.com/ipack-gateway/ipack-gateway/ids"
)

// Options configure a Server.
type Options struct {
	// RateLimit is the per-account request rate; past it the server answers
	// 503. Default 10 per second, the vendor's documented limit. Negative
	// disables the limit.
	RateLimit rate.Limit
	// Burst is the number of requests allowed at once. Default 10.
	Burst int
	// RecordRequests keeps every request for Requests(); tests use it.
	RecordRequests bool
	// Faults, when set, make the server unreliable (see Faults).
	Faults Faults
}

// Request is a request the server received, as recorded.
type Request struct {
	Time   time.Time
	Method string
	Path   string
	Header http.Header
	Body   []byte
	Status int // what the server answered
}

// Environment is a REST Environment object.
type Environment struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	Classification string `json:"classification"` // PROD or TEST
}

// IntegrationPack is a REST IntegrationPack object.
type IntegrationPack struct {
	ID               string `json:"id"`
	Name             string `json:"name"`
	Description      string `json:"description"`
	InstallationType string `json:"installationType"` // SINGLE or MULTI
}

// Instance is a REST IntegrationPackInstance object.
type Instance struct {
	ID                          string `json:"id"`
	IntegrationPackID           string `json:"integrationPackId"`
	IntegrationPackOverrideName string `json:"integrationPackOverrideName,omitempty"`
}

// Attachment is a REST IntegrationPackEnvironmentAttachment object.
type Attachment struct {
	IntegrationPackInstanceID string `json:"integrationPackInstanceId"`
	EnvironmentID             string `json:"environmentId"`
	ID                        string `json:"id"`
}

type account struct {
	id           string
	username     string
	password     string
	bearers      map[string]bool
	limiter      *rate.Limiter
	environments []Environment
	packs        []IntegrationPack
	instances    []Instance
	attachments  []Attachment
	nextInstance uint64
	spacesState
	runs runs // schedules and runs (schedules.go)
}

// Stats counts what the server answered.
type Stats struct {
	Requests  int // all requests
	Throttled int // answered 503 for the rate limit
}

// Server is the simulated REST API. It is an http.Handler and safe for
// concurrent use.
type Server struct {
	opts    Options
	router  chi.Router
	mu      sync.Mutex
	accts   map[string]*account
	tokens  map[string]*pendingQuery
	tokenNo int
	reqs    []Request
	stats   Stats
	faults  faultState
}

// New returns an empty Server.
func New(opts Options) *Server {
	if opts.RateLimit == 0 {
		opts.RateLimit = 10
	}
	if opts.Burst <= 0 {
		opts.Burst = 10
	}
	s := &Server{opts: opts, accts: map[string]*account{}, tokens: map[string]*pendingQuery{}}
	s.router = s.routes()
	if opts.Faults != (Faults{}) {
		s.SetFaults(opts.Faults)
	}
	return s
}

// AddAccount adds an account reachable with HTTP Basic username:password.
func (s *Server) AddAccount(id, username, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	lim := rate.NewLimiter(rate.Inf, 0)
	if s.opts.RateLimit > 0 {
		lim = rate.NewLimiter(s.opts.RateLimit, s.opts.Burst)
	}
	s.accts[id] = &account{id: id, username: username, password: password, bearers: map[string]bool{}, limiter: lim, nextInstance: 1}
}

// AddBearerToken lets token act on account id as a bearer token.
func (s *Server) AddBearerToken(id, token string) {
	s.withAccount(id, func(a *account) { a.bearers[token] = true })
}

// AddEnvironment adds an environment to account id.
func (s *Server) AddEnvironment(id string, e Environment) {
	s.withAccount(id, func(a *account) { a.environments = append(a.environments, e) })
}

// AddIntegrationPack adds an integration pack to account id.
func (s *Server) AddIntegrationPack(id string, p IntegrationPack) {
	s.withAccount(id, func(a *account) { a.packs = append(a.packs, p) })
}

// AddInstance installs an integration pack on account id with the given
// instance number; the instance's opaque id is derived from it.
func (s *Server) AddInstance(id string, number uint64, packID, overrideName string) string {
	var instID string
	s.withAccount(id, func(a *account) {
		instID = ids.Instance(number)
		a.instances = append(a.instances, Instance{ID: instID, IntegrationPackID: packID, IntegrationPackOverrideName: overrideName})
		a.nextInstance = max(a.nextInstance, number+1)
	})
	return instID
}

// Attachments returns account id's attachments, in creation order.
func (s *Server) Attachments(id string) []Attachment {
	var out []Attachment
	s.withAccount(id, func(a *account) { out = slices.Clone(a.attachments) })
	return out
}

// AddAttachment attaches instanceID to environmentID on account id, as a
// CREATE would, without checking either exists.
func (s *Server) AddAttachment(id, instanceID, environmentID string) {
	s.withAccount(id, func(a *account) {
		att := Attachment{ID: ids.Attachment(instanceID, environmentID), IntegrationPackInstanceID: instanceID, EnvironmentID: environmentID}
		if a.findAttachment(att.ID) < 0 {
			a.attachments = append(a.attachments, att)
		}
	})
}

// Attached reports whether instanceID is attached to environmentID.
func (s *Server) Attached(id, instanceID, environmentID string) bool {
	var ok bool
	s.withAccount(id, func(a *account) { ok = a.findAttachment(ids.Attachment(instanceID, environmentID)) >= 0 })
	return ok
}

// Requests returns the recorded requests (Options.RecordRequests).
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reqs)
}

// ResetRequests forgets the recorded requests.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = nil
}

// Stats returns counts of what the server answered.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

func (s *Server) withAccount(id string, fn func(*account)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accts[id]
	if !ok {
		panic(fmt.Sprintf("simulator: no account %q", id))
	}
	fn(a)
}

// VendorBasePath is the path under which the vendor serves the REST API
// (https://api.boomi.com/api/rest/v1/{accountId}/…).
const VendorBasePath = "/api/rest/v1"

// ServeHTTP serves the REST API under /{accountId}/, and under
// VendorBasePath/{accountId}/ as the vendor does, so that a platform.baseURL
// shaped like the vendor's (http://host/api/rest/v1) works against it too.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeError(w, http.StatusBadRequest, "Unable to read request body.")
		return
	}
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	r.Body = io.NopCloser(strings.NewReader(string(body)))
	defer s.record(r, body, rec) // also when a fault aborts the handler
	route := r
	if rest, ok := strings.CutPrefix(r.URL.Path, VendorBasePath); ok && strings.HasPrefix(rest, "/") {
		route = r.Clone(r.Context())
		route.URL.Path, route.URL.RawPath = rest, ""
	}
	s.serveWithFaults(rec, route, s.router)
}

func (s *Server) record(r *http.Request, body []byte, rec *statusRecorder) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Requests++
	if rec.throttled {
		s.stats.Throttled++
	}
	if s.opts.RecordRequests {
		s.reqs = append(s.reqs, Request{Time: time.Now(), Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body, Status: rec.status})
	}
}

type statusRecorder struct {
	http.ResponseWriter
	status    int
	throttled bool
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController flush the underlying writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// serveAccount resolves the account of the request, checks its credentials
// and its rate limit, and answers the request itself when any fails; else it
// runs fn with the account, holding s.mu for fn's whole run (the handlers
// read and change the account's objects) and releasing it when fn returns.
func (s *Server) serveAccount(w http.ResponseWriter, r *http.Request, fn func(a *account)) {
	id := chi.URLParam(r, "accountId")
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Context().Err() != nil {
		// The client left before the request was acted on: drop it, as a
		// server does that notices. (One that acts on abandoned requests
		// late can defeat any client's attempt to learn the outcome.)
		return
	}
	a, ok := s.accts[id]
	if !ok || !a.authorized(r.Header.Get("Authorization")) {
		// The vendor answers 401 for bad credentials and for accounts the
		// credentials cannot see alike.
		writeError(w, http.StatusUnauthorized, "Unauthorized")
		return
	}
	if !a.limiter.Allow() {
		if rec, ok := w.(*statusRecorder); ok {
			rec.throttled = true
		}
		writeError(w, http.StatusServiceUnavailable, "The request rate limit has been exceeded. Please try again later.")
		return
	}
	fn(a)
}

func (a *account) authorized(h string) bool {
	scheme, cred, _ := strings.Cut(h, " ")
	switch strings.ToLower(scheme) {
	case "basic":
		raw, err := base64.StdEncoding.DecodeString(cred)
		if err != nil {
			return false
		}
		user, pass, _ := strings.Cut(string(raw), ":")
		return user == a.username && pass == a.password
	case "bearer":
		return a.bearers[cred]
	}
	return false
}

func (a *account) findAttachment(id string) int {
	return slices.IndexFunc(a.attachments, func(x Attachment) bool { return x.ID == id })
}

func (a *account) findInstance(id string) int {
	return slices.IndexFunc(a.instances, func(x Instance) bool { return x.ID == id })
}

func (a *account) findEnvironment(id string) int {
	return slices.IndexFunc(a.environments, func(x Environment) bool { return x.ID == id })
}

func (a *account) findPack(id string) int {
	return slices.IndexFunc(a.packs, func(x IntegrationPack) bool { return x.ID == id })
}

// writeError answers with the vendor's JSON error body, the shape seen in
// real use: {"@type":"Error","message":"…"}.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, struct {
		Type    string `json:"@type"`
		Message string `json:"message"`
	}{"Error", msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
