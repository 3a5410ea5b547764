package gateway

import (
	"context"
	"crypto/sha256"
	"slices"
	"strings"
	"sync"

	"github.com/ipack-gateway/ipack-gateway/authtoken"
	"github.com/ipack-gateway/ipack-gateway/config"
	"github.com/ipack-gateway/ipack-gateway/resolver"
)

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

// viewer is who a GraphQL request authenticated as: its space, the SHA-256
// of its bearer token and, for a gateway JWT, the claims authentication
// verified. The token itself is not kept: what the spaces queries ask of it
// is answered from these, without a second signature check.
type viewer struct {
	s      *Server // that admitted the request: its spaces
	space  *space
	sum    [32]byte          // the bearer token's SHA-256
	claims *authtoken.Claims // nil unless the token is a verified JWT

	once    sync.Once // visible is computed once per request
	visible []resolver.SpaceInfo
}

type viewerKey struct{}

func (s *Server) withViewer(ctx context.Context, sp *space, sum [32]byte, claims *authtoken.Claims) context.Context {
	return context.WithValue(ctx, viewerKey{}, &viewer{s: s, space: sp, sum: sum, claims: claims})
}

func viewerFrom(ctx context.Context) *viewer {
	v, _ := ctx.Value(viewerKey{}).(*viewer)
	return v
}

// admits reports whether the viewer's token would be admitted by sp, a
// configured space other than its own: one of sp's client tokens, or a JWT
// that binds sp and whose credential sp still lists (as checkToken
// decides). A passthrough space admits any token, which says nothing of
// who holds it, so it is never admitted here. The cost is one constant-time
// comparison per client token of sp; no signature is checked again.
func (v *viewer) admits(sp *space) bool {
	if sp.passthrough {
		return false
	}
	if sp.allows(v.sum) {
		return true
	}
	c := v.claims
	return c != nil && c.Allows(sp.guid, sp.account.ID) && sp.listsCredential(c.Credential)
}

// SpaceDirectory gives the resolvers the spaces a request may see
// (resolver.SpaceDirectory): the composition root passes it in
// resolver.Options.Spaces. It holds nothing: the resolvers are built
// before the server, so it finds the server that admitted the request, and
// what the request authenticated with, in the request's context.
type SpaceDirectory struct{}

// VisibleSpaces returns the request's own space, then, by guid, every
// other configured space that would admit the same bearer token: one whose
// client tokens include it, or that a gateway JWT binds. A token admitted
// by a passthrough space sees that space only: there any token passes, so
// passing says nothing of who holds it, and listing the other passthrough
// spaces would hand their guids to anyone. It is computed once per request,
// however many fields ask.
func (SpaceDirectory) VisibleSpaces(ctx context.Context) []resolver.SpaceInfo {
	v := viewerFrom(ctx)
	if v == nil {
		return nil
	}
	v.once.Do(func() {
		v.visible = []resolver.SpaceInfo{v.space.info}
		if v.space.passthrough {
			return
		}
		var others []*space
		for _, sp := range *v.s.spaces.Load() { // the current configuration, after any reload
			if sp.guid != v.space.guid && v.admits(sp) {
				others = append(others, sp)
			}
		}
		slices.SortFunc(others, func(a, b *space) int { return strings.Compare(a.guid, b.guid) })
		for _, sp := range others {
			v.visible = append(v.visible, sp.info)
		}
	})
	return v.visible
}

// VisibleSpace returns the space guid when the request may see it (see
// VisibleSpaces), looking at that one space only.
func (SpaceDirectory) VisibleSpace(ctx context.Context, guid string) (resolver.SpaceInfo, bool) {
	v := viewerFrom(ctx)
	switch {
	case v == nil:
		return resolver.SpaceInfo{}, false
	case guid == v.space.guid:
		return v.space.info, true
	case v.space.passthrough:
		return resolver.SpaceInfo{}, false
	}
	sp := v.s.space(guid)
	if sp == nil || !v.admits(sp) {
		return resolver.SpaceInfo{}, false
	}
	return sp.info, true
}

// Unverified reports whether the request's space is a passthrough one,
// which admitted its bearer token unchecked for the REST API to judge,
// and if so a key for the token on the space's account: a hash of the
// token's hash, never the token.
func (SpaceDirectory) Unverified(ctx context.Context) ([32]byte, bool) {
	v := viewerFrom(ctx)
	if v == nil || !v.space.passthrough {
		return [32]byte{}, false
	}
	return sha256.Sum256(append([]byte("unverified\x00"+v.space.account.ID+"\x00"), v.sum[:]...)), true
}

// RequestSpace returns the request's own space (SPACE_GUID).
func (SpaceDirectory) RequestSpace(ctx context.Context) (resolver.SpaceInfo, bool) {
	v := viewerFrom(ctx)
	if v == nil {
		return resolver.SpaceInfo{}, false
	}
	return v.space.info, true
}
