package resolver

import (
	"context"
	"fmt"
	"strings"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/ipack-gateway/ipack-gateway/errcode"
)

// SpaceInfo is what the gateway's configuration says of one space: the
// vendor keeps spaces in a store of its own that no Platform REST object
// exposes, so the gateway's spaces are its configured ones.
type SpaceInfo struct {
	// ID is the space guid (SPACE_GUID).
	ID string
	// Name, Description and URL are display values; "" when not configured.
	Name, Description, URL string
	// AccountID is the vendor account the space acts on; AccountName its
	// display name, "" when not configured.
	AccountID, AccountName string
	// The rest of the vendor's Space, as configured ("" when not): its
	// account group, its logo, and its dates as the vendor writes them.
	AccountGroupID, AccountGroupName string
	LogoURL, LogoAltTxt              string
	CreatedDate, ModifiedDate        string
}

// SpaceDirectory tells the resolvers which spaces a request may see. The
// gateway implements it from its configuration and the request's
// authentication, which resolvers know nothing of.
type SpaceDirectory interface {
	// VisibleSpaces returns the spaces the request's bearer token may act
	// on, the request's own space (SPACE_GUID) first; none outside a
	// request.
	VisibleSpaces(ctx context.Context) []SpaceInfo
	// VisibleSpace returns the space guid when the request's bearer token
	// may act on it (one of VisibleSpaces), looking at that space only.
	VisibleSpace(ctx context.Context, guid string) (SpaceInfo, bool)
	// RequestSpace returns the request's own space (SPACE_GUID); false
	// outside a request.
	RequestSpace(ctx context.Context) (SpaceInfo, bool)
	// Unverified reports whether the request's bearer token was admitted
	// without being checked, to be judged by the REST API (a passthrough
	// space admits any token), and if so a key for it and its account: a
	// hash, never the token. The fields above answer from configuration,
	// with no REST call to judge such a token, so they make one first
	// (checkUnverified).
	Unverified(ctx context.Context) (key [32]byte, unverified bool)
}

// spaces returns the request's SpaceDirectory, or an error when the
// resolver was built without one (a wiring bug).
func (r *Resolver) spaces() (SpaceDirectory, error) {
	if r.opts.Spaces == nil {
		return nil, errcode.New(errcode.GenericSystemError, "Internal error: no spaces are configured")
	}
	return r.opts.Spaces, nil
}

// errNoSpace is the error of a spaces field outside an authenticated
// request (a wiring bug).
func errNoSpace() error {
	return errcode.New(errcode.GenericSystemError, "Internal error: no space for this request")
}

// Spaces lists the spaces the request's token may act on (the gateway's
// configuration; no REST call): the request's own, then every other space
// that would admit the same token, by guid.
func (q *Query) Spaces(ctx context.Context) (*[]*Space, error) {
	dir, err := q.r.spaces()
	if err != nil {
		return nil, err
	}
	if err := q.r.checkUnverified(ctx, dir); err != nil {
		return nil, err
	}
	all := dir.VisibleSpaces(ctx)
	if len(all) == 0 {
		return nil, errNoSpace()
	}
	out := make([]*Space, len(all))
	for i := range all {
		out[i] = &Space{info: all[i]}
	}
	return &out, nil
}

// Space answers one space by id, for both root fields the vendor documents:
// Space (its request syntax) and space (the key its sample answers with);
// graphql-go resolves both with this method. A space the token may not act
// on is not found, like one that does not exist, so that a token learns
// nothing of other spaces.
func (q *Query) Space(ctx context.Context, args struct{ ID graphql.ID }) (*Space, error) {
	dir, err := q.r.spaces()
	if err != nil {
		return nil, err
	}
	if err := q.r.checkUnverified(ctx, dir); err != nil {
		return nil, err
	}
	if info, ok := dir.VisibleSpace(ctx, string(args.ID)); ok {
		return &Space{info: info}, nil
	}
	if _, ok := dir.RequestSpace(ctx); !ok {
		return nil, errNoSpace()
	}
	return nil, errcode.New(errcode.NotFound, fmt.Sprintf("Space %q was not found", truncate(string(args.ID)))).With("argument", "id")
}

// SpaceAccountCriteria is the criteria argument of spaceAccounts.
type SpaceAccountCriteria struct {
	Operator string // CONTAINS or STARTSWITH
	Argument string
}

// SpaceAccounts lists the accounts of the request's space: the one account
// it is configured with. Criteria match the account's display name (its id
// when no name is configured), ignoring case; "" matches every account.
// Inferred: the vendor documents neither the field matched nor case.
func (q *Query) SpaceAccounts(ctx context.Context, args struct{ Criteria *SpaceAccountCriteria }) (*[]*SpaceAccount, error) {
	dir, err := q.r.spaces()
	if err != nil {
		return nil, err
	}
	if err := q.r.checkUnverified(ctx, dir); err != nil {
		return nil, err
	}
	cur, ok := dir.RequestSpace(ctx)
	if !ok {
		return nil, errNoSpace()
	}
	acct := &SpaceAccount{id: cur.AccountID, name: cur.AccountName}
	out := []*SpaceAccount{}
	if args.Criteria == nil || acct.matches(*args.Criteria) {
		out = append(out, acct)
	}
	return &out, nil
}

// Space resolves Space from the configuration. What it cannot know is
// null: who last modified the space, and the packs shared with it (the
// vendor's Spaces store keeps them, and no REST object exposes them).
type Space struct{ info SpaceInfo }

// ID is the space guid.
func (s *Space) ID() ID { return ID(s.info.ID) }

// Name is the configured name, else null.
func (s *Space) Name() *string { return optional(s.info.Name) }

// Description is the configured description, else null.
func (s *Space) Description() *string { return optional(s.info.Description) }

// URL is the configured URL of the space's user interface, else null.
func (s *Space) URL() *string { return optional(s.info.URL) }

// CreatedDate is the configured creation date, else null.
func (s *Space) CreatedDate() *string { return optional(s.info.CreatedDate) }

// CreatedByAccountID is the space's account: the vendor's spaces query
// lists "all Spaces that are created by the authorized account" (its "Get
// All Spaces" page), and a space here acts for its configured account.
func (s *Space) CreatedByAccountID() *string { return optional(s.info.AccountID) }

// ModifiedDate is the configured modification date, else null.
func (s *Space) ModifiedDate() *string { return optional(s.info.ModifiedDate) }

// ModifiedByAccountID is null: no configuration says who changed a space
// (the vendor's samples answer null too).
func (s *Space) ModifiedByAccountID() *string { return nil }

// AccountGroup is the configured account group, else null.
func (s *Space) AccountGroup() *AccountGroup {
	if s.info.AccountGroupID == "" && s.info.AccountGroupName == "" {
		return nil
	}
	return &AccountGroup{id: s.info.AccountGroupID, name: s.info.AccountGroupName}
}

// SharedIpacks is null: what is shared with a space is kept in the
// vendor's Spaces store.
func (s *Space) SharedIpacks() *[]*Pack { return nil }

// Theme is the configured logo, else null.
func (s *Space) Theme() *SpaceTheme {
	if s.info.LogoURL == "" && s.info.LogoAltTxt == "" {
		return nil
	}
	return &SpaceTheme{logoURL: s.info.LogoURL, logoAltTxt: s.info.LogoAltTxt}
}

// AccountGroup resolves AccountGroup, from the configuration.
type AccountGroup struct{ id, name string }

// ID is the configured account group id, else null.
func (g *AccountGroup) ID() *ID {
	if g.id == "" {
		return nil
	}
	id := ID(g.id)
	return &id
}

// Name is the configured account group name, else null.
func (g *AccountGroup) Name() *string { return optional(g.name) }

// IntegrationPacks are null: the vendor's Spaces store keeps them.
func (*AccountGroup) IntegrationPacks() *[]*Pack { return nil }

// SpaceTheme resolves SpaceTheme, from the configuration.
type SpaceTheme struct{ logoURL, logoAltTxt string }

// LogoURL is the configured logo URL, else null.
func (t *SpaceTheme) LogoURL() *string { return optional(t.logoURL) }

// LogoAltTxt is the configured alternate text, else null.
func (t *SpaceTheme) LogoAltTxt() *string { return optional(t.logoAltTxt) }

// SpaceAccount resolves SpaceAccount.
type SpaceAccount struct{ id, name string }

// ID is the vendor account id.
func (a *SpaceAccount) ID() ID { return ID(a.id) }

// Name is the account's configured display name, else null.
func (a *SpaceAccount) Name() *string { return optional(a.name) }

func (a *SpaceAccount) matches(c SpaceAccountCriteria) bool {
	subject := a.name
	if subject == "" {
		subject = a.id
	}
	subject, arg := strings.ToLower(subject), strings.ToLower(c.Argument)
	if c.Operator == "STARTSWITH" {
		return strings.HasPrefix(subject, arg)
	}
	return strings.Contains(subject, arg)
}

// optional is nil for "", else a pointer to s.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
