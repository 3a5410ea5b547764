package gateway

import (
	"github.com/ipack-gateway/ipack-gateway/gateway/health"
	"github.com/ipack-gateway/ipack-gateway/platformapi"
)

// trackCredentials gives each credentials space of spaces, not yet in use
// (start, reload), the check of its credentials that /readyz reports.
func (s *Server) trackCredentials(spaces map[string]*space) {
	var mine []*space
	var accts []platformapi.Account
	for _, sp := range spaces {
		if !sp.passthrough {
			mine, accts = append(mine, sp), append(accts, sp.account)
		}
	}
	for i, ch := range s.health.Track(accts) {
		mine[i].creds = ch
	}
}

// readySpaces are the spaces configured now, as /readyz sees them; nil
// before the configuration is loaded.
func (s *Server) readySpaces() []health.Space {
	p := s.spaces.Load()
	if p == nil {
		return nil
	}
	out := make([]health.Space, 0, len(*p))
	for _, sp := range *p {
		out = append(out, health.Space{GUID: sp.guid, Credentials: sp.creds})
	}
	return out
}
