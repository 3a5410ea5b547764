package resolver_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ipack-gateway/ipack-gateway/ids"
	"github.com/ipack-gateway/ipack-gateway/platformapi"
	"github.com/ipack-gateway/ipack-gateway/resolver"
)

// updateFake is fakePlatform with extensionsUpdate's REST call.
type updateFake struct {
	*fakePlatform
	update func(id string) (json.RawMessage, error)
}

func (f updateFake) UpdateEnvironmentExtensions(_ context.Context, _ platformapi.Account, id string, _ json.RawMessage) (json.RawMessage, error) {
	f.record("UpdateEnvironmentExtensions", nil)
	return f.update(id)
}

// runItems executes query as the gateway does, with item errors reported
// in the context, and returns the response and the item errors.
func runItems(t *testing.T, p resolver.Platform, opts resolver.Options, query string) (*json.RawMessage, []resolver.ItemError) {
	t.Helper()
	s := mustSchema(t, resolver.New(p, opts))
	ctx := resolver.WithItemErrors(resolver.WithAccount(context.Background(), platformapi.Account{ID: "acct"}))
	resp := s.Exec(ctx, query, "", nil)
	if len(resp.Errors) > 0 {
		t.Fatalf("errors %v", resp.Errors)
	}
	return &resp.Data, resolver.ItemErrors(ctx)
}

// TestUpdateOutcome: an extensionsUpdate item whose UPDATE may have been
// carried out (a 500, a reset) says extensions.outcome "unknown"; fromPlatform
// left that to callers, and updateAll never said it, so a client could not
// tell it from a refusal. An answered refusal says no outcome; a call never
// sent says "not_sent".
func TestUpdateOutcome(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want any // extensions.outcome; nil for none
	}{
		{"500", &platformapi.Error{Method: "POST", StatusCode: http.StatusInternalServerError, Ambiguous: true}, "unknown"},
		{"reset", &platformapi.Error{Method: "POST", Err: context.Canceled, Ambiguous: true}, "unknown"},
		{"400", &platformapi.Error{Method: "POST", StatusCode: http.StatusBadRequest}, nil},
		{"not sent", &platformapi.Error{Method: "POST", Err: platformapi.ErrBudgetDeadline, NotSent: true}, "not_sent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := updateFake{fakePlatform: &fakePlatform{t: t}, update: func(string) (json.RawMessage, error) { return nil, tt.err }}
			_, items := runItems(t, p, resolver.Options{}, `mutation { extensionsUpdate(input: [{extensions: "{}", envExtensionId: "x1"}]) }`)
			if len(items) != 1 {
				t.Fatalf("item errors %+v, want 1", items)
			}
			if got := items[0].Err.Fields["outcome"]; got != tt.want {
				t.Errorf("outcome = %v, want %v (%+v)", got, tt.want, items[0].Err)
			}
		})
	}
}

// TestSettledFailureHasNoUnknownOutcome: a CREATE or DELETE of unknown
// outcome that settling decided (not attached; still attached) is a known
// failure: its error must not say outcome "unknown" although the REST
// error it carries does; one settling could not decide does.
func TestSettledFailureHasNoUnknownOutcome(t *testing.T) {
	lost := &platformapi.Error{Method: "POST", StatusCode: http.StatusGatewayTimeout, Ambiguous: true}
	opts := resolver.Options{SettleTimeout: 50 * time.Millisecond}
	t.Run("attach: settled not attached", func(t *testing.T) {
		p := newStateFake()
		p.createErr = func(string) error { return lost }
		_, errs := execOpts(t, p, opts, attach("{ id }", envA))
		if e := errorAt(errs, 0); e == nil || e.Extensions["outcome"] != nil || e.Extensions["code"] != "UPSTREAM_TIMEOUT" {
			t.Errorf("item 0 = %+v, want UPSTREAM_TIMEOUT without an outcome", e)
		}
	})
	t.Run("attach: unsettled", func(t *testing.T) {
		p := newStateFake()
		p.createErr = func(string) error { return lost }
		p.queryErr = func(*platformapi.Expression) error { return lost }
		_, errs := execOpts(t, p, opts, attach("{ id }", envA))
		if e := errorAt(errs, 0); e == nil || e.Extensions["outcome"] != "unknown" {
			t.Errorf("item 0 = %+v, want outcome unknown", e)
		}
	})
	t.Run("unattach: settled still attached", func(t *testing.T) {
		p := deleteFails{stateFake: newStateFake(envA), err: func(string) error { return lost }}
		_, errs := run(t, p, `mutation { integrationPackInstanceEnvironmentAttachmentUnattach(id: "`+ids.Attachment(inst, envA)+`") }`)
		if len(errs) != 1 || errs[0].Extensions["outcome"] != nil || errs[0].Extensions["code"] != "UPSTREAM_TIMEOUT" {
			t.Errorf("errors %+v, want UPSTREAM_TIMEOUT without an outcome", errs)
		}
	})
}

// deleteFails is stateFake whose DELETEs fail with err(env) when that is
// not nil, without a change.
type deleteFails struct {
	*stateFake
	err func(env string) error
}

func (f deleteFails) DeleteAttachment(ctx context.Context, acct platformapi.Account, id string) error {
	key, perr := ids.ParseAttachment(id)
	if perr == nil {
		if err := f.err(key.EnvironmentID); err != nil {
			f.mu.Lock()
			f.calls = append(f.calls, "DELETE "+key.EnvironmentID)
			f.mu.Unlock()
			return err
		}
	}
	return f.stateFake.DeleteAttachment(ctx, acct, id)
}

// TestRollbackDetachOutcome: an all-or-nothing attach whose rollback
// DELETE of an environment has an unknown outcome must not report that
// environment attached (it was, with its id and no error): only a DELETE
// known to have failed leaves it attached and reported so; one of unknown
// outcome is an error saying outcome "unknown", naming it.
func TestRollbackDetachOutcome(t *testing.T) {
	lost := &platformapi.Error{Method: "DELETE", StatusCode: http.StatusGatewayTimeout, Ambiguous: true}
	tests := []struct {
		name        string
		settleFails bool // the query that settles the DELETE fails too
	}{
		{"settled: still attached", false},
		{"unsettled", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sf := newStateFake()
			sf.createErr = func(env string) error {
				if env == envB {
					return refused
				}
				return nil
			}
			sf.queryErr = func(f *platformapi.Expression) error {
				if tt.settleFails && len(f.NestedExpression) == 2 && f.NestedExpression[1].Argument[0] == envA {
					return lost
				}
				return nil
			}
			p := deleteFails{stateFake: sf, err: func(env string) error {
				if env == envA {
					return lost
				}
				return nil
			}}
			data, errs := execOpts(t, p, rollbackOpts, attach("{ id }", envA, envB))
			items := data["integrationPackInstanceEnvironmentAttachmentAttach"]
			if len(items) != 2 || items[1] != nil {
				t.Fatalf("data = %s", toJSON(items))
			}
			e := errorAt(errs, 0)
			if !tt.settleFails {
				if items[0] == nil || items[0].ID != ids.Attachment(inst, envA) || e != nil {
					t.Errorf("item 0 = %s, error %+v; want attached: its DELETE is known to have failed", toJSON(items[0]), e)
				}
				return
			}
			if items[0] != nil || e == nil || e.Extensions["outcome"] != "unknown" || e.Extensions["environmentId"] != envA ||
				!strings.Contains(e.Message, envB) {
				t.Errorf("item 0 = %s, error %+v; want null and an error of unknown outcome naming E1 and the cause E2", toJSON(items[0]), e)
			}
		})
	}
}

// TestRollbackPrequeryUnknownIsNotTheItems: when the all-or-nothing
// attach's first query fails with an error of unknown outcome (a 500 on a
// read), no CREATE is sent, so no item says outcome "unknown".
func TestRollbackPrequeryUnknownIsNotTheItems(t *testing.T) {
	p := newStateFake()
	p.queryErr = func(*platformapi.Expression) error {
		return &platformapi.Error{Method: "POST", StatusCode: http.StatusInternalServerError, Ambiguous: true}
	}
	_, errs := execOpts(t, p, rollbackOpts, attach("{ id }", envA, envB))
	for i := range 2 {
		if e := errorAt(errs, i); e == nil || e.Extensions["outcome"] != nil || !strings.Contains(e.Message, "Not attempted") {
			t.Errorf("item %d = %+v, want not attempted, without an outcome", i, e)
		}
	}
}
