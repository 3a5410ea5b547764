package resolver

import (
	"context"
	"fmt"
	"sync"

	gqlerrors "github.com/graph-gophers/graphql-go/errors"

	"github.com/ipack-gateway/ipack-gateway/errcode"
)

// A field that answers a list, one item per item of its input (attach: an
// attachment per environment; extensionsUpdate and extendedMappersUpdate:
// a string per update), fails item by item: the other items are still
// answered, and each failure is an error of its own at the item's path.
// graphql-go cannot give those errors their paths by itself: a list of
// strings has no field under its items to fail, and a field of an item
// that may return an error makes graphql-go resolve every field of the
// item on a goroutine of its own (internal/exec/selected: Async is
// fe.HasContext || … || fe.HasError), measured 4x slower for an attach.
// So the items' fields never fail: a resolver answers null where an item
// failed (for an attachment whose id is selected, the item itself, as a
// failed non-null id would make it; else its fields), reports the failure
// in the context (WithItemErrors), and the caller, who knows the
// document's aliases, adds the error at the item's path (ItemError). The
// resolvers that do: IntegrationPackInstanceEnvironmentAttachmentAttach,
// ExtensionsUpdate and ExtendedMappersUpdate.

// ItemError is the failure of one item of a list a mutation field answers:
// the answer holds null at Index, or, for a list of objects, in the
// item's field ItemField, and the error belongs at path [key, Index] or
// [key, Index, itemKey]: key is the response key of Field's Call-th
// execution, itemKey each response key under which Field's items select
// ItemField (a field selected under two aliases fails under both, as any
// field does).
type ItemError struct {
	Field string
	// Call counts the executions of Field in the request, from 0, each
	// counted as it begins, whether it fails whole or not: mutation fields
	// run one after the other in document order (each response key once;
	// none that @skip or @include leaves out), so with the request's
	// variables it tells which of several aliases of Field failed.
	Call  int
	Index int
	// ItemField names the field of the item that carries the error, for
	// a list of objects; "" for a list of scalars, where the error is at
	// the item. For an attachment it is id when selected (non-null: the
	// item is null, as a failed id makes it), else the first field
	// selected (null, as are the item's other fields but __typename).
	ItemField string
	Err       *errcode.Error
}

// QueryError returns the error as graphql-go reports a field's error, at
// path.
func (e ItemError) QueryError(path ...any) *gqlerrors.QueryError {
	return &gqlerrors.QueryError{Message: e.Err.Message, Path: path, Extensions: e.Err.Extensions(), ResolverError: e.Err, Err: e.Err}
}

type itemErrorsKey struct{}

type itemErrorSink struct {
	mu    sync.Mutex
	errs  []ItemError
	calls []fieldCalls // per field; in buf for the first, as most requests have one
	buf   [1]fieldCalls
}

// fieldCalls counts the executions of a field.
type fieldCalls struct {
	field string
	n     int
}

// itemErrorsFrom returns ctx's sink, nil when it has none.
func itemErrorsFrom(ctx context.Context) *itemErrorSink {
	s, _ := ctx.Value(itemErrorsKey{}).(*itemErrorSink)
	return s
}

// beginCall counts one execution of field in ctx's sink and returns its
// number (ItemError.Call); 0 when ctx has no sink.
func beginCall(ctx context.Context, field string) int {
	s := itemErrorsFrom(ctx)
	if s == nil {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.calls {
		if c := &s.calls[i]; c.field == field {
			c.n++
			return c.n - 1
		}
	}
	s.calls = append(s.calls, fieldCalls{field: field, n: 1})
	return 0
}

func (s *itemErrorSink) add(errs ...ItemError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errs = append(s.errs, errs...)
}

// WithItemErrors returns a context in which the resolvers of fields that
// answer a list item by item report the failures of single items (see
// ItemErrors) instead of failing their field. Without it, such a field
// fails whole when any item failed, its error naming the failed items.
func WithItemErrors(ctx context.Context) context.Context {
	s := &itemErrorSink{}
	s.calls = s.buf[:0] // a request's first field counts without allocating
	return context.WithValue(ctx, itemErrorsKey{}, s)
}

// ItemErrors returns the item failures reported in ctx (made by
// WithItemErrors), in the order reported.
func ItemErrors(ctx context.Context) []ItemError {
	s := itemErrorsFrom(ctx)
	if s == nil {
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
