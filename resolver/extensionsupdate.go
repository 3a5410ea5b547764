package resolver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/ipack-gateway/ipack-gateway/errcode"
	"github.com/ipack-gateway/ipack-gateway/internal/jsonobject"
	"github.com/ipack-gateway/ipack-gateway/platformapi"
)

// ExtensionInput is one item of extensionsUpdate and extendedMappersUpdate.
type ExtensionInput struct {
	Extensions     string
	EnvExtensionID string
}

// MaxUpdateItems bounds the items of one extensionsUpdate or
// extendedMappersUpdate: each is a REST call.
const MaxUpdateItems = 100

// ExtensionsUpdate updates EnvironmentExtensions objects: one REST UPDATE
// of envExtensionId per item, the item's extensions as the body, with
// "partial": true added when the object does not say (the vendor's doc
// note demands it, its sample leaves it out, and without it REST resets
// whatever the object omits).
func (m *Mutation) ExtensionsUpdate(ctx context.Context, args struct{ Input *[]*ExtensionInput }) (*[]*string, error) {
	return m.r.updateAll(ctx, "extensionsUpdate", args.Input, withPartial, m.r.platform.UpdateEnvironmentExtensions)
}

// ExtendedMappersUpdate updates EnvironmentMapExtension objects: one REST
// UPDATE of envExtensionId per item with the item's extensions as the body,
// unchanged. (The vendor's sample sends an object whose own id differs from
// envExtensionId; the path is envExtensionId's.)
func (m *Mutation) ExtendedMappersUpdate(ctx context.Context, args struct{ Input *[]*ExtensionInput }) (*[]*string, error) {
	return m.r.updateAll(ctx, "extendedMappersUpdate", args.Input, nil, m.r.platform.UpdateMapExtension)
}

// updateAll runs one REST UPDATE per item, distinct ids concurrently
// (bounded by AttachConcurrency) and repeats of one id in input order, and
// answers one string per item: REST's answer, or null for an item that
// failed. Each failure is reported at its index (see ItemErrors); the
// other items are still applied.
func (r *Resolver) updateAll(ctx context.Context, field string, input *[]*ExtensionInput,
	prepare func(json.RawMessage) json.RawMessage,
	send func(context.Context, platformapi.Account, string, json.RawMessage) (json.RawMessage, error),
) (*[]*string, error) {
	// Counted first, before anything can fail the field: the count tells
	// which alias an item error belongs to (ItemError.Call), so every
	// execution must count, a failed one too.
	callNo := beginCall(ctx, field)
	call, acct, err := account(ctx)
	if err != nil {
		return nil, err
	}
	if input == nil {
		return nil, errNullInput()
	}
	items := *input
	if len(items) > MaxUpdateItems {
		return nil, errcode.New(errcode.BadUserInput, fmt.Sprintf("input names %d items; at most %d are allowed per request", len(items), MaxUpdateItems)).With("argument", "input")
	}
	out := make([]*string, len(items))
	errs := make([]*errcode.Error, len(items))
	causes := make([]error, len(items)) // of failed REST calls, for the log
	bodies := make([]json.RawMessage, len(items))
	var order []string         // distinct ids, in input order
	byID := map[string][]int{} // id -> indexes, in input order
	for i, it := range items {
		arg := fmt.Sprintf("input[%d]", i)
		if it == nil {
			errs[i] = errcode.New(errcode.BadUserInput, arg+" must not be null").With("argument", arg)
			continue
		}
		if e := checkID(arg+".envExtensionId", it.EnvExtensionID); e != nil {
			errs[i] = e
			continue
		}
		body, err := objectJSON(it.Extensions)
		if err != nil {
			errs[i] = errcode.New(errcode.BadUserInput, fmt.Sprintf("%s.extensions is not a JSON object: %v", arg, err)).With("argument", arg+".extensions")
			continue
		}
		if prepare != nil {
			body = prepare(body)
		}
		bodies[i] = body
		if byID[it.EnvExtensionID] == nil {
			order = append(order, it.EnvExtensionID)
		}
		byID[it.EnvExtensionID] = append(byID[it.EnvExtensionID], i)
	}
	r.fanOut(len(order), func(k int) {
		id := order[k]
		for _, i := range byID[id] {
			answer, err := send(call, acct, id, bodies[i])
			if err != nil {
				errs[i], causes[i] = fromPlatform(err), err
				// Per item at debug level only; logUpdateFailures
				// writes the field's one warning.
				r.opts.Logger.DebugContext(ctx, field+" item failed", "index", i, "code", errs[i].Code, "err", err)
				continue
			}
			s := string(answer)
			out[i] = &s
		}
	})
	r.logUpdateFailures(ctx, field, items, errs, causes)

	var failed []ItemError
	for i, e := range errs {
		if e == nil {
			continue
		}
		e = e.With("index", i)
		if items[i] != nil && items[i].EnvExtensionID != "" {
			e = e.With("envExtensionId", items[i].EnvExtensionID)
		}
		failed = append(failed, ItemError{Field: field, Call: callNo, Index: i, Err: e})
	}
	if len(failed) > 0 {
		sink := itemErrorsFrom(ctx)
		if sink == nil {
			// Nobody to report the items to: fail the field, naming them.
			return nil, summarizeItems(failed, len(items))
		}
		sink.add(failed...)
	}
	return &out, nil
}

// objectJSON checks that s is one JSON object and returns it compacted.
func objectJSON(s string) (json.RawMessage, error) {
	if _, err := jsonobject.Members([]byte(s)); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// withPartial adds "partial": true to an object that has no "partial"
// member. Inferred: REST's partial flag is a boolean [OAS]; the vendor's
// note spells it "true".
func withPartial(obj json.RawMessage) json.RawMessage {
	members, err := jsonobject.Members(obj)
	if err != nil || jsonobject.Index(members, "partial") >= 0 {
		return obj
	}
	return jsonobject.Encode(append(members, jsonobject.Member{Key: "partial", Value: json.RawMessage("true")}))
}
