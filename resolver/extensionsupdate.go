package resolver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/ipack-gateway/ipack-gateway/errcode"
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
	sink, _ := ctx.Value(itemErrorsKey{}).(*itemErrorSink)
	callNo := sink.begin(field)
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
		switch {
		case it == nil:
			errs[i] = errcode.New(errcode.BadUserInput, arg+" must not be null").With("argument", arg)
			continue
		case it.EnvExtensionID == "":
			errs[i] = errcode.New(errcode.BadUserInput, arg+".envExtensionId must not be empty").With("argument", arg+".envExtensionId")
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
		if sink == nil {
			// Nobody to report the items to: fail the field, naming them.
			return nil, summarizeItems(failed, len(items))
		}
		sink.add(failed)
	}
	return &out, nil
}

// objectJSON checks that s is one JSON object and returns it compacted.
func objectJSON(s string) (json.RawMessage, error) {
	if _, err := objectMembers([]byte(s)); err != nil {
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
	members, err := objectMembers(obj)
	if err != nil {
		return obj
	}
	for _, m := range members {
		if m.key == "partial" {
			return obj
		}
	}
	return encodeMembers(append(members, member{key: "partial", value: json.RawMessage("true")}))
}

// ItemError is the failure of one item of a list input: the field's
// answer holds null at Index, and the error belongs at path [field, Index].
type ItemError struct {
	Field string
	// Call counts the executions of Field in the request, from 0, each
	// counted as it begins, whether it fails whole or not: mutation fields
	// run one after the other in document order (each response key once;
	// none that @skip or @include leaves out), so with the request's
	// variables it tells which of several aliases of Field failed.
	Call  int
	Index int
	Err   *errcode.Error
}

type itemErrorsKey struct{}

type itemErrorSink struct {
	mu    sync.Mutex
	errs  []ItemError
	calls map[string]int
}

// begin counts one execution of field and returns its number. A nil sink
// counts nothing.
func (s *itemErrorSink) begin(field string) int {
	if s == nil {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.calls == nil {
		s.calls = map[string]int{}
	}
	n := s.calls[field]
	s.calls[field]++
	return n
}

func (s *itemErrorSink) add(errs []ItemError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errs = append(s.errs, errs...)
}

// WithItemErrors returns a context in which resolvers of list inputs
// report the failures of single items (see ItemErrors) instead of failing
// their field. graphql-go can put an error at a list item's path only for
// lists of objects; these fields answer lists of strings, so the caller
// adds the errors to the response itself.
func WithItemErrors(ctx context.Context) context.Context {
	return context.WithValue(ctx, itemErrorsKey{}, &itemErrorSink{})
}

// ItemErrors returns the item failures reported in ctx (made by
// WithItemErrors), in the order reported.
func ItemErrors(ctx context.Context) []ItemError {
	s, ok := ctx.Value(itemErrorsKey{}).(*itemErrorSink)
	if !ok {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ItemError(nil), s.errs...)
}

// summarizeItems is the field's error when item failures cannot be
// reported one by one.
func summarizeItems(failed []ItemError, n int) error {
	var list []map[string]any
	for _, f := range failed {
		list = append(list, map[string]any{"index": f.Index, "code": string(f.Err.Code), "message": f.Err.Message})
	}
	first := failed[0].Err
	return (&errcode.Error{Code: first.Code, Message: fmt.Sprintf("%d of %d items failed; first: %s", len(failed), n, first.Message)}).With("failures", list)
}
