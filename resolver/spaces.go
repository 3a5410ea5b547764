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

// Space resolves Space. Only id, name, description and url have a source
// (the configuration); the vendor's other fields (dates, account group,
// shared packs, theme) live in its Spaces store, which no REST object
// exposes, and are null.
type Space struct{ info SpaceInfo }

// ID is the space guid.
func (s *Space) ID() ID { return ID(s.info.ID) }

// Name is the configured name, else null.
func (s *Space) Name() *string { return optional(s.info.Name) }

// Description is the configured description, else null.
func (s *Space) Description() *string { return optional(s.info.Description) }

// URL is the configured URL of the space's user interface, else null.
func (s *Space) URL() *string { return optional(s.info.URL) }

// CreatedDate is null: not known outside the vendor's Spaces store.
func (s *Space) CreatedDate() *string { return nil }

// CreatedByAccountID is null: not known outside the vendor's Spaces store.
func (s *Space) CreatedByAccountID() *string { return nil }

// ModifiedDate is null: not known outside the vendor's Spaces store.
func (s *Space) ModifiedDate() *string { return nil }

// ModifiedByAccountID is null: not known outside the vendor's Spaces store.
func (s *Space) ModifiedByAccountID() *string { return nil }

// AccountGroup is null: the link from a space to an account group is kept
// in the vendor's Spaces store.
func (s *Space) AccountGroup() *AccountGroup { return nil }

// SharedIpacks is null: what is shared with a space is kept in the
// vendor's Spaces store.
func (s *Space) SharedIpacks() *[]*Pack { return nil }

// Theme is null: logos are kept in the vendor's Spaces store.
func (s *Space) Theme() *SpaceTheme { return nil }

// AccountGroup resolves AccountGroup; the gateway never has one (see
// Space.AccountGroup), the type exists for the documented selections.
type AccountGroup struct{}

// ID is never known.
func (*AccountGroup) ID() *ID { return nil }

// Name is never known.
func (*AccountGroup) Name() *string { return nil }

// IntegrationPacks are never known.
func (*AccountGroup) IntegrationPacks() *[]*Pack { return nil }

// SpaceTheme resolves SpaceTheme; never answered (see Space.Theme).
type SpaceTheme struct{}

// LogoURL is never known.
func (*SpaceTheme) LogoURL() *string { return nil }

// LogoAltTxt is never known.
func (*SpaceTheme) LogoAltTxt() *string { return nil }

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
