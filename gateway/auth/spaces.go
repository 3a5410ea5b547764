package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/ipack-gateway/ipack-gateway/authtoken"
	"github.com/ipack-gateway/ipack-gateway/config"
	"github.com/ipack-gateway/ipack-gateway/gateway/health"
	"github.com/ipack-gateway/ipack-gateway/platformapi"
	"github.com/ipack-gateway/ipack-gateway/resolver"
)

// Spaces is the registry of the configured spaces: who may act on each
// (client tokens, the token endpoint's credentials, or any token on a
// passthrough space) and what the spaces queries answer of it. Load
// swaps the whole set (at start, and on each reload): a request keeps the
// space it was authenticated with, later ones see the new set.
//
// Spaces is the resolvers' resolver.SpaceDirectory: the composition root
// hands it to them (resolver.Options.Spaces), and what a request may see
// depends on its Principal, in its context.
type Spaces struct {
	signer *authtoken.Signer // nil when no tokens.signingKey is configured
	cur    atomic.Pointer[map[string]*space]
}

// Tracker gives each account whose credentials the gateway holds the
// check of those credentials that /readyz reports (health.Health.Track).
type Tracker func(accts []platformapi.Account) []*health.CredentialsCheck

// NewSpaces returns an empty registry; Load fills it. signer, nil when no
// tokens.signingKey is configured, issues and checks the gateway's JWTs.
func NewSpaces(signer *authtoken.Signer) *Spaces { return &Spaces{signer: signer} }

// Load makes cfg the configured spaces. track, when not nil, gives each
// credentials space its check for /readyz before the spaces are used. An
// error (a token hash that does not parse, which config.Validate checks
// first) leaves the spaces as they were.
func (d *Spaces) Load(cfg []config.SpaceConfig, track Tracker) error {
	spaces, err := newSpaces(cfg, d.signer)
	if err != nil {
		return err
	}
	if track != nil {
		var mine []*space
		var accts []platformapi.Account
		for _, sp := range spaces {
			if !sp.passthrough {
				mine, accts = append(mine, sp), append(accts, sp.account)
			}
		}
		for i, ch := range track(accts) {
			mine[i].creds = ch
		}
	}
	d.cur.Store(&spaces)
	return nil
}

// Ready returns the spaces configured now, as /readyz sees them; nil
// before Load.
func (d *Spaces) Ready() []health.Space {
	p := d.cur.Load()
	if p == nil {
		return nil
	}
	out := make([]health.Space, 0, len(*p))
	for _, sp := range *p {
		out = append(out, health.Space{GUID: sp.guid, Credentials: sp.creds})
	}
	return out
}

// all returns the spaces configured now, by guid.
func (d *Spaces) all() map[string]*space {
	if p := d.cur.Load(); p != nil {
		return *p
	}
	return nil
}

// space returns the configured space with that guid, or nil.
func (d *Spaces) space(guid string) *space { return d.all()[guid] }

// space is a configured space, ready to authenticate requests.
type space struct {
	guid        string
	account     platformapi.Account      // Credentials unset when passthrough
	passthrough bool                     // forward the client's bearer token
	tokens      [][32]byte               // SHA-256 of each client token allowed
	tokenCreds  []tokenCredential        // Basic credentials of the token endpoint
	info        resolver.SpaceInfo       // what the spaces queries answer
	creds       *health.CredentialsCheck // what REST said of account's credentials lately; nil when passthrough
	isDefault   bool                     // of requests without SPACE_GUID (spaceinfer.go)
}

// newSpaces builds the spaces of cfg. signer, nil when no tokens.signingKey
// is configured, fingerprints the token credentials.
func newSpaces(cfg []config.SpaceConfig, signer *authtoken.Signer) (map[string]*space, error) {
	out := make(map[string]*space, len(cfg))
	for _, sc := range cfg {
		sp := &space{guid: sc.GUID, account: platformapi.Account{ID: sc.AccountID}, info: spaceInfo(sc), isDefault: sc.Default}
		if sc.Passthrough() {
			sp.passthrough = true
		} else {
			sp.account.Credentials = platformapi.Basic(sc.Credentials.Username, sc.Credentials.Password)
		}
		for _, tc := range sc.TokenCredentials {
			h, err := config.TokenHash(tc.PasswordHash)
			if err != nil {
				return nil, err // Validate has already checked
			}
			sp.tokenCreds = append(sp.tokenCreds, newTokenCredential(sha256.Sum256([]byte(tc.Username)), h, signer))
		}
		for _, t := range sc.ClientTokens {
			h, err := config.TokenHash(t)
			if err != nil {
				return nil, err // Validate has already checked
			}
			sp.tokens = append(sp.tokens, h)
		}
		out[sc.GUID] = sp
	}
	return out, nil
}

// spaceInfo is what the spaces queries answer of a configured space.
func spaceInfo(sc config.SpaceConfig) resolver.SpaceInfo {
	return resolver.SpaceInfo{
		ID: sc.GUID, Name: sc.Name, Description: sc.Description, URL: sc.URL,
		AccountID: sc.AccountID, AccountName: sc.AccountName,
		AccountGroupID: sc.AccountGroup.ID, AccountGroupName: sc.AccountGroup.Name,
		LogoURL: sc.Theme.LogoURL, LogoAltTxt: sc.Theme.LogoAltTxt,
		CreatedDate: sc.CreatedDate, ModifiedDate: sc.ModifiedDate,
	}
}

// allows reports whether token may act on the space. It hashes the token
// and compares it with every allowed hash in constant time, so neither the
// match nor its position shows in the timing.
func (sp *space) allows(sum [32]byte) bool {
	ok := 0
	for i := range sp.tokens {
		ok |= subtle.ConstantTimeCompare(sum[:], sp.tokens[i][:])
	}
	return ok == 1
}

// listsCredential reports whether sp's token endpoint credentials include
// the one with fingerprint fp.
func (sp *space) listsCredential(fp string) bool {
	for _, c := range sp.tokenCreds {
		if c.fingerprint == fp {
			return true
		}
	}
	return false
}

// accountListsCredential reports whether a space of accountID lists the
// token credential with fingerprint fp.
func (d *Spaces) accountListsCredential(accountID, fp string) bool {
	for _, sp := range d.all() {
		if sp.account.ID == accountID && sp.listsCredential(fp) {
			return true
		}
	}
	return false
}

// anySpaceAllows reports whether sum is a client token of any space. Only
// refused tokens get here, and they are throttled per address, so a scan
// of every space is affordable; each comparison is in constant time.
func (d *Spaces) anySpaceAllows(sum [32]byte) bool {
	ok := false
	for _, sp := range d.all() {
		ok = sp.allows(sum) || ok
	}
	return ok
}

// admits reports whether p's token would be admitted by sp, a configured
// space other than its own: one of sp's client tokens, or a JWT that binds
// sp and whose credential sp still lists (as checkToken decides). A
// passthrough space admits any token, which says nothing of who holds it,
// so it is never admitted here. The cost is one constant-time comparison
// per client token of sp; no signature is checked again.
func (p *Principal) admits(sp *space) bool {
	if sp.passthrough {
		return false
	}
	if sp.allows(p.tokenSum) {
		return true
	}
	c := p.claims
	return c != nil && c.Allows(sp.guid, sp.account.ID) && sp.listsCredential(c.Credential)
}

// VisibleSpaces implements resolver.SpaceDirectory. It returns the
// request's own space, then, by guid, every other configured space that
// would admit the same bearer token: one whose client tokens include it,
// or that a gateway JWT binds. A token admitted by a passthrough space
// sees that space only: there any token passes, so passing says nothing of
// who holds it, and listing the other passthrough spaces would hand their
// guids to anyone. It is computed once per request, however many fields
// ask.
func (d *Spaces) VisibleSpaces(ctx context.Context) []resolver.SpaceInfo {
	p := PrincipalFrom(ctx)
	if p == nil {
		return nil
	}
	p.once.Do(func() {
		p.visible = []resolver.SpaceInfo{p.sp.info}
		if p.sp.passthrough {
			return
		}
		var others []*space
		for _, sp := range d.all() { // the current configuration, after any reload
			if sp.guid != p.sp.guid && p.admits(sp) {
				others = append(others, sp)
			}
		}
		slices.SortFunc(others, func(a, b *space) int { return strings.Compare(a.guid, b.guid) })
		for _, sp := range others {
			p.visible = append(p.visible, sp.info)
		}
	})
	return p.visible
}

// VisibleSpace implements resolver.SpaceDirectory: the space guid when the
// request may see it (see VisibleSpaces), looking at that one space only.
func (d *Spaces) VisibleSpace(ctx context.Context, guid string) (resolver.SpaceInfo, bool) {
	p := PrincipalFrom(ctx)
	switch {
	case p == nil:
		return resolver.SpaceInfo{}, false
	case guid == p.sp.guid:
		return p.sp.info, true
	case p.sp.passthrough:
		return resolver.SpaceInfo{}, false
	}
	sp := d.space(guid)
	if sp == nil || !p.admits(sp) {
		return resolver.SpaceInfo{}, false
	}
	return sp.info, true
}

// Unverified implements resolver.SpaceDirectory: whether the request's
// space is a passthrough one, which admitted its bearer token unchecked
// for the REST API to judge, and if so a key for the token on the space's
// account: a hash of the token's hash, never the token.
func (d *Spaces) Unverified(ctx context.Context) ([32]byte, bool) {
	p := PrincipalFrom(ctx)
	if p == nil || !p.sp.passthrough {
		return [32]byte{}, false
	}
	return sha256.Sum256(append([]byte("unverified\x00"+p.sp.account.ID+"\x00"), p.tokenSum[:]...)), true
}

// RequestSpace implements resolver.SpaceDirectory: the request's own space
// (SPACE_GUID, or the one inferred without it).
func (d *Spaces) RequestSpace(ctx context.Context) (resolver.SpaceInfo, bool) {
	p := PrincipalFrom(ctx)
	if p == nil {
		return resolver.SpaceInfo{}, false
	}
	return p.sp.info, true
}
