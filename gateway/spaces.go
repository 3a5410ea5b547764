package gateway

import (
	"context"
	"slices"
	"strings"

	"github.com/ipack-gateway/ipack-gateway/config"
	"github.com/ipack-gateway/ipack-gateway/resolver"
)

// spaceInfo is what the spaces queries answer of a configured space.
func spaceInfo(sc config.SpaceConfig) resolver.SpaceInfo {
	return resolver.SpaceInfo{
		ID: sc.GUID, Name: sc.Name, Description: sc.Description, URL: sc.URL,
		AccountID: sc.AccountID, AccountName: sc.AccountName,
	}
}

// viewer is who a GraphQL request authenticated as: its space and bearer
// token. The token stays in memory for the request only (it is in the
// request's header anyway) and is never logged.
type viewer struct {
	s     *Server // that admitted the request: its spaces and tokens
	space *space
	token string
	sum   [32]byte
}

type viewerKey struct{}

func (s *Server) withViewer(ctx context.Context, sp *space, token string, sum [32]byte) context.Context {
	return context.WithValue(ctx, viewerKey{}, &viewer{s: s, space: sp, token: token, sum: sum})
}

// SpaceDirectory gives the resolvers the spaces a request may see
// (resolver.SpaceDirectory): the composition root passes it in
// resolver.Options.Spaces. It holds nothing: the resolvers are built
// before the server, so it finds the server that admitted the request, and
// the request's token, in the request's context.
type SpaceDirectory struct{}

// VisibleSpaces returns the request's own space, then, by guid, every
// other configured space that would admit the same bearer token: one whose
// client tokens include it, or that a gateway JWT binds. A token admitted
// by a passthrough space sees that space only: there any token passes, so
// passing says nothing of who holds it, and listing the other passthrough
// spaces would hand their guids to anyone.
func (SpaceDirectory) VisibleSpaces(ctx context.Context) []resolver.SpaceInfo {
	v, _ := ctx.Value(viewerKey{}).(*viewer)
	if v == nil {
		return nil
	}
	s := v.s
	out := []resolver.SpaceInfo{v.space.info}
	if v.space.passthrough {
		return out
	}
	all := *s.spaces.Load() // the current configuration, after any reload
	guids := make([]string, 0, len(all))
	for g := range all {
		guids = append(guids, g)
	}
	slices.SortFunc(guids, strings.Compare)
	for _, g := range guids {
		sp := all[g]
		if g == v.space.guid || sp.passthrough {
			continue
		}
		if _, e := s.checkToken(sp, v.token, v.sum); e == nil {
			out = append(out, sp.info)
		}
	}
	return out
}
