package gateway

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ipack-gateway/ipack-gateway/authtoken"
	"github.com/ipack-gateway/ipack-gateway/errcode"
	"github.com/ipack-gateway/ipack-gateway/gateway/reqlog"
	"github.com/ipack-gateway/ipack-gateway/internal/roundrobin"
)

// admission bounds the GraphQL requests that execute at once
// (graphql.maxExecuting). A request beyond the bound waits for a turn with
// nothing built for it but its body's bytes (read before the wait, so that
// a slow sender holds no turn, once its credentials are known good): no routing, parsing, execution state or deep
// goroutine stack. It then holds what net/http holds for any request (its
// connection's buffers and a shallow stack), as the pass-through proxy's
// requests do while they wait for an upstream connection, instead of the
// ~30 KiB of an executing request's stack and heap (docs/performance.md).
// Requests that authentication will refuse take no turn.
//
// Turns are fair, as the REST budget's grants are: round-robin over the
// spaces with waiting requests, within a space over its clients, and a
// client's own requests first come first served. So a client that floods
// the gateway delays another space's request by at most one turn per
// other space waiting, not by its whole backlog.
//
// A client executes at most perClient requests at once
// (clients.maxExecuting; 0: no bound), counted as the bound on all is:
// its others wait, out of the round-robin while it is at its bound, even
// when turns are free. Executing is where a request costs CPU and memory
// (analysis, graphql-go's validation); while turns are free there is no
// queue to be fair in, so without this a client flooding from 64
// connections had 64 requests competing for the cores with another
// client's one (docs/cost-bounds.md).
//
// A request with REST calls waiting for the account's rate budget does
// not count as executing while they wait (it is told by its flow's
// platformapi.WaitObserver), even if others of its calls are in flight:
// otherwise the requests of a paced account could hold every turn while
// they wait for tokens, and a request of another space would wait for
// whole requests to end instead of for its own grant, breaking the
// budget's "at most one grant per other space". A request whose calls are
// granted counts again at once, above the bound if need be: it holds a
// grant that must not go stale. Under pacing it is therefore the budget,
// and clients.maxQueued per client, that bound what executes.
//
// A request that waited for its turn executes on a worker goroutine, not
// on its connection's: its stack grows to what execution needs (16 KiB;
// see TestAttachStack) while the connection's stays as net/http left it,
// so the goroutines of waiting requests stay small. One admitted at once
// executes on its connection's goroutine: nothing waits then.
type admission struct {
	limit     int
	perClient int // a client's executing requests at most; 0: no bound
	maxWait   time.Duration
	queue     func(n int) // told the number of waiting requests; may be nil

	mu      sync.Mutex
	active  int // requests executing, not counting those parked on the budget
	waiting int // requests waiting for a turn
	// spaces holds the spaces with clients in turn: clients with waiting
	// requests that are below perClient.
	spaces  roundrobin.Ring[*admSpace]
	bySpace map[string]*admSpace
	// running counts each client's executing requests, as active counts
	// them; only with perClient.
	running map[admKey]int
}

// admKey is a client of a space.
type admKey struct {
	space  string
	client [32]byte
}

// admSpace is a space's part of the queue.
type admSpace struct {
	name     string
	clients  roundrobin.Ring[*admClient]
	byClient map[[32]byte]*admClient
}

// admClient is a client's waiting requests, first come first served.
type admClient struct {
	space *admSpace
	key   [32]byte
	queue []*ticket
	// blocked: the client is at perClient, and so out of its space's
	// round-robin until one of its requests stops executing.
	blocked bool
}

// A ticket is a GraphQL request's place in the admission: waiting, then
// executing. It is the request's flow observer (platformapi.WaitObserver).
type ticket struct {
	a       *admission
	key     admKey
	ch      chan struct{} // closed on admission; only for requests that waited
	client  *admClient    // while waiting
	waited  time.Duration // how long the request waited for its turn
	refusal *errcode.Error
	auth    *preAuth // what admissionKey learned of its credentials

	// Under a.mu:
	admitted bool
	finished bool
	calls    int // REST calls waiting for the budget
}

// newAdmission returns an admission of at most limit requests executing
// at once, at most perClient of one client (0: no such bound), each
// waiting at most maxWait for its turn. queue, when not nil, is told the
// number of requests waiting each time it changes.
func newAdmission(limit, perClient int, maxWait time.Duration, queue func(int)) *admission {
	return &admission{limit: limit, perClient: perClient, maxWait: maxWait, queue: queue,
		bySpace: map[string]*admSpace{}, running: map[admKey]int{}}
}

// preAuth is what admissionKey learned of a request's credentials, which
// authenticate then does not work out again (a JWT's signature).
type preAuth struct {
	sp       *space // the space as configured then; a reload makes another
	tokenSum [32]byte
	client   [32]byte
	claims   *authtoken.Claims
	inferred bool // sp was inferred, the request having no SPACE_GUID
}

// admissionKey says whom a request waits as: the space and the client the
// REST budget's fair queue knows it by, worked out the same way (a client
// token a space lists is its client; a JWT is the user it was issued to,
// its signature checked, so that fresh or forged JWTs are no fresh turns;
// on a passthrough space, the address). ok is false for a request that
// authentication will refuse: it takes no turn, since it executes nothing,
// and so a flood of bad credentials cannot queue ahead of good ones. (A
// reload between here and authenticate can make either side of that call
// wrong for the requests in between: a refused request took a turn it did
// not need, or an accepted one ran without its turn.)
func (s *Server) admissionKey(r *http.Request) (space string, auth *preAuth, ok bool) {
	if len(r.Header.Values("SPACE_GUID")) > 1 || len(r.Header.Values("Authorization")) > 1 {
		return "", nil, false
	}
	guid := strings.TrimSpace(r.Header.Get("SPACE_GUID"))
	sp := s.space(guid)
	token, hasToken := bearerToken(r.Header.Get("Authorization"))
	if !hasToken {
		return "", nil, false
	}
	a := &preAuth{sp: sp, tokenSum: sha256.Sum256([]byte(token)), inferred: guid == ""}
	jwt := s.signer != nil && authtoken.LooksLikeJWT(token)
	// A signature costs CPU: an address throttled for failed
	// authentications gets none checked, here as in authenticate.
	blocked := func() bool {
		b, _ := s.limits.authFailures.Exhausted(r.Context(), addressKey("auth", r))
		return b
	}
	if a.inferred {
		if jwt && blocked() {
			return "", nil, false
		}
		var e *errcode.Error
		if a.sp, a.claims, e = s.inferSpace(r.Context(), token, hasToken, a.tokenSum); e != nil {
			return "", nil, false
		}
		sp = a.sp
	}
	if sp == nil {
		return "", nil, false
	}
	if sp.passthrough {
		// Any token passes here (REST judges it): key by address, as the
		// budget does.
		a.client = addressKey("passthrough:"+sp.guid, r)
		return sp.guid, a, true
	}
	if sp.allows(a.tokenSum) {
		a.client = a.tokenSum
		return sp.guid, a, true
	}
	var e *errcode.Error
	switch {
	case a.claims != nil: // verified by inferSpace
		a.client, a.claims, e = s.checkClaims(sp, a.tokenSum, a.claims, nil)
	case !jwt || blocked():
		return "", nil, false
	default:
		a.client, a.claims, e = s.checkToken(sp, token, a.tokenSum)
	}
	if e != nil {
		return "", nil, false
	}
	return sp.guid, a, true
}

// inTurn serves GraphQL requests through next once they have their turn;
// other paths go straight to next. A request that waited for its turn
// executes on a worker goroutine, one admitted at once on its own. A
// request that cannot have a turn (it waited maxWait, or it was cancelled
// while waiting) runs next on its connection's goroutine with its refusal,
// which refuseUnadmitted answers, so that it is logged and counted like
// any other refusal; so does, without a turn, a request that will be
// refused before it executes (bad credentials, a body over the limit).
func (s *Server) inTurn(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/graphql" {
			next.ServeHTTP(w, r)
			return
		}
		s.metrics.AddInFlight(1)
		defer s.metrics.AddInFlight(-1)
		r, t := s.takeTurn(r)
		switch {
		case t == nil || t.refusal != nil:
			next.ServeHTTP(w, r) // without a turn
		case t.ch == nil:
			// Admitted at once: nothing waits, so nothing is gained by
			// keeping this goroutine's stack small, and handing over to a
			// worker would cost two wake-ups of an idle core (~30 µs of
			// CPU per request, BenchmarkServeAttachCanned).
			defer s.admission.leave(t)
			next.ServeHTTP(w, r)
		default:
			defer s.admission.leave(t)
			s.workers.serve(w, r, next)
		}
	})
}

// takeTurn reads r's body ahead and waits for r's turn. It returns r, with
// its ticket in its context when it has one, and the ticket: nil for a
// request that takes no turn, one with a refusal for a request that had
// none. Out of line, so that its work takes no room in inTurn's stack
// frame, which stays for the whole request (docs/performance.md: stack
// per request; TestAttachStack).
//
//go:noinline
func (s *Server) takeTurn(r *http.Request) (*http.Request, *ticket) {
	// A request takes its turn with its body read: a client that sends its
	// body slowly must not hold a turn meanwhile (a hundred such clients
	// would stop every other request). Only the body's bytes are kept; the
	// limits on it are decodeRequest's, as before.
	// Credentials first: a request that will be refused gets no byte of
	// its body read (an unauthenticated client must not make the gateway
	// hold maxBodyBytes per connection).
	space, auth, ok := s.admissionKey(r)
	if !ok {
		return r, nil
	}
	var tooLarge bool
	if r.Body, tooLarge = prefetch(r.Body, r.ContentLength, s.cfg.GraphQL.MaxBodyBytes); tooLarge {
		return r, nil
	}
	t := s.admission.enter(r.Context(), space, auth.client)
	t.auth = auth
	reqlog.InfoFrom(r.Context()).Queued = t.waited // for the access line
	return r.WithContext(context.WithValue(r.Context(), ticketKey{}, t)), t
}

// preAuthFor returns what inTurn learned of the credentials of the request
// of ctx, if it was for sp (as configured now) and the token of tokenSum.
func preAuthFor(ctx context.Context, sp *space, tokenSum [32]byte) *preAuth {
	t := ticketFrom(ctx)
	if t == nil || t.auth == nil || t.auth.sp != sp || t.auth.tokenSum != tokenSum {
		return nil
	}
	return t.auth
}

// prefetch reads body ahead, up to one byte past limit, and reports
// whether it found more than limit bytes. It returns a body that reads
// what was read and then the rest of body, so that readers see the same
// bytes, the same errors and the same end as body's, and decodeRequest's
// limit applies as before. A declared length up to prefetchExact is read
// into one allocation of that size (the common case); past it, the buffer
// grows as bytes arrive, so that a declared length costs nothing until
// the bytes are sent.
func prefetch(body io.ReadCloser, length, limit int64) (io.ReadCloser, bool) {
	if body == nil || body == http.NoBody {
		return body, false
	}
	p := &prefetched{body: body}
	if length >= 0 && length <= min(limit, prefetchExact) {
		p.buf = make([]byte, length)
		var n int
		n, p.err = io.ReadFull(body, p.buf)
		p.buf = p.buf[:n]
		if p.err == io.EOF || p.err == io.ErrUnexpectedEOF {
			// Shorter than declared: net/http's body says so once, then
			// io.EOF; say it where the body's reader would have.
			p.err = io.ErrUnexpectedEOF
		}
		return p, false
	}
	var buf bytes.Buffer
	_, p.err = buf.ReadFrom(io.LimitReader(body, limit+1))
	p.buf = buf.Bytes()
	return p, int64(len(p.buf)) > limit
}

// prefetchExact is the longest declared body read into a buffer of its
// size at once: net/http's own read buffer per connection.
const prefetchExact = 4 << 10

// prefetched is a request body whose first bytes were read ahead.
type prefetched struct {
	buf  []byte // read ahead, not yet read from here
	err  error  // met while reading ahead, after buf
	body io.ReadCloser
}

func (p *prefetched) Read(b []byte) (int, error) {
	if len(p.buf) > 0 {
		n := copy(b, p.buf)
		p.buf = p.buf[n:]
		return n, nil
	}
	if p.err != nil {
		return 0, p.err
	}
	return p.body.Read(b)
}

func (p *prefetched) Close() error { return p.body.Close() }

// workers are the goroutines that requests which waited for their turn
// execute on. A goroutine is reused while requests keep coming, so that a
// request does not grow a fresh goroutine's stack to the 16 KiB execution
// needs: growing it, frame by frame, took ~10 % of the CPU of an attach(1)
// (BenchmarkServeAttachCanned). An idle one ends after workerIdle. There
// is no bound here (the admission bounds what executes) and no goroutine
// of the pool's own, so an unserved Server leaves nothing running; for
// that reason this is not a pool library such as ants, whose pools keep
// a clock goroutine until released.
type workers struct {
	tasks chan func() // unbuffered: a send succeeds only to an idle worker
}

const workerIdle = time.Second

func newWorkers() *workers { return &workers{tasks: make(chan func())} }

// serve runs next on a worker and waits for it. A panic there is raised
// again here, where net/http expects it (an http.ErrAbortHandler, or one
// reqlog.Recoverer let through).
func (ws *workers) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	done := make(chan any, 1)
	task := func() {
		defer func() { done <- recover() }()
		next.ServeHTTP(w, r)
	}
	select {
	case ws.tasks <- task:
	default:
		go ws.work(task)
	}
	if p := <-done; p != nil {
		panic(p)
	}
}

// work runs task, then the tasks handed to it, until it has been idle for
// workerIdle.
func (ws *workers) work(task func()) {
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()
	for {
		task()
		idle.Reset(workerIdle)
		select {
		case task = <-ws.tasks:
		case <-idle.C:
			return
		}
	}
}

// refuseUnadmitted answers a GraphQL request that had no turn to execute:
// 503, with a Retry-After, when it waited graphql.requestTimeout; when its
// client went away, the same, to no one, for the log line.
func (s *Server) refuseUnadmitted(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if t := ticketFrom(r.Context()); t != nil && t.refusal != nil {
			s.refuseTurn(w, r, t.refusal)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// refuseTurn answers a request that had no turn. Out of line: its frame
// would stay in refuseUnadmitted's for every request that executes.
//
//go:noinline
func (s *Server) refuseTurn(w http.ResponseWriter, r *http.Request, e *errcode.Error) {
	s.requests.Rejected(r.Context(), string(e.Code))
	w.Header().Set("Retry-After", "1")
	writeError(w, e)
}

type ticketKey struct{}

func ticketFrom(ctx context.Context) *ticket {
	t, _ := ctx.Value(ticketKey{}).(*ticket)
	return t
}

// enter returns the request's ticket once it may execute, or one with its
// refusal once it has waited maxWait or ctx has ended.
func (a *admission) enter(ctx context.Context, space string, client [32]byte) *ticket {
	t := &ticket{a: a, key: admKey{space, client}}
	a.mu.Lock()
	// No client in turn waits (clients at their bound may), and there is
	// room for this one.
	if a.spaces.Len() == 0 && a.active < a.limit && a.below(t.key) {
		t.admitted = true
		a.start(t)
		a.mu.Unlock()
		return t
	}
	t.ch = make(chan struct{})
	a.enqueue(t)
	a.dispatch() // its turn may be now: the queue held only clients at their bound
	a.mu.Unlock()

	start := time.Now()
	timer := time.NewTimer(a.maxWait)
	defer timer.Stop()
	var cause string
	select {
	case <-t.ch:
		t.waited = time.Since(start)
		return t
	case <-timer.C:
		cause = fmt.Sprintf("waited %s for a turn among the %d requests that execute at once", a.maxWait, a.limit)
	case <-ctx.Done():
		cause = "was cancelled while it waited for its turn (the client went away, or the gateway is shutting down)"
	}
	t.waited = time.Since(start)
	a.mu.Lock()
	defer a.mu.Unlock()
	if t.admitted {
		return t // admitted as it gave up: use the turn
	}
	a.abandon(t)
	t.refusal = errcode.New(errcode.Unavailable, "The gateway is at capacity: the request "+cause+"; retry later").With("retryAfter", 1)
	return t
}

// leave ends t's turn and hands it to the next waiting request.
func (a *admission) leave(t *ticket) {
	a.mu.Lock()
	defer a.mu.Unlock()
	t.finished = true
	if t.calls == 0 {
		a.stop(t)
	}
	a.dispatch()
}

// WaitStart is told that one of t's REST calls waits for the account's
// rate budget: from the first, t stops counting as executing.
func (t *ticket) WaitStart() {
	a := t.a
	a.mu.Lock()
	defer a.mu.Unlock()
	t.calls++
	if t.calls == 1 && !t.finished {
		a.stop(t)
		a.dispatch()
	}
}

// WaitDone is told that a call of t stopped waiting for the budget: once
// none waits, t counts as executing again, whatever the bound.
func (t *ticket) WaitDone() {
	a := t.a
	a.mu.Lock()
	defer a.mu.Unlock()
	t.calls--
	if t.calls == 0 && !t.finished {
		a.start(t)
	}
}

// dispatch admits waiting requests, in their turns, while fewer than limit
// execute. Callers hold mu.
func (a *admission) dispatch() {
	for a.spaces.Len() > 0 && a.active < a.limit {
		t := a.next()
		t.admitted = true
		a.start(t)
		close(t.ch)
	}
}

// below reports whether k's client executes fewer than perClient requests.
// Callers hold mu.
func (a *admission) below(k admKey) bool {
	return a.perClient == 0 || a.running[k] < a.perClient
}

// start counts t as executing; at its client's bound, the client's
// waiting requests leave the round-robin. Callers hold mu.
func (a *admission) start(t *ticket) {
	a.active++
	if a.perClient == 0 {
		return
	}
	a.running[t.key]++
	if c := a.client(t.key); c != nil && !c.blocked && !a.below(t.key) {
		a.block(c)
	}
}

// stop counts t as executing no more; below its client's bound again, the
// client's waiting requests are back in the round-robin. Callers hold mu.
func (a *admission) stop(t *ticket) {
	a.active--
	if a.perClient == 0 {
		return
	}
	if a.running[t.key]--; a.running[t.key] <= 0 {
		delete(a.running, t.key)
	}
	if c := a.client(t.key); c != nil && c.blocked && a.below(t.key) {
		a.unblock(c)
	}
}

// client returns k's waiting requests, or nil when none waits. Callers
// hold mu.
func (a *admission) client(k admKey) *admClient {
	if sp := a.bySpace[k.space]; sp != nil {
		return sp.byClient[k.client]
	}
	return nil
}

// block takes c, whose requests wait, out of the round-robin. Callers
// hold mu.
func (a *admission) block(c *admClient) {
	c.blocked = true
	a.drop(c)
}

// drop takes c out of its space's round-robin, and the space out of the
// spaces' once none of its clients is in turn. Callers hold mu.
func (a *admission) drop(c *admClient) {
	sp := c.space
	sp.clients.Remove(c)
	if sp.clients.Len() == 0 {
		a.spaces.Remove(sp)
	}
}

// unblock puts c, whose requests wait, back in the round-robin, last.
// Callers hold mu.
func (a *admission) unblock(c *admClient) {
	c.blocked = false
	a.push(c)
}

// push puts c last in its space's round-robin, and the space in the
// spaces' if it was not. Callers hold mu.
func (a *admission) push(c *admClient) {
	sp := c.space
	if sp.clients.Len() == 0 {
		a.spaces.Push(sp)
	}
	sp.clients.Push(c)
}

// enqueue puts t last in its client's queue. Callers hold mu.
func (a *admission) enqueue(t *ticket) {
	sp := a.bySpace[t.key.space]
	if sp == nil {
		sp = &admSpace{name: t.key.space, byClient: map[[32]byte]*admClient{}}
		a.bySpace[t.key.space] = sp
	}
	c := sp.byClient[t.key.client]
	if c == nil {
		c = &admClient{space: sp, key: t.key.client}
		sp.byClient[t.key.client] = c
	}
	if len(c.queue) == 0 {
		if a.below(t.key) {
			a.push(c)
		} else {
			c.blocked = true
		}
	}
	c.queue = append(c.queue, t)
	t.client = c
	a.waiting++
	a.reportQueue()
}

// next pops the request whose turn it is; some must wait. Callers hold mu.
func (a *admission) next() *ticket {
	sp := a.spaces.Current()
	c := sp.clients.Current()
	t := c.queue[0]
	c.queue[0] = nil
	c.queue = c.queue[1:]
	sp.clients.Served(len(c.queue) == 0)
	a.spaces.Served(sp.clients.Len() == 0)
	a.forget(c)
	a.waiting--
	a.reportQueue()
	return t
}

// abandon takes t, whose request gave up, out of its client's queue.
// Callers hold mu.
func (a *admission) abandon(t *ticket) {
	c := t.client
	if i := slices.Index(c.queue, t); i >= 0 {
		c.queue = slices.Delete(c.queue, i, i+1) // clears the freed slot
	}
	if len(c.queue) == 0 {
		if !c.blocked { // else out of the round-robin already
			a.drop(c)
		}
		c.blocked = false
	}
	a.forget(c)
	a.waiting--
	a.reportQueue()
}

// forget drops c, and its space, once nothing of theirs waits. Callers
// hold mu.
func (a *admission) forget(c *admClient) {
	if len(c.queue) > 0 {
		return
	}
	sp := c.space
	delete(sp.byClient, c.key)
	if len(sp.byClient) == 0 {
		delete(a.bySpace, sp.name)
	}
}

// reportQueue tells the queue's length to whoever counts it. Callers hold
// mu.
func (a *admission) reportQueue() {
	if a.queue != nil {
		a.queue(a.waiting)
	}
}
