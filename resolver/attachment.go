package resolver

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	graphql "github.com/graph-gophers/graphql-go"
	"golang.org/x/sync/errgroup"

	"github.com/ipack-gateway/ipack-gateway/errcode"
	"github.com/ipack-gateway/ipack-gateway/ids"
	"github.com/ipack-gateway/ipack-gateway/platformapi"
)

// AttachmentInput is IntegrationPackEnvironmentAttachmentInput.
type AttachmentInput struct {
	IntegrationPackInstanceID graphql.ID
	EnvironmentIDs            *[]graphql.ID // nullable in the schema, refused null
}

// attachPlan is what an attach's input asks for: an item per environment
// id, and the indexes of the items to send a CREATE for.
type attachPlan struct {
	instanceID string
	envs       []graphql.ID
	items      []*Attachment
	todo       []int
	field      string
}

// planAttach checks an attach's input and plans its calls. It is a
// function of its own so that the resolver's stack frame, which stays
// while the REST calls run, holds none of the checking's buffers and
// messages (every attach in flight keeps its goroutine's stack).
func (r *Resolver) planAttach(ctx context.Context, in *AttachmentInput) (attachPlan, error) {
	if in == nil {
		return attachPlan{}, errNullInput()
	}
	instanceID, err := ids.ParseInstance(string(in.IntegrationPackInstanceID))
	if err != nil {
		return attachPlan{}, (&errcode.Error{
			Code:    errcode.InstanceIDInvalid,
			Message: fmt.Sprintf("input.integrationPackInstanceId %q is not a valid integration pack instance id", truncate(string(in.IntegrationPackInstanceID))),
		}).With("argument", "input.integrationPackInstanceId")
	}
	if in.EnvironmentIDs == nil {
		return attachPlan{}, errcode.New(errcode.BadUserInput, "input.environmentIds must not be null").With("argument", "input.environmentIds")
	}
	envs := *in.EnvironmentIDs
	switch {
	case len(envs) == 0:
		return attachPlan{}, errcode.New(errcode.BadUserInput, "input.environmentIds must name at least one environment").With("argument", "input.environmentIds")
	case len(envs) > r.opts.MaxEnvironments:
		return attachPlan{}, errcode.New(errcode.BadUserInput, fmt.Sprintf("input.environmentIds names %d environments; at most %d are allowed per request", len(envs), r.opts.MaxEnvironments)).With("argument", "input.environmentIds")
	}
	field := errorField(ctx)

	// One REST call per distinct, well-formed environment id; duplicates
	// share its outcome.
	items := make([]*Attachment, len(envs))
	first := make(map[string]int, len(envs))
	var todo []int // indexes into items of the calls to make
	invalid := false
	for i, e := range envs {
		env := string(e)
		if err := ids.ValidateEnvironment(env); err != nil {
			items[i] = &Attachment{err: errcode.New(errcode.BadUserInput,
				fmt.Sprintf("input.environmentIds[%d] %q is not a valid environment id", i, truncate(env))).
				With("environmentId", env).With("argument", fmt.Sprintf("input.environmentIds[%d]", i))}
			invalid = true
			continue
		}
		if j, dup := first[env]; dup {
			items[i] = items[j] // filled below; pointer shared on purpose
			continue
		}
		first[env] = i
		items[i] = &Attachment{environmentID: env}
		todo = append(todo, i)
	}

	if invalid && r.opts.Rollback {
		// All or nothing: refuse before any REST call.
		for _, i := range todo {
			items[i].err = errcode.New(errcode.BadUserInput, "Not attempted: another environmentId of this all-or-nothing attach is invalid").With("environmentId", string(envs[i]))
		}
		todo = nil
	}
	return attachPlan{instanceID: instanceID, envs: envs, items: items, todo: todo, field: field}, nil
}

// attachField is the attach's field, as item errors name it.
const attachField = "integrationPackInstanceEnvironmentAttachmentAttach"

// IntegrationPackInstanceEnvironmentAttachmentAttach fans out one REST
// CREATE per distinct environmentId, at most Options.AttachConcurrency at
// once, and answers one item per environmentId in input order. An item that
// failed is reported in the context (see answerAttach).
func (m *Mutation) IntegrationPackInstanceEnvironmentAttachmentAttach(ctx context.Context, args struct{ Input *AttachmentInput }) (*[]*Attachment, error) {
	r := m.r
	// Counted first, before anything can fail the field (ItemError.Call).
	callNo := beginCall(ctx, attachField)
	call, acct, err := account(ctx)
	if err != nil {
		return nil, err
	}
	plan, err := r.planAttach(ctx, args.Input)
	if err != nil {
		return nil, err
	}
	instanceID, items, todo := plan.instanceID, plan.items, plan.todo
	if r.opts.Rollback && len(todo) > 0 {
		todo = r.skipAttached(call, acct, instanceID, items, todo)
	}
	if r.opts.Observer != nil {
		r.opts.Observer.FanOut(len(todo))
	}
	r.fanOut(len(todo), func(k int) {
		it := items[todo[k]]
		att, err := r.create(call, acct, instanceID, it.environmentID)
		r.record(ctx, it, instanceID, att, err)
	})
	if r.opts.Rollback {
		r.rollback(call, acct, instanceID, items, todo)
	}
	r.logAttachFailures(ctx, items)
	return answerAttach(ctx, callNo, &plan)
}

// answerAttach answers the attach planned by plan, the call-th execution
// of the field in the request, once its items hold their outcomes. Each
// failed item is reported in ctx (WithItemErrors), carried by plan.field
// (errorField): when that is id, which is non-null, the item is null, as a
// failed id makes it; else the item's fields are null. Without a sink in
// ctx, or when only meta fields are selected (no field can carry an
// error), the failures fail the list, named in its error.
func answerAttach(ctx context.Context, call int, plan *attachPlan) (*[]*Attachment, error) {
	items, field := plan.items, plan.field
	if !slices.ContainsFunc(items, func(a *Attachment) bool { return a.err != nil }) {
		return &items, nil
	}
	sink := itemErrorsFrom(ctx)
	if sink == nil || field == "" {
		return nil, summarize(items, plan.envs)
	}
	failed := make([]ItemError, 0, len(items))
	for i, it := range items {
		if it.err == nil {
			continue
		}
		failed = append(failed, ItemError{Field: attachField, Call: call, Index: i, ItemField: field, Err: it.err})
		if field == "id" {
			items[i] = nil // this slot only: a duplicate's still holds the shared item
		}
	}
	sink.add(failed...)
	return &items, nil
}

// record fills in an attach item from its CREATE's outcome. It is a
// function of its own so that the fan-out's frame, which stays while the
// CREATE runs, holds neither the id's encoding buffers nor the log call's
// arguments.
func (r *Resolver) record(ctx context.Context, it *Attachment, instanceID string, att platformapi.Attachment, err error) {
	if err != nil {
		it.err = fromPlatform(err).With("environmentId", it.environmentID)
		// Per environment at debug level only; logAttachFailures
		// writes the request's one warning.
		r.opts.Logger.DebugContext(ctx, "attach failed for an environment", "environmentId", it.environmentID, "code", it.err.Code, "err", err)
		return
	}
	it.id = ids.Attachment(instanceID, att.EnvironmentID)
	it.environmentID = att.EnvironmentID
	it.instanceID = instanceID
}

// rollback detaches the items this attach attached (todo: the ones it sent
// a CREATE for) when some item failed, and marks them failed with the first
// failure as the cause. An environment attached before the request
// (skipAttached) is never among them. An item whose detach is known to
// have failed stays attached and is reported so: the client is never told
// "failed" for an attachment that exists. One whose detach has an unknown
// outcome is reported failed with outcome "unknown": "attached" could be
// as wrong as "failed".
func (r *Resolver) rollback(ctx context.Context, acct platformapi.Account, instanceID string, items []*Attachment, todo []int) {
	var cause *Attachment
	var undo []*Attachment
	for _, i := range todo {
		switch it := items[i]; {
		case it.preexisting:
			// Not this request's to undo (skipAttached keeps them out of
			// todo; this holds should that change).
		case it.err != nil && cause == nil:
			cause = it
		case it.err == nil:
			undo = append(undo, it)
		}
	}
	if cause == nil {
		return
	}
	sctx, cancel := r.settleContext(ctx)
	defer cancel()
	// An item of unknown outcome may be attached: detach it too, so that
	// its failure is known.
	for _, i := range todo {
		if it := items[i]; it.err != nil && it.err.Fields["outcome"] == platformapi.OutcomeUnknown.String() && !it.preexisting {
			if err := r.remove(sctx, acct, instanceID, it.environmentID, restAttachmentID(ids.AttachmentKey{InstanceID: instanceID, EnvironmentID: it.environmentID})); err == nil || notFound(err) {
				it.err = (&errcode.Error{Code: it.err.Code, Message: downstream + "the outcome was unknown, so the environment was detached to keep the attach all-or-nothing"}).
					With("environmentId", it.environmentID)
			}
		}
	}
	var mu sync.Mutex
	var kept []string // environments whose detach failed
	var keptErr error
	r.fanOut(len(undo), func(k int) {
		it := undo[k]
		key := ids.AttachmentKey{InstanceID: instanceID, EnvironmentID: it.environmentID}
		if err := r.remove(sctx, acct, instanceID, it.environmentID, restAttachmentID(key)); err != nil && !notFound(err) {
			r.opts.Logger.DebugContext(ctx, "rollback failed for an environment", "environmentId", it.environmentID, "err", err)
			if e := fromPlatform(err); e.Fields["outcome"] == platformapi.OutcomeUnknown.String() {
				// Only a DELETE known to have failed leaves the item
				// attached; this one may have detached it.
				it.err = (&errcode.Error{
					Code:    e.Code,
					Message: fmt.Sprintf("Rollback outcome unknown: environment %s failed: %s; detaching this environment again was not confirmed, so it may or may not be attached: check before retrying (%s)", cause.environmentID, cause.err.Message, e.Message),
					Err:     err,
				}).With("environmentId", it.environmentID).With("outcome", platformapi.OutcomeUnknown.String()).With("cause", map[string]any{"environmentId": cause.environmentID, "code": string(cause.err.Code)})
				return
			}
			mu.Lock()
			kept = append(kept, it.environmentID)
			keptErr = cmp.Or(keptErr, err)
			mu.Unlock()
			return
		}
		it.err = (&errcode.Error{
			Code:    cause.err.Code,
			Message: fmt.Sprintf("Rolled back: environment %s failed: %s", cause.environmentID, cause.err.Message),
		}).With("environmentId", it.environmentID).With("rolledBack", true).With("cause", map[string]any{"environmentId": cause.environmentID, "code": string(cause.err.Code)})
	})
	if len(kept) > 0 {
		// One line however many failed (see logAttachFailures).
		r.opts.Logger.LogAttrs(ctx, slog.LevelError, "rollback failed: environments stay attached",
			slog.Int("count", len(kept)),
			slog.Any("environmentIds", kept[:min(len(kept), maxLoggedEnvironments)]),
			slog.String("err", errcode.Clip(keptErr.Error(), maxLoggedError)))
	}
}

// fanOut runs fn(0) … fn(n-1) on at most AttachConcurrency goroutines.
// With one worker it runs on the caller's: attach(1), the common case,
// spares a goroutine and its stack growth.
func (r *Resolver) fanOut(n int, fn func(k int)) {
	workers := min(n, r.opts.AttachConcurrency)
	if workers <= 1 {
		for k := range n {
			fn(k)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	wg.Add(workers)
	for range workers {
		go func() {
			defer wg.Done()
			for {
				k := int(next.Add(1) - 1)
				if k >= n {
					return
				}
				fn(k)
			}
		}()
	}
	wg.Wait()
}

// checkCreated verifies that REST created the attachment that was asked
// for; the GraphQL id is built from the answer, so a wrong one must not pass.
func checkCreated(att platformapi.Attachment, instanceID, env string) error {
	inst, err := ids.ParseInstance(att.IntegrationPackInstanceID)
	if err != nil || inst != instanceID || !strings.EqualFold(att.EnvironmentID, env) {
		return &errcode.Error{
			Code:    errcode.PlatformCallError,
			Message: downstream + "the Platform API answered with a different attachment than requested",
			Err:     fmt.Errorf("asked for %s on %s, got %+v", instanceID, env, att),
		}
	}
	return nil
}

// errorField picks the item field that carries a failed item's error: id,
// when selected, because it is non-null and so nulls the whole item; else
// the first selected field. "" when only meta fields are selected.
func errorField(ctx context.Context) string {
	names := graphql.SelectedFieldNames(ctx)
	first := ""
	for _, n := range names {
		if strings.Contains(n, ".") {
			continue
		}
		if n == "id" {
			return n
		}
		if first == "" {
			first = n
		}
	}
	return first
}

func summarize(items []*Attachment, envs []graphql.ID) error {
	var failures []map[string]any
	for i, a := range items {
		if a.err != nil {
			f := map[string]any{"index": i, "environmentId": string(envs[i]), "code": string(a.err.Code)}
			if st, ok := a.err.Fields["status"]; ok {
				f["status"] = st
			}
			failures = append(failures, f)
		}
	}
	first := items[failures[0]["index"].(int)].err
	return (&errcode.Error{
		Code:    first.Code,
		Message: fmt.Sprintf("%d of %d environments failed; first: %s", len(failures), len(items), first.Message),
	}).With("failures", failures)
}

// IntegrationPackInstanceEnvironmentAttachmentUnattach deletes one
// attachment by its GraphQL id and answers that id.
func (m *Mutation) IntegrationPackInstanceEnvironmentAttachmentUnattach(ctx context.Context, args struct{ ID graphql.ID }) (*string, error) {
	call, acct, err := account(ctx)
	if err != nil {
		return nil, err
	}
	key, err := ids.ParseAttachment(string(args.ID))
	if err != nil {
		return nil, errcode.New(errcode.BadUserInput,
			fmt.Sprintf("id %q is not a valid integration pack environment attachment id", truncate(string(args.ID)))).With("argument", "id")
	}
	id := key.String()
	if err := m.r.remove(call, acct, key.InstanceID, key.EnvironmentID, restAttachmentID(key)); err != nil {
		return nil, m.r.warnUnknown(ctx, "unattach", fromPlatform(err))
	}
	return &id, nil
}

// restAttachmentID is the REST key of an attachment. Inferred: REST uses the
// same opaque string as GraphQL (the vendor's samples pass it through).
func restAttachmentID(key ids.AttachmentKey) string { return key.String() }

// IntegrationPackEnvironmentAttachments lists an instance's attachments,
// optionally only those to the given environments.
func (q *Query) IntegrationPackEnvironmentAttachments(ctx context.Context, args struct {
	IpackInstanceID string
	EnvironmentIDs  *[]string
}) (*[]*Attachment, error) {
	call, acct, err := account(ctx)
	if err != nil {
		return nil, err
	}
	instanceID, err := ids.ParseInstance(args.IpackInstanceID)
	if err != nil {
		return nil, errcode.New(errcode.InstanceIDInvalid,
			fmt.Sprintf("ipackInstanceId %q is not a valid integration pack instance id", truncate(args.IpackInstanceID))).With("argument", "ipackInstanceId")
	}
	filter := platformapi.Equals("integrationPackInstanceId", instanceID)
	var envs []string // nil: all of the instance's attachments
	if args.EnvironmentIDs != nil {
		envs = *args.EnvironmentIDs
		if len(envs) == 0 {
			empty := []*Attachment{}
			return &empty, nil
		}
		if len(envs) > q.r.opts.MaxEnvironments {
			return nil, errcode.New(errcode.BadUserInput, fmt.Sprintf("environmentIds names %d environments; at most %d are allowed per request", len(envs), q.r.opts.MaxEnvironments)).With("argument", "environmentIds")
		}
		for i, env := range envs {
			if ids.ValidateEnvironment(env) != nil {
				return nil, errcode.New(errcode.BadUserInput, fmt.Sprintf("environmentIds[%d] %q is not a valid environment id", i, truncate(env))).With("argument", fmt.Sprintf("environmentIds[%d]", i))
			}
		}
	}
	wantMaps := graphql.HasSelectedField(ctx, "environmentMapExtension")
	wantExt := graphql.HasSelectedField(ctx, "environmentExtensions")
	var atts []platformapi.Attachment
	var procs []platformapi.Process
	g, gctx := errgroup.WithContext(call)
	g.Go(func() (err error) {
		if envs == nil {
			atts, err = q.r.platform.QueryAttachments(gctx, acct, &filter)
		} else {
			atts, err = queryByIDs(gctx, &filter, "environmentId", envs, func(ctx context.Context, f *platformapi.Expression) ([]platformapi.Attachment, error) {
				return q.r.platform.QueryAttachments(ctx, acct, f)
			})
		}
		return err
	})
	if wantMaps || wantExt {
		// The instance's processes name its extension groups; read them
		// alongside the attachments.
		g.Go(func() (err error) {
			procs, err = q.r.platform.QueryProcesses(gctx, acct, ptr(platformapi.Equals("integrationPackInstanceId", instanceID)))
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, fromPlatform(err)
	}
	out := make([]*Attachment, 0, len(atts))
	for _, a := range atts {
		inst, err := ids.ParseInstance(a.IntegrationPackInstanceID)
		if err != nil {
			return nil, &errcode.Error{Code: errcode.PlatformCallError, Message: downstream + "the Platform API answered with a malformed attachment",
				Err: fmt.Errorf("bad instance id in query result: %q", a.IntegrationPackInstanceID)}
		}
		out = append(out, &Attachment{id: ids.Attachment(inst, a.EnvironmentID), environmentID: a.EnvironmentID, instanceID: inst})
	}
	if wantMaps || wantExt {
		if err := q.r.loadExtensions(call, acct, procs, out, wantMaps, wantExt); err != nil {
			return nil, err
		}
	}
	return &out, nil
}

// Attachment resolves IntegrationPackEnvironmentAttachment. A failed attach
// item (err) answers null in every field but __typename; its error is
// reported apart (answerAttach), and no field of it fails: see
// itemerror.go.
type Attachment struct {
	id            string
	environmentID string
	instanceID    string
	err           *errcode.Error
	// preexisting marks an environment an all-or-nothing attach found
	// attached before it began: never to be rolled back.
	preexisting bool
	// Read by IntegrationPackEnvironmentAttachments when selected (see
	// loadExtensions); nil otherwise.
	extensions    *string
	mapExtensions *[]*string
}

// ID is the attachment's opaque id. A failed item whose id is selected is
// null in the list (answerAttach), so ID is never asked of one.
func (a *Attachment) ID() ID {
	return ID(a.id)
}

// EnvironmentID is the environment's GUID.
func (a *Attachment) EnvironmentID() *string {
	if a.err != nil {
		return nil
	}
	return &a.environmentID
}

// IntegrationPackInstanceID is the instance's opaque id.
func (a *Attachment) IntegrationPackInstanceID() *ID {
	if a.err != nil {
		return nil
	}
	id := ID(a.instanceID)
	return &id
}

// EnvironmentExtensions is, in the attachments query, the extensions read
// by loadExtensions; null in attach: the REST attachment carries none, and
// the vendor answers null in every attach sample.
func (a *Attachment) EnvironmentExtensions() *string {
	return a.extensions
}

// truncate bounds an echoed client value in an error message.
func truncate(s string) string { return errcode.Clip(s, 64) }
