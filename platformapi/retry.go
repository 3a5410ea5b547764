package platformapi

import (
	"context"
	"crypto/x509"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// RetryPolicy decides which REST attempts are tried again and how long to
// wait in between. Its methods plug into go-retryablehttp as CheckRetry
// (through the client, which adds the attempt number) and Backoff; the
// library's defaults retry every 5xx (500 included) and honour Retry-After
// without a cap, which is not what we want.
type RetryPolicy struct {
	// MaxAttempts is the number of tries, the first included.
	MaxAttempts int
	// WaitMin and WaitMax bound the exponential backoff.
	WaitMin, WaitMax time.Duration
	// RetryAfterMax caps a server's Retry-After.
	RetryAfterMax time.Duration
	// Jitter returns a number in [0,1); nil means math/rand/v2. Tests fix it.
	Jitter func() float64
}

// DefaultRetryPolicy is the policy used when none is configured, and the
// one the gateway's configuration starts from: zero fields of a
// RetryPolicy take its values.
var DefaultRetryPolicy = RetryPolicy{
	MaxAttempts:   5,
	WaitMin:       200 * time.Millisecond,
	WaitMax:       5 * time.Second,
	RetryAfterMax: 30 * time.Second,
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	d := DefaultRetryPolicy
	if p.MaxAttempts > 0 {
		d.MaxAttempts = p.MaxAttempts
	}
	if p.WaitMin > 0 {
		d.WaitMin = p.WaitMin
	}
	if p.WaitMax > 0 {
		d.WaitMax = p.WaitMax
	}
	if d.WaitMax < d.WaitMin {
		d.WaitMax = d.WaitMin
	}
	if p.RetryAfterMax > 0 {
		d.RetryAfterMax = p.RetryAfterMax
	}
	d.Jitter = p.Jitter
	return d
}

// Retryable reports whether a response status is worth another try: the
// vendor answers 503 when busy or over its rate limit, and 429, 502 and 504
// come from it or from proxies in front of it when they are.
func Retryable(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// ShouldRetry decides whether a call is tried again after its attempt-th
// try (1 for the first) ended with resp or err. It decides from its
// arguments alone, as go-retryablehttp's CheckRetry intends; the client
// counts the attempts, and keeps a call marked once from being repeated
// once it may have been carried out.
//
// It retries retryable statuses and transport errors, but never past the
// caller's deadline: when the wait before the next try would end after it,
// it stops and keeps the last response, so the caller learns "rate
// limited", not "timed out".
func (p RetryPolicy) ShouldRetry(ctx context.Context, resp *http.Response, err error, attempt int) (bool, error) {
	if errors.Is(err, ErrQueueFull) {
		// The client has its share of the budget's queue already: trying
		// again at once would only take another place in it.
		return false, nil
	}
	if errors.Is(err, errRefused) {
		// The Observer refused the call before it was sent.
		return false, nil
	}
	if notSent(err) && (ctx.Err() != nil || errors.Is(err, ErrBudgetDeadline)) {
		// The attempt never left: it waited for the rate budget (or a
		// connection) until the deadline or a cancellation. Keep that
		// error; it says more than the context's. A failure to connect
		// with time left is retried below, like any transport error.
		return false, nil
	}
	if err == nil && !Retryable(resp.StatusCode) {
		// An answer to keep, even if the caller's context ended as it
		// arrived: dropping a 200 would report a call that was carried
		// out as failed.
		return false, nil
	}
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil && !retryableErr(err) {
		return false, err
	}
	if attempt >= p.MaxAttempts {
		return false, nil
	}
	if deadline, ok := ctx.Deadline(); ok {
		if p.maxWait(attempt-1, resp) >= time.Until(deadline) {
			return false, nil
		}
	}
	return true, nil
}

// Backoff implements retryablehttp.Backoff: Retry-After when the server sent
// one (capped by RetryAfterMax), else exponential backoff with equal jitter,
// so a burst of failing calls does not come back in lockstep.
func (p RetryPolicy) Backoff(_, _ time.Duration, attempt int, resp *http.Response) time.Duration {
	if d, ok := p.retryAfter(resp); ok {
		return d
	}
	d := p.expWait(attempt)
	j := p.Jitter
	if j == nil {
		j = rand.Float64
	}
	return d/2 + time.Duration(j()*float64(d/2))
}

// maxWait is the longest Backoff can return for this attempt.
func (p RetryPolicy) maxWait(attempt int, resp *http.Response) time.Duration {
	if d, ok := p.retryAfter(resp); ok {
		return d
	}
	return p.expWait(attempt)
}

func (p RetryPolicy) expWait(attempt int) time.Duration {
	d := p.WaitMin
	for i := 0; i < attempt && d < p.WaitMax; i++ {
		d *= 2
	}
	return min(d, p.WaitMax)
}

// retryAfter parses Retry-After, in seconds or as an HTTP date.
func (p RetryPolicy) retryAfter(resp *http.Response) (time.Duration, bool) {
	if resp == nil {
		return 0, false
	}
	v := resp.Header.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		d = time.Duration(min(secs, int64(p.RetryAfterMax/time.Second)+1)) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = max(time.Until(t), 0)
	} else {
		return 0, false
	}
	return min(d, p.RetryAfterMax), true
}

// retryableErr reports whether a transport error may pass: connection
// refused, reset, a per-attempt timeout. Certificate failures will not. The
// caller's own cancellation was handled before this is asked.
func retryableErr(err error) bool {
	var ue *url.Error
	if errors.As(err, &ue) {
		var (
			unknownAuth x509.UnknownAuthorityError
			invalidCert x509.CertificateInvalidError
			hostname    x509.HostnameError
		)
		if errors.As(err, &unknownAuth) || errors.As(err, &invalidCert) || errors.As(err, &hostname) {
			return false
		}
	}
	return true
}
