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

// TestNewSchemaItemErrorsCannotBeLost: a failed attach item reaches the
// client as its own error at its index whatever panic handling the caller
// gives NewSchema, as an argument or among the options; the caller's
// handler sees no item, only bugs.
func TestNewSchemaItemErrorsCannotBeLost(t *testing.T) {
	var seen []any
	h := bugHandler{seen: &seen}
	p := &fakePlatform{create: echo(envB)}
	for name, build := range map[string]func() (*graphql.Schema, error){
		"handler given": func() (*graphql.Schema, error) { return resolver.NewSchema(resolver.New(p, resolver.Options{}), h) },
		"handler among the opts": func() (*graphql.Schema, error) {
			return resolver.NewSchema(resolver.New(p, resolver.Options{}), nil, graphql.PanicHandler(h))
		},
		"both, and a logger opt": func() (*graphql.Schema, error) {
			return resolver.NewSchema(resolver.New(p, resolver.Options{}), h, graphql.PanicHandler(h), graphql.Logger(nil))
		},
	} {
		s, err := build()
		if err != nil {
			t.Fatalf("%s: NewSchema: %v", name, err)
		}
		resp := s.Exec(resolver.WithAccount(context.Background(), platformapi.Account{ID: "a"}), attach("{ id }", envA, envB), "", nil)
		out, _ := json.Marshal(resp)
		if !strings.Contains(string(out), `"path":["integrationPackInstanceEnvironmentAttachmentAttach",1,"id"]`) || !strings.Contains(string(out), `"code":"BAD_USER_INPUT"`) || strings.Contains(string(out), "BUG") {
			t.Errorf("%s: attach answered %s, want the item's BAD_USER_INPUT at index 1", name, out)
		}
	}
	if len(seen) != 0 {
		t.Errorf("the caller's panic handler was handed %v, want nothing", seen)
	}
}
