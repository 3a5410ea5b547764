// Package platformapi is a typed client for the vendor's Platform REST API,
// {baseURL}/{accountId}/{Object}. It speaks JSON only, authenticates each
// call with the account's credentials, and retries what is worth retrying
// through go-retryablehttp with a RetryPolicy of its own. Each account's
// calls share a rate budget, served fairly (space, client, request), and a
// circuit breaker; the vendor's error bodies are parsed for their message.
//
//	c, err := platformapi.New(platformapi.Options{BaseURL: platformapi.DefaultBaseURL, Limits: platformapi.DefaultLimits})
//	acct := platformapi.Account{ID: "acme-A1B2C3", Credentials: platformapi.Basic(user, token)}
//	att, err := c.CreateAttachment(ctx, acct, instanceID, environmentID)
//
// Failed calls return *Error, which carries the vendor's status and message
// and what the call is known to have done upstream (Error.Outcome: not
// sent, unknown, or answered; see Outcome). A call marked once is never
// sent again after it may have been carried out. Credentials never appear
// in errors or logs.
//
// Every attempt, retries included, is reported to one Observer
// (Options.Observer) with the REST object it calls, its method, number,
// rate-budget wait, status or error, duration and outcome, and the
// caller's context: what a caller counts, times, traces or refuses, it
// does there, without parsing URLs.
package platformapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"github.com/sony/gobreaker/v2"
)

// Credentials authenticate REST calls for one account: HTTP Basic with a
// user and API token, or a bearer token. Formatting them prints a redaction,
// so they cannot leak through logs by accident.
type Credentials struct {
	username, password string
	bearer             string
	header             string // the Authorization value, when made in advance
}

// Basic returns credentials for HTTP Basic authentication, the vendor's
// usual scheme: username "BOOMI_TOKEN.<user>", password the API token.
func Basic(username, password string) Credentials {
	return Credentials{username: username, password: password,
		header: "Basic " + base64.StdEncoding.EncodeToString([]byte(username+":"+password))}
}

// Bearer returns credentials that forward a bearer token.
func Bearer(token string) Credentials { return Credentials{bearer: token} }

// String redacts the credentials.
func (Credentials) String() string { return "[redacted]" }

// GoString redacts the credentials in %#v.
func (Credentials) GoString() string { return "platformapi.Credentials{[redacted]}" }

// LogValue redacts the credentials in log/slog.
func (Credentials) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// authorization returns the Authorization header value.
func (c Credentials) authorization() string {
	if c.header != "" {
		return c.header // made once by Basic, not once per call
	}
	if c.bearer != "" {
		return "Bearer " + c.bearer
	}
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(c.username+":"+c.password))
}

// Account is one vendor account and the credentials to act on it.
type Account struct {
	ID          string
	Credentials Credentials
}

// Defaults of Options. The gateway's configuration starts from these
// values, so each is written here only.
const (
	// DefaultBaseURL is the vendor's REST root.
	DefaultBaseURL = "https://api.boomi.com/api/rest/v1"
	// DefaultAttemptTimeout bounds one try, body included.
	DefaultAttemptTimeout = 30 * time.Second
	// DefaultMaxQueryPages bounds queryMore paging: 10,000 results.
	DefaultMaxQueryPages = 100
	// DefaultUserAgent is sent with every call.
	DefaultUserAgent = "ipack-gateway"
)

// Options configure a Client. Zero values select the defaults above,
// DefaultRetryPolicy's and DefaultLimits.Breaker's; Limits is taken as
// given (a zero Limits paces nothing; start from DefaultLimits).
type Options struct {
	// BaseURL is the REST root, e.g. DefaultBaseURL. Required.
	BaseURL string
	// Transport carries the requests; nil means a pooled transport with
	// dial, TLS and header timeouts (see NewTransport).
	Transport http.RoundTripper
	// AttemptTimeout bounds each try, body included.
	AttemptTimeout time.Duration
	// Retry is the retry policy; zero fields take DefaultRetryPolicy's.
	Retry RetryPolicy
	// MaxQueryPages bounds queryMore paging.
	MaxQueryPages int
	// UserAgent is sent with every call.
	UserAgent string
	// Logger receives one line per failed attempt. Default: discard.
	Logger *slog.Logger
	// Limits are the per-account rate budget and circuit breaker.
	Limits Limits
	// Observer, when set, is told of every attempt and breaker change
	// (see Observer).
	Observer Observer
}

// Client calls the Platform REST API. It is safe for concurrent use.
type Client struct {
	base      string
	rc        *retryablehttp.Client
	policy    RetryPolicy
	maxPages  int
	userAgent string
	log       *slog.Logger
	limits    Limits
	observer  Observer
	accounts  sync.Map // account id -> *accountState
}

// New returns a Client for opts.
func New(opts Options) (*Client, error) {
	u, err := url.Parse(opts.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("platformapi: base URL %q: want http(s)://host/path", opts.BaseURL)
	}
	if u.User != nil {
		return nil, errors.New("platformapi: base URL must not carry credentials")
	}
	c := &Client{
		base:      strings.TrimRight(u.String(), "/"),
		policy:    opts.Retry.withDefaults(),
		maxPages:  opts.MaxQueryPages,
		userAgent: opts.UserAgent,
		log:       opts.Logger,
		limits:    opts.Limits,
		observer:  opts.Observer,
	}
	if c.maxPages <= 0 {
		c.maxPages = DefaultMaxQueryPages
	}
	if c.userAgent == "" {
		c.userAgent = DefaultUserAgent
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	timeout := opts.AttemptTimeout
	if timeout <= 0 {
		timeout = DefaultAttemptTimeout
	}
	tr := opts.Transport
	if tr == nil {
		tr = NewTransport(timeout)
	}
	c.rc = &retryablehttp.Client{
		HTTPClient: &http.Client{
			// The attempt timeout is applied by attemptTransport, after
			// the wait for the rate budget.
			Transport: attemptTransport{next: tr, timeout: timeout, observer: opts.Observer},
			// The API does not redirect; following one could send the
			// credentials somewhere else.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		Logger:       nil, // we log failed attempts ourselves, without URLs' noise
		RetryWaitMin: c.policy.WaitMin,
		RetryWaitMax: c.policy.WaitMax,
		RetryMax:     c.policy.MaxAttempts - 1,
		CheckRetry:   c.checkRetry,
		Backoff:      c.policy.Backoff,
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
	}
	return c, nil
}

// MaxConnsPerHost is how many connections NewTransport opens to one host
// at most: past it, calls wait for one of them instead of opening
// connections that are closed after one use (churn, and two goroutines and
// 8 KiB of buffers each). It is also how many it keeps idle.
const MaxConnsPerHost = 128

// NewTransport returns the transport New uses by default: pooled keep-alive
// connections (enough idle ones per host for a wide fan-out) and timeouts on
// every phase that could otherwise hang. It opens no more connections per
// host than it keeps idle: past 128 calls in flight to one host, calls wait
// for a connection instead of opening one that is closed after a single use
// (churn, and two goroutines and their buffers per connection).
func NewTransport(headerTimeout time.Duration) *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   MaxConnsPerHost,
		MaxConnsPerHost:       MaxConnsPerHost,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: headerTimeout,
		ExpectContinueTimeout: time.Second,
	}
}

// checkRetry is the client's go-retryablehttp CheckRetry: it records what
// the attempt did (callState), asks the policy with the attempt's number,
// keeps a call marked once from being repeated once it may have been
// carried out, and logs each failed attempt.
func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	st := stateFrom(ctx)
	// go-retryablehttp asks again about the last answer once its response
	// handler ran; that answer was logged the first time, unless reading
	// its body failed.
	again := st.record(resp, err)
	retry, cerr := c.policy.ShouldRetry(ctx, resp, err, st.attempts)
	if retry && st.once && st.ambiguous {
		retry = false
	}
	if !again && (err != nil || (resp != nil && resp.StatusCode >= 400)) {
		attrs := []any{"retry", retry, "attempt", st.attempts}
		if resp != nil {
			attrs = append(attrs, "method", resp.Request.Method, "path", resp.Request.URL.Path, "status", resp.StatusCode)
		}
		if err != nil {
			attrs = append(attrs, "err", err.Error())
		}
		level := slog.LevelWarn
		if ctx.Err() != nil {
			// The caller is gone (the client left, the deadline passed,
			// shutdown): every call it had in flight fails now, and a
			// warning each would flood the log with what its request's
			// line already says.
			level = slog.LevelDebug
		}
		c.log.LogAttrs(ctx, level, "rest attempt failed", argsToAttrs(attrs)...)
	}
	return retry, cerr
}

func argsToAttrs(args []any) []slog.Attr {
	attrs := make([]slog.Attr, 0, len(args)/2)
	for i := 0; i+1 < len(args); i += 2 {
		attrs = append(attrs, slog.Any(args[i].(string), args[i+1]))
	}
	return attrs
}

// maxBody bounds what we read of any response.
const maxBody = 8 << 20

// call is one REST call description.
type call struct {
	method      string
	object      string // for errors and logs: the REST object name
	path        string // after {base}/{accountId}/
	body        []byte
	contentType string // of body; default application/json
	// once marks a call that must not be repeated once it may have been
	// carried out (a CREATE whose repeat would create a second object).
	once bool
	// read marks a POST that changes nothing (QUERY, queryMore, a bulk
	// GET): a 503 or 429 answers it. Every other call but a GET may change
	// state, so that a call added without thought is treated as one that
	// may have acted (see mayHaveActed).
	read bool
	// basic marks a call made with Basic credentials (Error.BasicAuth).
	basic bool
}

// changes reports whether cl may change state upstream.
func (cl call) changes() bool { return cl.method != http.MethodGet && !cl.read }

// do performs cl for acct through the account's circuit breaker, with
// retries, and decodes a successful JSON answer into out (when out is not
// nil). Failures are *Error.
func (c *Client) do(ctx context.Context, acct Account, cl call, out any) error {
	as := c.account(acct.ID)
	if as.breaker == nil || isCritical(ctx) {
		return c.try(ctx, as, acct, cl, out)
	}
	_, err := as.breaker.Execute(func() (struct{}, error) {
		return struct{}{}, c.try(ctx, as, acct, cl, out)
	})
	if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
		return &Error{Method: cl.method, Object: cl.object, Err: ErrCircuitOpen, RetryAfter: as.retryAfter(), NotSent: true}
	}
	return err
}

// try performs cl with retries.
func (c *Client) try(ctx context.Context, as *accountState, acct Account, cl call, out any) error {
	st := &callState{account: as, object: cl.object, once: cl.once, changes: cl.changes()}
	ctx = withState(ctx, st)
	cl.basic = acct.Credentials.bearer == ""
	u := c.base + "/" + url.PathEscape(acct.ID) + "/" + cl.path
	var body any
	if cl.body != nil {
		body = cl.body
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, cl.method, u, body)
	if err != nil {
		return &Error{Method: cl.method, Object: cl.object, Err: err, NotSent: true}
	}
	req.Header.Set("Accept", "application/json")
	if cl.body != nil {
		ct := cl.contentType
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	req.Header.Set("Authorization", acct.Credentials.authorization())
	req.Header.Set("User-Agent", c.userAgent)

	// The body is read inside go-retryablehttp's loop, so that a 2xx whose
	// body is lost counts as a failed attempt (ambiguous, and retried
	// unless the call is once). Only the last attempt's body is kept.
	var data []byte
	var readErr error
	req.SetResponseHandler(func(resp *http.Response) error {
		data, readErr = io.ReadAll(io.LimitReader(resp.Body, maxBody))
		if readErr != nil && success(resp.StatusCode) && out != nil {
			return fmt.Errorf("%w: reading %s response: %w", ErrUnreadableAnswer, cl.object, readErr)
		}
		// A failure status, or a success whose body is not wanted, is
		// decided by its status alone: the server chose it before sending
		// the body.
		return nil
	})

	resp, err := c.rc.Do(req)
	return c.answer(ctx, st, cl, resp, err, data, readErr, out)
}

// answer makes try's result from what go-retryablehttp returned. It is a
// function of its own so that try's stack frame, which stays while the
// attempts run, holds none of this (every call in flight keeps its
// goroutine's stack; docs/performance.md).
func (c *Client) answer(ctx context.Context, st *callState, cl call, resp *http.Response, err error, data []byte, readErr error, out any) error {
	fail := func(status int, msg string, err error) *Error {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
			err = fmt.Errorf("%w: %w", errDeadline, err)
		}
		e := &Error{Method: cl.method, Object: cl.object, StatusCode: status, Message: msg, Attempts: max(st.attempts, 1), Err: err,
			Ambiguous: st.ambiguous, NotSent: !st.sent && !st.ambiguous}
		if status != 0 && resp != nil && resp.StatusCode == status {
			e.RetryAfter, _ = c.policy.retryAfter(resp)
		}
		var qf *QueueFullError
		if errors.As(err, &qf) {
			e.RetryAfter = qf.RetryAfter
		}
		var refused *refusedError
		if errors.As(err, &refused) {
			// The Observer refused the attempt: it was not sent. An *Error
			// the Observer gave is the call's answer; an earlier attempt
			// of unknown outcome keeps the call's outcome unknown.
			var pe *Error
			if errors.As(refused.err, &pe) {
				r := *pe
				e = &r
				e.Method, e.Object, e.Attempts = cl.method, cl.object, max(st.attempts, 1)
			} else {
				e.StatusCode, e.Err, e.NotSent = 0, refused.err, !st.ambiguous
			}
			// Set here, whatever the refusal's *Error said: this attempt
			// was not sent.
			e.Ambiguous, e.NotSent, e.refused = st.ambiguous, !st.ambiguous, true
		}
		e.BasicAuth = cl.basic
		return e
	}
	if resp != nil {
		defer resp.Body.Close()
	}
	if err != nil {
		// The deadline may have passed while waiting to retry a status the
		// vendor answered with; report that status rather than a bare timeout.
		return fail(st.lastStatus, "", err)
	}
	if !success(resp.StatusCode) {
		return fail(resp.StatusCode, ErrorMessage(data), readErr)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		// The vendor said it did something and the gateway cannot tell
		// what: as ambiguous as an answer that never came.
		st.ambiguous = true
		return fail(0, "", fmt.Errorf("%w: decoding %s response: %w", ErrUnreadableAnswer, cl.object, err))
	}
	return nil
}

func success(status int) bool { return status >= 200 && status <= 299 }

func marshal(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only our own request types are marshalled; they cannot fail.
		panic(fmt.Sprintf("platformapi: marshal %T: %v", v, err))
	}
	return bytes.TrimRight(buf.Bytes(), "\n")
}
