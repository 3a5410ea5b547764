package gateway

import "github.com/ipack-gateway/ipack-gateway/authtoken"

// UseSigner replaces s's token signer, for a test that counts what it
// does; sig must have the configured key, or the fingerprints of the
// spaces' token credentials would not match.
func UseSigner(s *Server, sig *authtoken.Signer) { s.signer = sig }
