package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"slices"

	"github.com/go-chi/chi/v5"

	"github.com/ipack-gateway/ipack-gateway/authtoken"
	"github.com/ipack-gateway/ipack-gateway/errcode"
	"github.com/ipack-gateway/ipack-gateway/gateway/reqlog"
)

// tokenCredential is a Basic credential of the token endpoint, both parts
// hashed so that comparing them takes the same time whatever their length.
type tokenCredential struct {
	user     [32]byte // SHA-256 of the username
	password [32]byte // SHA-256 of the password
	// fingerprint names the credential in the tokens issued on it, so that
	// a token ends with its credential's removal or change (SIGHUP).
	fingerprint string
}

func newTokenCredential(user, password [32]byte, signer *authtoken.Signer) tokenCredential {
	c := tokenCredential{user: user, password: password}
	if signer != nil { // Validate requires a key when there are credentials
		c.fingerprint = credentialFingerprint(signer, user, password)
	}
	return c
}

// credentialFingerprint is the fingerprint of the credential whose username
// and password hash to user and password. It covers the password so that
// changing it ends the tokens issued on the old one.
func credentialFingerprint(signer *authtoken.Signer, user, password [32]byte) string {
	return signer.Fingerprint(user[:], password[:])
}

// ServeToken answers GET /auth/jwt/generate/{accountId}, the vendor's token
// flow: given HTTP Basic credentials that a space of the account accepts
// (tokenCredentials), it answers a JWT valid in every such space, as the
// bare token in a text/plain body (inferred: the vendor documents only
// "returns a JWT in the response").
func (a *Authenticator) ServeToken(w http.ResponseWriter, r *http.Request) {
	info := reqlog.InfoFrom(r.Context())
	info.Operation = "token"
	signer := a.spaces.signer
	if signer == nil {
		info.Outcome = reqlog.OutcomeError
		a.write(w, errcode.New(errcode.NotFound, "This gateway issues no tokens (no tokens.signingKey configured)"))
		return
	}
	if e := a.throttled(r); e != nil {
		info.Outcome = reqlog.OutcomeRejected
		a.Refuse(w, r, e) // unlogged, with its Retry-After
		return
	}
	accountID := chi.URLParam(r, "accountId")
	user, pass, ok := r.BasicAuth()
	var spaces []string
	if ok {
		spaces = a.tokenSpaces(accountID, user, pass)
	}
	if len(spaces) == 0 {
		info.Outcome = reqlog.OutcomeRejected
		a.failures.Charge(r.Context(), a.addressKey("auth", r))
		w.Header().Set("WWW-Authenticate", `Basic realm="ipack-gateway", charset="UTF-8"`)
		// One answer for a wrong password, an unknown user and an unknown
		// account: which of them it was is no business of the caller's.
		a.write(w, errcode.New(errcode.Unauthorized, "Unauthorized: HTTP Basic credentials accepted for this account are required"))
		return
	}
	cred := credentialFingerprint(signer, sha256.Sum256([]byte(user)), sha256.Sum256([]byte(pass)))
	tok, exp, err := signer.Issue(authtoken.Grant{Subject: user, Credential: cred, AccountID: accountID, Spaces: spaces})
	if err != nil {
		info.Outcome = reqlog.OutcomeError
		a.log.ErrorContext(r.Context(), "issuing a token failed", "err", err)
		a.write(w, errcode.New(errcode.GenericSystemError, "Internal error (request "+reqlog.IDFrom(r.Context())+")"))
		return
	}
	info.Outcome = reqlog.OutcomeOK
	a.log.LogAttrs(r.Context(), slog.LevelInfo, "token issued",
		slog.String("account", accountID),
		slog.Any("spaces", spaces),
		slog.Time("expires", exp))
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Expires", exp.UTC().Format(http.TimeFormat))
	w.WriteHeader(http.StatusOK)
	// No trailing newline: clients put the body into a header as it is.
	_, _ = w.Write([]byte(tok))
}

// tokenSpaces returns, sorted, the guids of the spaces of accountID that
// accept user:pass. Every credential of every space is compared, in
// constant time, so the answer's timing tells nothing about which matched.
func (a *Authenticator) tokenSpaces(accountID, user, pass string) []string {
	u, p := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(pass))
	var out []string
	for _, sp := range a.spaces.all() {
		match := 0
		for _, c := range sp.tokenCreds {
			match |= subtle.ConstantTimeCompare(u[:], c.user[:]) & subtle.ConstantTimeCompare(p[:], c.password[:])
		}
		if match == 1 && sp.account.ID == accountID {
			out = append(out, sp.guid)
		}
	}
	slices.Sort(out)
	return out
}
