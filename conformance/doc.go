// Package conformance holds the gateway's conformance suite: every
// operation's documented sample (testdata/cases.yaml, with the request and
// response shapes of the vendor's pages and of the notes) replayed over
// loopback HTTP through the gateway and the REST simulator, once per way a
// client can authenticate (a client token, a JWT from the token endpoint,
// a passthrough space with a vendor token).
//
// It has no code but its test: run it with go test ./conformance.
package conformance
