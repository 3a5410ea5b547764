package resolver_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	graphql "github.com/graph-gophers/graphql-go"
	gqlerrors "github.com/graph-gophers/graphql-go/errors"

	"github.com/ipack-gateway/ipack-gateway/platformapi"
	"github.com/ipack-gateway/ipack-gateway/resolver"
)

// bugHandler answers every panic it is handed with BUG.
type bugHandler struct{ seen *[]any }

func (h bugHandler) MakePanicError(_ context.Context, v any) *gqlerrors.QueryError {
	*h.seen = append(*h.seen, v)
	return &gqlerrors.QueryError{Message: "BUG", Extensions: map[string]any{"code": "GENERIC_SYSTEM_ERROR"}}
}

// TestNewSchemaPanics: the panic handler the caller gives NewSchema is
// handed the bugs, and nothing of a failed item: a failed attach item
// reaches the item errors (see itemerror.go), and no resolver panics for
// it. A handler or logger among the options is not used (a nil logger
// would crash if it were): without a handler given, graphql-go's default
// makes the error.
func TestNewSchemaPanics(t *testing.T) {
	var seen []any
	h := bugHandler{seen: &seen}
	bug := &fakePlatform{create: func(context.Context, string, string) (platformapi.Attachment, error) { panic("a bug") }}
	for name, tt := range map[string]struct {
		build func(resolver.Platform) (*graphql.Schema, error)
		bug   string // the error a resolver's panic answers
	}{
		"handler given": {func(p resolver.Platform) (*graphql.Schema, error) {
			return resolver.NewSchema(resolver.New(p, resolver.Options{}), h)
		}, "BUG"},
		"handler among the opts": {func(p resolver.Platform) (*graphql.Schema, error) {
			return resolver.NewSchema(resolver.New(p, resolver.Options{}), nil, graphql.PanicHandler(h))
		}, "panic occurred: a bug"},
		"both, and a logger opt": {func(p resolver.Platform) (*graphql.Schema, error) {
			return resolver.NewSchema(resolver.New(p, resolver.Options{}), h, graphql.PanicHandler(h), graphql.Logger(nil))
		}, "BUG"},
	} {
		build := tt.build
		seen = nil
		s, err := build(&fakePlatform{create: echo(envB)})
		if err != nil {
			t.Fatalf("%s: NewSchema: %v", name, err)
		}
		ctx := resolver.WithItemErrors(resolver.WithAccount(context.Background(), platformapi.Account{ID: "a"}))
		resp := s.Exec(ctx, attach("{ id }", envA, envB), "", nil)
		items := resolver.ItemErrors(ctx)
		if len(resp.Errors) != 0 || !strings.HasSuffix(string(resp.Data), `,null]}`) || len(items) != 1 || items[0].Index != 1 || items[0].ItemField != "id" || items[0].Err.Code != "BAD_USER_INPUT" {
			t.Errorf("%s: attach answered %s %v, item errors %+v; want item 1 null, and its BAD_USER_INPUT among the item errors", name, resp.Data, resp.Errors, items)
		}
		if len(seen) != 0 {
			t.Errorf("%s: the caller's panic handler was handed %v for a failed item, want nothing", name, seen)
		}

		if s, err = build(bug); err != nil {
			t.Fatalf("%s: NewSchema: %v", name, err)
		}
		resp = s.Exec(resolver.WithAccount(context.Background(), platformapi.Account{ID: "a"}), attach("{ id }", envA), "", nil)
		handled := tt.bug == "BUG"
		if out, _ := json.Marshal(resp); !strings.Contains(string(out), `"message":"`+tt.bug+`"`) || handled != (len(seen) == 1 && seen[0] == "a bug") {
			t.Errorf("%s: a resolver's panic answered %s, the handler was handed %v; want %q (from the handler: %v)", name, out, seen, tt.bug, handled)
		}
	}
}
