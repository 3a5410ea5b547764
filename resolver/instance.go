package resolver

import (
	"context"
	"fmt"
	"strings"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/ipack-gateway/ipack-gateway/errcode"
	"github.com/ipack-gateway/ipack-gateway/ids"
	"github.com/ipack-gateway/ipack-gateway/platformapi"
)

// IntegrationPackInstances lists the account's instances (REST
// IntegrationPackInstance QUERY, paged to the end). When the client selects
// an integrationPack field other than id, the packs of all rows are read in
// one IntegrationPack QUERY.
func (q *Query) IntegrationPackInstances(ctx context.Context) (*[]*Instance, error) {
	call, acct, err := account(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := q.r.platform.QueryInstances(call, acct, nil)
	if err != nil {
		return nil, upstreamFault(err)
	}
	out := make([]*Instance, 0, len(rows))
	for _, row := range rows {
		inst, err := instanceFromREST(row)
		if err != nil {
			return nil, err
		}
		out = append(out, inst)
	}
	if err := q.r.loadPacks(ctx, call, acct, out); err != nil {
		return nil, err
	}
	return &out, nil
}

// InstallInput is IntegrationPackInstanceInput.
type InstallInput struct {
	IntegrationPackID           graphql.ID
	IntegrationPackOverrideName *string
}

// IntegrationPackInstanceInstall installs an integration pack (REST
// IntegrationPackInstance CREATE) and answers the new instance.
//
// An install is not idempotent: a repeat could install the pack twice, so
// platformapi never sends it again once it may have been carried out. Its
// outcome is settled instead: the instances of the pack are listed before
// the CREATE and, when its outcome is unknown, again after it. Exactly one
// new instance, with the override name asked for, is the install's; none
// means it was not carried out; anything else (another install of the pack
// meanwhile, or no list from before) leaves the outcome unknown, and the
// client is told so (extensions.outcome "unknown").
func (m *Mutation) IntegrationPackInstanceInstall(ctx context.Context, args struct{ Input *InstallInput }) (*Instance, error) {
	call, acct, err := account(ctx)
	if err != nil {
		return nil, err
	}
	if args.Input == nil {
		return nil, errNullInput()
	}
	packID := string(args.Input.IntegrationPackID)
	if ids.ValidateIntegrationPack(packID) != nil {
		return nil, errcode.New(errcode.BadUserInput,
			fmt.Sprintf("input.integrationPackId %q is not a valid integration pack id", truncate(packID))).With("argument", "input.integrationPackId")
	}
	var name string
	if args.Input.IntegrationPackOverrideName != nil {
		name = *args.Input.IntegrationPackOverrideName
	}
	// What existed before, to tell this install's instance from others
	// should its outcome be unknown. A failure to list leaves nil: the
	// install goes ahead, and can then only be settled as "not installed".
	before, _ := m.r.instancesOf(call, acct, packID)
	row, err := m.r.platform.InstallInstance(call, acct, packID, name)
	if err != nil {
		if conclusive(err) {
			return nil, fromPlatform(err)
		}
		if row, err = m.r.settleInstall(call, acct, packID, name, before, err); err != nil {
			return nil, err
		}
	}
	inst, err := instanceFromREST(row)
	if err != nil {
		// The vendor answered success with an id that cannot be passed on:
		// the pack is installed, and a client that took this for a failure
		// and tried again would install it twice.
		e := malformed("integration pack instance", err).With("outcome", platformapi.OutcomeUnknown.String())
		e.Message += "; " + installHint
		return nil, e
	}
	if inst.packID == "" {
		inst.packID = packID // REST echoes it; the question is known anyway
	}
	if err := m.r.loadPacks(ctx, call, acct, []*Instance{inst}); err != nil {
		// The pack is installed; losing its id over a failed read of the
		// pack's details would leave the client to find it on its own.
		inst.packErr = err
	}
	return inst, nil
}

// installHint tells a client what to do about an install of unknown outcome.
const installHint = "the pack may have been installed: list integrationPackInstances before trying again"

// instancesOf returns the ids of the instances of packID, or the error of
// listing them.
func (r *Resolver) instancesOf(ctx context.Context, acct platformapi.Account, packID string) (map[string]bool, error) {
	f := platformapi.Equals("integrationPackId", packID)
	rows, err := r.platform.QueryInstances(ctx, acct, &f)
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(rows))
	for _, row := range rows {
		out[row.ID] = true
	}
	return out, nil
}

// settleInstall learns what an install of unknown outcome, which failed
// with err, did: it lists the instances of packID and compares them with
// before, those listed ahead of the CREATE (nil when that list failed). It
// returns the install's instance, or the error to report: err, known not
// to have installed anything, or an error of unknown outcome.
func (r *Resolver) settleInstall(ctx context.Context, acct platformapi.Account, packID, name string, before map[string]bool, err error) (platformapi.Instance, error) {
	sctx, cancel := r.settleContext(ctx)
	defer cancel()
	var rows []platformapi.Instance
	qerr := r.ask(sctx, func(ctx context.Context) error {
		f := platformapi.Equals("integrationPackId", packID)
		var err error
		rows, err = r.platform.QueryInstances(ctx, acct, &f)
		return err
	})
	var fresh []platformapi.Instance
	for _, row := range rows {
		if row.IntegrationPackID == packID && !before[row.ID] {
			fresh = append(fresh, row)
		}
	}
	switch {
	case qerr != nil:
		r.opts.Logger.WarnContext(ctx, "install outcome unknown", "err", err, "settleErr", qerr)
	case len(fresh) == 0:
		// Nothing of the pack that was not there before (or nothing at
		// all): not installed.
		return platformapi.Instance{}, notCarriedOut(err, "the pack was not installed")
	case before != nil && len(fresh) == 1 && fresh[0].IntegrationPackOverrideName == name:
		return fresh[0], nil
	default:
		// Another install of the pack ran meanwhile, or what existed before
		// is not known: which instance is this install's, if any, cannot
		// be told.
		r.opts.Logger.WarnContext(ctx, "install outcome unknown", "err", err, "newInstances", len(fresh), "listedBefore", before != nil)
	}
	return platformapi.Instance{}, onceFailure(unknownCause(err), installHint)
}

// IntegrationPackInstanceUninstall uninstalls an instance (REST
// IntegrationPackInstance DELETE) and answers its id.
func (m *Mutation) IntegrationPackInstanceUninstall(ctx context.Context, args struct{ ID graphql.ID }) (*ID, error) {
	call, acct, err := account(ctx)
	if err != nil {
		return nil, err
	}
	id, err := ids.ParseInstance(string(args.ID))
	if err != nil {
		return nil, errcode.New(errcode.InstanceIDInvalid,
			fmt.Sprintf("id %q is not a valid integration pack instance id", truncate(string(args.ID)))).With("argument", "id")
	}
	if err := m.r.platform.UninstallInstance(call, acct, id); err != nil {
		if err = m.r.settleUninstall(call, acct, id, err); err != nil {
			return nil, m.r.warnUnknown(ctx, "uninstall", fromPlatform(err))
		}
	}
	out := ID(id)
	return &out, nil
}

// settleUninstall settles an uninstall that failed with err, as remove
// does for attachments, by reading the instance back.
func (r *Resolver) settleUninstall(ctx context.Context, acct platformapi.Account, id string, err error) error {
	return r.settleDelete(ctx, err, "uninstall", func(sctx context.Context) (bool, error) {
		_, gerr := r.platform.GetInstance(sctx, acct, id)
		switch {
		case gerr == nil:
			return true, nil
		case notFound(gerr):
			return false, nil
		}
		return false, gerr
	})
}

// instanceFromREST checks a REST instance; its id must be an instance id,
// since clients pass it on to attach.
func instanceFromREST(row platformapi.Instance) (*Instance, error) {
	id, err := ids.ParseInstance(row.ID)
	if err != nil {
		return nil, malformed("integration pack instance", fmt.Errorf("bad instance id %q: %w", row.ID, err))
	}
	return &Instance{id: id, packID: row.IntegrationPackID, overrideName: row.IntegrationPackOverrideName}, nil
}

// malformed is the error for a REST answer the gateway cannot pass on.
func malformed(what string, cause error) *errcode.Error {
	return &errcode.Error{Code: errcode.PlatformCallError, Message: downstream + "the Platform API answered with a malformed " + what, Err: cause}
}

// loadPacks gives each instance its integration pack, when the client
// selected a pack field that the instance cannot answer by itself (all but
// id): one IntegrationPack QUERY per MaxFilterIDs distinct pack ids of all
// rows. ctx
// is the field's, for its selection; call is the REST calls' (see account).
func (r *Resolver) loadPacks(ctx, call context.Context, acct platformapi.Account, insts []*Instance) error {
	if !needsPacks(ctx) {
		return nil
	}
	packIDs := make([]string, len(insts))
	for i, in := range insts {
		packIDs[i] = in.packID
	}
	rows, err := queryByIDs(call, nil, "id", packIDs, func(ctx context.Context, f *platformapi.Expression) ([]platformapi.IntegrationPack, error) {
		return r.platform.QueryIntegrationPacks(ctx, acct, f)
	})
	if err != nil {
		// The pack ids came from REST, not from the client.
		return upstreamFault(err)
	}
	packs := make(map[string]*Pack, len(rows))
	for _, p := range rows {
		packs[p.ID] = &Pack{
			id: p.ID, name: p.Name, description: p.Description,
			installationType: r.enum(ctx, "InstallationType", p.InstallationType, "SINGLE", "MULTI"),
		}
	}
	for _, in := range insts {
		in.pack, in.packLoaded = packs[in.packID], true
	}
	return nil
}

// needsPacks reports whether the current list or object field selects an
// integrationPack field other than id.
func needsPacks(ctx context.Context) bool {
	for _, n := range graphql.SelectedFieldNames(ctx) {
		if sub, ok := strings.CutPrefix(n, "integrationPack."); ok && sub != "id" {
			return true
		}
	}
	return false
}

// enum returns v when it is one of the allowed values, else "" (null for
// the client) and a log line: a new vendor value should not fail a list.
func (r *Resolver) enum(ctx context.Context, typ, v string, allowed ...string) string {
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	if v != "" {
		r.opts.Logger.WarnContext(ctx, "unknown enum value from the Platform API", "type", typ, "value", truncate(v))
	}
	return ""
}

// Instance resolves IntegrationPackInstance.
type Instance struct {
	id           string
	packID       string
	overrideName string
	pack         *Pack
	packLoaded   bool  // pack was read from REST; nil then means not found
	packErr      error // reading the pack failed (install only)
}

// ID is the instance's opaque id.
func (i *Instance) ID() ID { return ID(i.id) }

// IntegrationPackID is the GUID of the installed pack.
func (i *Instance) IntegrationPackID() *ID {
	if i.packID == "" {
		return nil
	}
	id := ID(i.packID)
	return &id
}

// IntegrationPackOverrideName is the instance's own name, or null.
func (i *Instance) IntegrationPackOverrideName() *string {
	if i.overrideName == "" {
		return nil
	}
	return &i.overrideName
}

// IntegrationPack is the installed pack: from REST when a field other than
// id was selected, else from the instance alone (no REST call).
func (i *Instance) IntegrationPack() (*Pack, error) {
	switch {
	case i.packErr != nil:
		return nil, i.packErr
	case i.packLoaded:
		return i.pack, nil
	case i.packID == "":
		return nil, nil
	}
	return &Pack{id: i.packID}, nil
}

// Pack resolves IntegrationPack.
type Pack struct {
	id, name, description, installationType string
}

// ID is the pack's GUID.
func (p *Pack) ID() ID { return ID(p.id) }

// Name is the pack's name.
func (p *Pack) Name() *string { return &p.name }

// Description is the pack's description.
func (p *Pack) Description() *string { return &p.description }

// InstallationType is SINGLE or MULTI; null for a value the schema does not
// know.
func (p *Pack) InstallationType() *string {
	if p.installationType == "" {
		return nil
	}
	return &p.installationType
}
