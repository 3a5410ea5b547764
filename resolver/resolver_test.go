package resolver_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/ipack-gateway/ipack-gateway/ids"
	"github.com/ipack-gateway/ipack-gateway/platformapi"
	"github.com/ipack-gateway/ipack-gateway/resolver"
)

const (
	inst = "SW50ZWdyYXRpb25QYWNrSW5zdGFuY2UzNDQ4Ng"
	envA = "730bc9b1-1f7c-4049-bb65-aacf993b6fe0"
	envB = "86b413a8-1ebf-4c95-bc5b-139573b77910"
	envC = "00000000-0000-4000-8000-000000000003"
)

// echo creates what it is asked for, except for env fails, which gets a
// 400 with a vendor message.
func echo(fails string) func(context.Context, string, string) (platformapi.Attachment, error) {
	return func(_ context.Context, instanceID, env string) (platformapi.Attachment, error) {
		if env == fails {
			return platformapi.Attachment{}, &platformapi.Error{Method: "POST", Object: "IntegrationPackEnvironmentAttachment", StatusCode: 400, Message: "Environment does not exist."}
		}
		return platformapi.Attachment{ID: ids.Attachment(instanceID, env), IntegrationPackInstanceID: instanceID, EnvironmentID: env}, nil
	}
}

func exec(t *testing.T, p resolver.Platform, query string) string {
	t.Helper()
	s := mustSchema(t, resolver.New(p, resolver.Options{}))
	ctx := resolver.WithAccount(context.Background(), platformapi.Account{ID: "a"})
	resp := execItems(ctx, s, query)
	out, _ := json.Marshal(resp)
	return string(out)
}

// execItems executes query as the gateway does: with the failures of
// single items reported in the context, and added to the answer at their
// paths, which in a document without aliases are [field, index] or
// [field, index, itemField].
func execItems(ctx context.Context, s *graphql.Schema, query string) *graphql.Response {
	ctx = resolver.WithItemErrors(ctx)
	resp := s.Exec(ctx, query, "", nil)
	for _, ie := range resolver.ItemErrors(ctx) {
		path := []any{ie.Field, ie.Index}
		if ie.ItemField != "" {
			path = append(path, ie.ItemField)
		}
		resp.Errors = append(resp.Errors, ie.QueryError(path...))
	}
	return resp
}

func attach(selection string, envs ...string) string {
	q, _ := json.Marshal(envs)
	return fmt.Sprintf(`mutation { integrationPackInstanceEnvironmentAttachmentAttach(input: {integrationPackInstanceId: %q, environmentIds: %s}) %s }`, inst, q, selection)
}

// TestAttachErrorPlacement: a failed item's error is reported for exactly
// one of its fields, id when selected (the item is then null), so it
// appears once with the item's index.
func TestAttachErrorPlacement(t *testing.T) {
	p := &fakePlatform{create: echo(envB)}
	tests := []struct {
		name      string
		selection string
		want      string
	}{
		{
			"id selected: item nulled",
			"{ environmentId id }",
			`{"errors":[{"message":"Downstream Execution Error: Bad Request: Environment does not exist.","path":["integrationPackInstanceEnvironmentAttachmentAttach",1,"id"],"extensions":{"code":"BAD_USER_INPUT","environmentId":"86b413a8-1ebf-4c95-bc5b-139573b77910","status":400}}],"data":{"integrationPackInstanceEnvironmentAttachmentAttach":[{"environmentId":"730bc9b1-1f7c-4049-bb65-aacf993b6fe0","id":"` + ids.Attachment(inst, envA) + `"},null]}}`,
		},
		{
			"id not selected: first field carries it",
			"{ environmentId integrationPackInstanceId }",
			`{"errors":[{"message":"Downstream Execution Error: Bad Request: Environment does not exist.","path":["integrationPackInstanceEnvironmentAttachmentAttach",1,"environmentId"],"extensions":{"code":"BAD_USER_INPUT","environmentId":"86b413a8-1ebf-4c95-bc5b-139573b77910","status":400}}],"data":{"integrationPackInstanceEnvironmentAttachmentAttach":[{"environmentId":"730bc9b1-1f7c-4049-bb65-aacf993b6fe0","integrationPackInstanceId":"` + inst + `"},{"environmentId":null,"integrationPackInstanceId":null}]}}`,
		},
		{
			"only __typename: failures summarised on the list",
			"{ __typename }",
			`{"errors":[{"message":"1 of 2 environments failed; first: Downstream Execution Error: Bad Request: Environment does not exist.","path":["integrationPackInstanceEnvironmentAttachmentAttach"],"extensions":{"code":"BAD_USER_INPUT","failures":[{"code":"BAD_USER_INPUT","environmentId":"86b413a8-1ebf-4c95-bc5b-139573b77910","index":1,"status":400}]}}],"data":{"integrationPackInstanceEnvironmentAttachmentAttach":null}}`,
		},
	}
	for _, tt := range tests {
		if got := exec(t, p, attach(tt.selection, envA, envB)); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
}

// TestAttachItemsWithoutSink: without WithItemErrors nobody can place a
// failed item's error, so the attach fails whole, naming the failed
// items, as an update does.
func TestAttachItemsWithoutSink(t *testing.T) {
	s := mustSchema(t, resolver.New(&fakePlatform{create: echo(envB)}, resolver.Options{}))
	resp := s.Exec(resolver.WithAccount(context.Background(), platformapi.Account{ID: "a"}), attach("{ id environmentId }", envA, envB), "", nil)
	got, _ := json.Marshal(resp)
	want := `{"errors":[{"message":"1 of 2 environments failed; first: Downstream Execution Error: Bad Request: Environment does not exist.","path":["integrationPackInstanceEnvironmentAttachmentAttach"],"extensions":{"code":"BAD_USER_INPUT","failures":[{"code":"BAD_USER_INPUT","environmentId":"86b413a8-1ebf-4c95-bc5b-139573b77910","index":1,"status":400}]}}],"data":{"integrationPackInstanceEnvironmentAttachmentAttach":null}}`
	if string(got) != want {
		t.Errorf("attach without item errors in the context:\n got %s\nwant %s", got, want)
	}
}

// TestAttachDistinctCalls: duplicates share one REST call and its outcome.
func TestAttachDistinctCalls(t *testing.T) {
	var mu sync.Mutex
	calls := map[string]int{}
	p := &fakePlatform{create: func(ctx context.Context, instanceID, env string) (platformapi.Attachment, error) {
		mu.Lock()
		calls[env]++
		mu.Unlock()
		return echo(envC)(ctx, instanceID, env)
	}}
	got := exec(t, p, attach("{ environmentId }", envA, envC, envA, envB, envC, envA))
	for env, n := range calls {
		if n != 1 {
			t.Errorf("CreateAttachment(%s) called %d times, want 1", env, n)
		}
	}
	if len(calls) != 3 {
		t.Errorf("distinct calls = %d, want 3", len(calls))
	}
	// Both duplicates of the failing environment carry an error at their own index.
	for _, idx := range []string{`",1,"environmentId"]`, `",4,"environmentId"]`} {
		if !strings.Contains(got, idx) {
			t.Errorf("no error at %s in %s", idx, got)
		}
	}
}

// TestAttachWrongAnswer: a 200 about another attachment is not taken for
// an id; REST is asked whether the attachment exists, and the answer
// decides.
func TestAttachWrongAnswer(t *testing.T) {
	for _, exists := range []bool{false, true} {
		p := &fakePlatform{
			create: func(_ context.Context, instanceID, env string) (platformapi.Attachment, error) {
				return platformapi.Attachment{IntegrationPackInstanceID: instanceID, EnvironmentID: envC}, nil
			},
			query: func(context.Context, *platformapi.Expression) ([]platformapi.Attachment, error) {
				if !exists {
					return nil, nil
				}
				return []platformapi.Attachment{{IntegrationPackInstanceID: inst, EnvironmentID: envA}}, nil
			},
		}
		got := exec(t, p, attach("{ id }", envA))
		if exists {
			if want := `{"data":{"integrationPackInstanceEnvironmentAttachmentAttach":[{"id":"` + ids.Attachment(inst, envA) + `"}]}}`; got != want {
				t.Errorf("wrong answer, attachment exists: got %s, want %s", got, want)
			}
		} else if !strings.Contains(got, `"code":"PLATFORM_CALL_ERROR"`) || !strings.Contains(got, `[null]`) {
			t.Errorf("wrong answer, no attachment: got %s, want a PLATFORM_CALL_ERROR and a null item", got)
		}
	}
}

func TestUnattachDeletesCanonicalID(t *testing.T) {
	var deleted string
	p := &fakePlatform{delete: func(_ context.Context, id string) error { deleted = id; return nil }}
	padded := ids.Attachment(inst, envB) + "=="
	got := exec(t, p, `mutation { integrationPackInstanceEnvironmentAttachmentUnattach(id: "`+padded+`") }`)
	want := ids.Attachment(inst, envB)
	if deleted != want || got != `{"data":{"integrationPackInstanceEnvironmentAttachmentUnattach":"`+want+`"}}` {
		t.Errorf("unattach(padded id): deleted %q, answered %s; want canonical %q", deleted, got, want)
	}
}

func TestQueryFilter(t *testing.T) {
	var got *platformapi.Expression
	p := &fakePlatform{query: func(_ context.Context, f *platformapi.Expression) ([]platformapi.Attachment, error) {
		got = f
		return []platformapi.Attachment{{ID: "x", IntegrationPackInstanceID: inst, EnvironmentID: envA}}, nil
	}}
	out := exec(t, p, `{ integrationPackEnvironmentAttachments(ipackInstanceId: "`+inst+`", environmentIds: ["`+envA+`", "`+envB+`"]) { id environmentId } }`)
	want := platformapi.And(platformapi.Equals("integrationPackInstanceId", inst), platformapi.Or(platformapi.Equals("environmentId", envA), platformapi.Equals("environmentId", envB)))
	gj, _ := json.Marshal(got)
	wj, _ := json.Marshal(want)
	if string(gj) != string(wj) {
		t.Errorf("filter = %s, want %s", gj, wj)
	}
	if !strings.Contains(out, ids.Attachment(inst, envA)) {
		t.Errorf("answer %s lacks the synthesised id", out)
	}
}

// mustSchema is resolver.NewSchema for r with graphql-go's default panic
// handling of bugs.
func mustSchema(t testing.TB, r *resolver.Resolver) *graphql.Schema {
	t.Helper()
	s, err := resolver.NewSchema(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
