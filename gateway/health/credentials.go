package health

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipack-gateway/ipack-gateway/platformapi"
)

// CredentialsChecker asks the REST API whether it accepts an account's
// credentials: nil when it does, else an error that is a
// *platformapi.Error whose CredentialsRefused says whether it refused
// them. *platformapi.Client is one (CheckCredentials).
type CredentialsChecker interface {
	CheckCredentials(ctx context.Context, acct platformapi.Account) error
}

// maxCredentialProbes bounds the credential probes in flight at once,
// over all spaces: a config with many spaces does not make /readyz open
// many connections at once.
const maxCredentialProbes = 4

// credentials is what /readyz knows of the REST credentials of the
// credentials spaces: whether the REST API accepted or refused them
// lately. Every REST answer to a request of such a space tells (a success
// accepts them, a 401 refuses them); when none came within the interval,
// /readyz probes with one cheap authenticated call (CheckCredentials), at
// most one at a time per set of credentials and maxCredentialProbes in
// all. Spaces of one account with the same credentials share one check.
type credentials struct {
	checker  CredentialsChecker // nil: not checked
	interval time.Duration      // an answer this recent is believed
	timeout  time.Duration      // bound on one probe
	log      *slog.Logger
	probes   chan struct{} // a token per probe in flight

	mu     sync.Mutex
	checks map[credentialsKey]*CredentialsCheck
}

// credentialsKey is one account's credentials; they stay in memory only,
// as they do in the space.
type credentialsKey struct {
	account string
	creds   platformapi.Credentials
}

// CredentialsCheck is what is known of one account's credentials: whether
// the REST API accepted or refused them lately (Answered).
type CredentialsCheck struct {
	acct platformapi.Account
	// When the REST API last accepted and last refused them (unix
	// nanoseconds; 0: never).
	acceptedAt, refusedAt atomic.Int64

	mu        sync.Mutex
	probe     chan struct{} // closed when the probe in flight ends; nil when none
	probedAt  time.Time     // when the last probe ended
	probeFail string        // why it told neither, "" when it told
}

func newCredentials(checker CredentialsChecker, interval, timeout time.Duration, log *slog.Logger) *credentials {
	return &credentials{checker: checker, interval: interval, timeout: timeout, log: log,
		probes: make(chan struct{}, maxCredentialProbes), checks: map[credentialsKey]*CredentialsCheck{}}
}

// Track returns the check of each of accts' credentials (the i-th of
// accts'), made when they are new, and forgets the checks of credentials
// not among accts any more. It is called with the accounts of the
// credentials spaces of a configuration not yet in use (start, reload),
// each space to keep its check as Space.Credentials.
func (h *Health) Track(accts []platformapi.Account) []*CredentialsCheck {
	return h.creds.track(accts)
}

func (c *credentials) track(accts []platformapi.Account) []*CredentialsCheck {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]*CredentialsCheck, len(accts))
	used := make(map[credentialsKey]bool, len(accts))
	for i, acct := range accts {
		k := credentialsKey{acct.ID, acct.Credentials}
		ch := c.checks[k]
		if ch == nil {
			ch = &CredentialsCheck{acct: acct}
			c.checks[k] = ch
		}
		out[i], used[k] = ch, true
	}
	for k := range c.checks {
		if !used[k] {
			delete(c.checks, k)
		}
	}
	return out
}

// Answered notes a REST answer with status to a call made with the
// credentials: a success accepts them, a 401 refuses them.
func (ch *CredentialsCheck) Answered(status int) {
	switch {
	case status >= 200 && status <= 299:
		ch.acceptedAt.Store(time.Now().UnixNano())
	case status == http.StatusUnauthorized:
		ch.refusedAt.Store(time.Now().UnixNano())
	}
}

// credentialState is what a check knows: the REST API accepted the
// credentials, refused them, or neither is known (why, in the string).
type credentialState int

const (
	credentialsAccepted credentialState = iota
	credentialsRefused
	credentialsUnverified
)

// known returns the latest answer within the interval, if any.
func (ch *CredentialsCheck) known(interval time.Duration) (credentialState, bool) {
	ok, refused := ch.acceptedAt.Load(), ch.refusedAt.Load()
	latest := max(ok, refused)
	if latest == 0 || time.Since(time.Unix(0, latest)) >= interval {
		return 0, false
	}
	if refused > ok {
		return credentialsRefused, true
	}
	return credentialsAccepted, true
}

// state returns what is known of ch, probing first when nothing recent is
// (and no probe of the last interval already failed to tell), waiting
// for the probe until ctx ends. Without a recent answer, the last one
// known stands; without any, the state is unverified.
func (c *credentials) state(ctx context.Context, ch *CredentialsCheck) (credentialState, string) {
	if s, ok := ch.known(c.interval); ok {
		return s, ""
	}
	ch.mu.Lock()
	done := ch.probe
	if done == nil && time.Since(ch.probedAt) >= c.interval {
		done = make(chan struct{})
		ch.probe = done
		go c.runProbe(ch, done)
	}
	ch.mu.Unlock()
	if done != nil {
		select {
		case <-done:
		case <-ctx.Done():
		}
	}
	if s, ok := ch.known(c.interval); ok {
		return s, ""
	}
	ok, refused := ch.acceptedAt.Load(), ch.refusedAt.Load()
	switch {
	case refused > ok:
		return credentialsRefused, ""
	case ok > 0:
		return credentialsAccepted, ""
	}
	ch.mu.Lock()
	defer ch.mu.Unlock()
	why := ch.probeFail
	if ch.probe != nil || why == "" {
		why = "not checked yet"
	}
	return credentialsUnverified, why
}

// runProbe makes one authenticated call with ch's credentials, once a
// probe slot is free, and notes what it told.
func (c *credentials) runProbe(ch *CredentialsCheck, done chan struct{}) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	why := ""
	select {
	case c.probes <- struct{}{}:
		why = c.probe(ctx, ch)
		<-c.probes
	case <-ctx.Done():
		why = "other probes took the time"
	}
	ch.mu.Lock()
	ch.probe, ch.probedAt, ch.probeFail = nil, time.Now(), why
	ch.mu.Unlock()
	close(done)
}

// probe asks the REST API about ch's credentials and notes its answer; it
// returns why the answer tells neither acceptance nor refusal, or "".
func (c *credentials) probe(ctx context.Context, ch *CredentialsCheck) string {
	err := c.checker.CheckCredentials(ctx, ch.acct)
	var pe *platformapi.Error
	switch {
	case err == nil:
		ch.acceptedAt.Store(time.Now().UnixNano())
		return ""
	case errors.As(err, &pe) && pe.CredentialsRefused():
		ch.refusedAt.Store(time.Now().UnixNano())
		c.log.LogAttrs(ctx, slog.LevelWarn, "the REST API refused the credentials of an account", slog.String("account", ch.acct.ID))
		return ""
	case pe != nil && pe.StatusCode != 0:
		// A 403, say: the Account object may need a privilege the
		// credentials lack, which says nothing of the calls they make.
		return fmt.Sprintf("the probe got HTTP %d", pe.StatusCode)
	}
	return "the probe got no answer"
}

// readiness returns the "credentials" check of /readyz for spaces, and
// whether every space is a credentials space whose credentials the REST
// API refused: then the gateway can serve nothing.
func (c *credentials) readiness(ctx context.Context, spaces []Space) (check string, none bool) {
	if c.checker == nil {
		return "not checked", false
	}
	var mine []Space
	for _, sp := range spaces {
		if sp.Credentials != nil {
			mine = append(mine, sp)
		}
	}
	if len(mine) == 0 {
		return "not checked", false
	}
	// Every check probes, if it must, at once; each waits until ctx ends.
	type result struct {
		state credentialState
		why   string
	}
	var checks []*CredentialsCheck
	seen := make(map[*CredentialsCheck]bool, len(mine))
	for _, sp := range mine {
		if !seen[sp.Credentials] {
			seen[sp.Credentials] = true
			checks = append(checks, sp.Credentials)
		}
	}
	found := make([]result, len(checks))
	var wg sync.WaitGroup
	for i, ch := range checks {
		wg.Go(func() {
			s, why := c.state(ctx, ch)
			found[i] = result{s, why}
		})
	}
	wg.Wait()
	results := make(map[*CredentialsCheck]result, len(checks))
	for i, ch := range checks {
		results[ch] = found[i]
	}
	var refused, unverified []string
	reasons := map[string]bool{}
	for _, sp := range mine {
		switch r := results[sp.Credentials]; r.state {
		case credentialsRefused:
			refused = append(refused, sp.GUID)
		case credentialsUnverified:
			unverified = append(unverified, sp.GUID)
			reasons[r.why] = true
		}
	}
	var parts []string
	if len(refused) > 0 {
		parts = append(parts, "refused for "+spaceList(refused))
	}
	if len(unverified) > 0 {
		why := slices.Sorted(maps.Keys(reasons))
		parts = append(parts, "unverified for "+spaceList(unverified)+" ("+strings.Join(why, "; ")+")")
	}
	if len(parts) == 0 {
		return "ok", false
	}
	return strings.Join(parts, "; "), len(refused) == len(spaces)
}

// spaceList names spaces by guid, sorted, at most five.
func spaceList(guids []string) string {
	slices.Sort(guids)
	const most = 5
	word := "space "
	if len(guids) > 1 {
		word = "spaces "
	}
	if len(guids) > most {
		return word + strings.Join(guids[:most], ", ") + fmt.Sprintf(" and %d more", len(guids)-most)
	}
	return word + strings.Join(guids, ", ")
}
