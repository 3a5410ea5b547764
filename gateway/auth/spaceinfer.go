package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ipack-gateway/ipack-gateway/authtoken"
	"github.com/ipack-gateway/ipack-gateway/errcode"
)

// The vendor's pages for install, uninstall, spaces and Space list only
// Authorization and Accept among the headers to send; every other
// operation's lists SPACE_GUID. A request without the header is therefore
// admitted in the space its token names, or in the configured default
// space (inferSpace), and then refused unless it selects only fields that
// need no SPACE_GUID (SpaceGUIDRequired).

// spaceOptional are the root fields whose vendor pages leave SPACE_GUID
// out, and introspection, which needs no space.
var spaceOptional = map[string]bool{
	"integrationPackInstanceInstall":   true,
	"integrationPackInstanceUninstall": true,
	"spaces":                           true,
	"Space":                            true,
	"space":                            true,
	"__typename":                       true,
	"__schema":                         true,
	"__type":                           true,
}

// inferSpace picks the space of a request that sent no SPACE_GUID:
//
//   - the spaces its token is valid in: a gateway JWT's (its signature
//     checked here, once: the claims returned serve authentication), or
//     those that list a client token. Passthrough spaces admit any token,
//     which names none of them.
//   - When those are all of one account, the request acts for that
//     account (install and uninstall act on the account; spaces lists them
//     all anyway): the default space if it is one of them, else the first
//     by guid.
//   - When the token names no space, the space marked default, if any.
//
// It refuses the request (MISSING_SPACE_ID) when the token's spaces are of
// several accounts and the default is none of them, saying how many, not
// which, and when nothing names a space. It never refuses a token: the
// chosen space's authentication does, as with the header.
func (a *Authenticator) inferSpace(token string, hasToken bool, sum [32]byte) (*space, *authtoken.Claims, *errcode.Error) {
	var claims *authtoken.Claims
	if signer := a.spaces.signer; hasToken && signer != nil && authtoken.LooksLikeJWT(token) {
		c, err := signer.Verify(token)
		switch {
		case err == nil:
			claims = c
		case errors.Is(err, authtoken.ErrExpired):
			// Ours, but over: what the client must hear, whatever space.
			return nil, nil, errExpired()
		}
		// A JWT that does not verify may be the vendor's, for a
		// passthrough default space: it names no space of ours.
	}
	var def *space
	var named []*space
	for _, sp := range a.spaces.all() {
		if sp.isDefault {
			def = sp
		}
		if !hasToken || sp.passthrough {
			continue
		}
		if sp.allows(sum) || (claims != nil && claims.Allows(sp.guid, sp.account.ID) && sp.listsCredential(claims.Credential)) {
			named = append(named, sp)
		}
	}
	switch {
	case len(named) == 0 && def != nil:
		return def, nil, nil
	case len(named) == 0:
		return nil, nil, errcode.New(errcode.MissingSpaceID, "The SPACE_GUID header is required: the token names no space, and no space is the default")
	case slices.Contains(named, def):
		return def, claims, nil
	}
	accounts := map[string]bool{}
	for _, sp := range named {
		accounts[sp.account.ID] = true
	}
	if len(accounts) > 1 {
		return nil, nil, errcode.New(errcode.MissingSpaceID, fmt.Sprintf("The SPACE_GUID header is required: the token is valid in %d spaces of %d accounts", len(named), len(accounts)))
	}
	return slices.MinFunc(named, func(a, b *space) int { return strings.Compare(a.guid, b.guid) }), claims, nil
}

// SpaceGUIDRequired refuses a request admitted without SPACE_GUID whose
// operation selects, among its root fields, one whose vendor page asks for
// the header (Refuse answers it); nil when it had the header or selects
// only fields that need none.
func SpaceGUIDRequired(ctx context.Context, rootFields []string) *errcode.Error {
	if p := PrincipalFrom(ctx); p == nil || !p.Inferred {
		return nil
	}
	for _, f := range rootFields {
		if !spaceOptional[f] {
			return errcode.New(errcode.MissingSpaceID, fmt.Sprintf("The SPACE_GUID header is required for %s; only integrationPackInstanceInstall, integrationPackInstanceUninstall, spaces and Space may leave it out", errcode.Clip(f, errcode.MaxEchoed)))
		}
	}
	return nil
}
