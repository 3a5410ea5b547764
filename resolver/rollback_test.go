package resolver_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipack-gateway/ipack-gateway/ids"
	"github.com/ipack-gateway/ipack-gateway/platformapi"
	"github.com/ipack-gateway/ipack-gateway/resolver"
)

// stateFake is the fakePlatform whose attachment operations act on an
// in-memory set of attachments of instance inst, so that a test can check
// what ends attached and count the REST calls that got it there. Its other
// operations fail.
type stateFake struct {
	*fakePlatform
	mu       sync.Mutex
	attached map[string]bool // environment -> attached
	calls    []string        // "CREATE env", "DELETE env", "QUERY"
	// createErr, when it returns an error for env, fails that CREATE
	// without a change.
	createErr func(env string) error
	// queryErr, when it returns an error for a filter, fails that query.
	queryErr func(f *platformapi.Expression) error
}

func newStateFake(pre ...string) *stateFake {
	f := &stateFake{attached: map[string]bool{}}
	for _, e := range pre {
		f.attached[e] = true
	}
	f.fakePlatform = &fakePlatform{create: f.createOne, delete: f.deleteOne, query: f.queryAll}
	return f
}

func (f *stateFake) createOne(_ context.Context, instanceID, env string) (platformapi.Attachment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "CREATE "+env)
	if f.createErr != nil {
		if err := f.createErr(env); err != nil {
			return platformapi.Attachment{}, err
		}
	}
	f.attached[env] = true
	return platformapi.Attachment{ID: ids.Attachment(instanceID, env), IntegrationPackInstanceID: instanceID, EnvironmentID: env}, nil
}

func (f *stateFake) deleteOne(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	key, err := ids.ParseAttachment(id)
	if err != nil {
		return fmt.Errorf("fake: bad attachment id %q", id)
	}
	f.calls = append(f.calls, "DELETE "+key.EnvironmentID)
	if !f.attached[key.EnvironmentID] {
		return &platformapi.Error{Method: "DELETE", StatusCode: http.StatusBadRequest, Message: "IntegrationPackEnvironmentAttachment " + id + " does not exist."}
	}
	delete(f.attached, key.EnvironmentID)
	return nil
}

func (f *stateFake) queryAll(_ context.Context, filter *platformapi.Expression) ([]platformapi.Attachment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "QUERY")
	if f.queryErr != nil {
		if err := f.queryErr(filter); err != nil {
			return nil, err
		}
	}
	var out []platformapi.Attachment
	for env := range f.attached {
		a := platformapi.Attachment{ID: ids.Attachment(inst, env), IntegrationPackInstanceID: inst, EnvironmentID: env}
		if filter == nil || matches(*filter, a) {
			out = append(out, a)
		}
	}
	return out, nil
}

// matches evaluates a REST filter on an attachment, as the vendor would.
func matches(e platformapi.Expression, a platformapi.Attachment) bool {
	switch e.Operator {
	case "and":
		for _, n := range e.NestedExpression {
			if !matches(n, a) {
				return false
			}
		}
		return true
	case "or":
		for _, n := range e.NestedExpression {
			if matches(n, a) {
				return true
			}
		}
		return false
	case "EQUALS":
		v := map[string]string{"environmentId": a.EnvironmentID, "integrationPackInstanceId": a.IntegrationPackInstanceID}[e.Property]
		return len(e.Argument) == 1 && v == e.Argument[0]
	}
	panic("fake: operator " + e.Operator)
}

func (f *stateFake) count(prefix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

func (f *stateFake) isAttached(env string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.attached[env]
}

// execOpts executes query with opts and decodes the answer.
func execOpts(t *testing.T, p resolver.Platform, opts resolver.Options, query string) (map[string][]*struct {
	ID            string `json:"id"`
	EnvironmentID string `json:"environmentId"`
}, []gqlError) {
	t.Helper()
	s := mustSchema(t, resolver.New(p, opts))
	ctx := resolver.WithAccount(context.Background(), platformapi.Account{ID: "a"})
	raw, err := json.Marshal(execItems(ctx, s, query))
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Data map[string][]*struct {
			ID            string `json:"id"`
			EnvironmentID string `json:"environmentId"`
		} `json:"data"`
		Errors []gqlError `json:"errors"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	return out.Data, out.Errors
}

// errorAt is the error at path [field, index, ...], or nil.
func errorAt(errs []gqlError, index int) *gqlError {
	for i := range errs {
		if p := errs[i].Path; len(p) >= 2 && p[1] == float64(index) {
			return &errs[i]
		}
	}
	return nil
}

var (
	rollbackOpts = resolver.Options{Rollback: true, SettleTimeout: 50 * time.Millisecond}
	refused      = &platformapi.Error{Method: "POST", Object: "IntegrationPackEnvironmentAttachment", StatusCode: http.StatusBadRequest, Message: "Environment does not exist."}
)

// TestRollbackKeepsPreexisting: an all-or-nothing attach undoes only what it
// did. [E1 attached before, E2, C refused]: E1 stays attached and is
// reported attached, E2 is attached and detached again, C names its error.
// REST calls: one QUERY to learn what was attached, a CREATE for E2 and C
// (none for E1), one DELETE for E2.
func TestRollbackKeepsPreexisting(t *testing.T) {
	p := newStateFake(envA)
	p.createErr = func(env string) error {
		if env == envC {
			return refused
		}
		return nil
	}
	data, errs := execOpts(t, p, rollbackOpts, attach("{ id environmentId }", envA, envB, envC))

	if !p.isAttached(envA) {
		t.Errorf("E1 was attached before the request; rollback detached it (calls %v)", p.calls)
	}
	if p.isAttached(envB) || p.isAttached(envC) {
		t.Errorf("after rollback attached = %v, want only E1", p.attached)
	}
	items := data["integrationPackInstanceEnvironmentAttachmentAttach"]
	if len(items) != 3 || items[0] == nil || items[0].ID != ids.Attachment(inst, envA) || items[1] != nil || items[2] != nil {
		t.Fatalf("data = %s, want E1 attached, E2 and C null", toJSON(items))
	}
	if e := errorAt(errs, 0); e != nil {
		t.Errorf("item 0 (pre-existing) has error %+v", e)
	}
	if e := errorAt(errs, 1); e == nil || e.Extensions["rolledBack"] != true || e.Extensions["environmentId"] != envB {
		t.Errorf("item 1 = %+v, want rolled back, naming E2", e)
	}
	if e := errorAt(errs, 2); e == nil || e.Extensions["environmentId"] != envC || e.Extensions["code"] != "BAD_USER_INPUT" {
		t.Errorf("item 2 = %+v, want BAD_USER_INPUT naming C", e)
	}
	if len(errs) != 2 {
		t.Errorf("errors = %+v, want 2", errs)
	}
	want := map[string]int{"QUERY": 1, "CREATE " + envA: 0, "CREATE " + envB: 1, "CREATE " + envC: 1, "DELETE " + envB: 1, "DELETE": 1, "CREATE": 2}
	for call, n := range want {
		if got := p.count(call); got != n {
			t.Errorf("%q calls = %d, want %d (calls %v)", call, got, n, p.calls)
		}
	}
}

// TestRollbackUnknownOutcome: an environment whose CREATE outcome stays
// unknown is detached by the rollback (it may have been attached by this
// request), but one attached before the request never is.
func TestRollbackUnknownOutcome(t *testing.T) {
	p := newStateFake(envA)
	lost := &platformapi.Error{Method: "POST", StatusCode: http.StatusGatewayTimeout, Ambiguous: true}
	p.createErr = func(env string) error {
		switch env {
		case envB:
			// The CREATE lands, but its answer is lost.
			p.attached[envB] = true
			return lost
		case envC:
			return refused
		}
		return nil
	}
	// Settling E2 fails too: its outcome stays unknown.
	p.queryErr = func(f *platformapi.Expression) error {
		if len(f.NestedExpression) == 2 && f.NestedExpression[1].Operator == "EQUALS" && f.NestedExpression[1].Argument[0] == envB {
			return lost
		}
		return nil
	}
	data, errs := execOpts(t, p, rollbackOpts, attach("{ id }", envA, envB, envC))
	if !p.isAttached(envA) || p.isAttached(envB) {
		t.Errorf("attached = %v, want E1 only (calls %v)", p.attached, p.calls)
	}
	items := data["integrationPackInstanceEnvironmentAttachmentAttach"]
	if len(items) != 3 || items[0] == nil || items[1] != nil || items[2] != nil {
		t.Fatalf("data = %s", toJSON(items))
	}
	if e := errorAt(errs, 1); e == nil || e.Extensions["environmentId"] != envB || !strings.Contains(e.Message, "detached") {
		t.Errorf("item 1 = %+v, want the unknown outcome settled by detaching", e)
	}
	if got := p.count("DELETE " + envA); got != 0 {
		t.Errorf("E1 was attached before the request; %d DELETEs sent for it", got)
	}
}

// TestRollbackPrequery: with rollback on, the attach first learns which
// environments are attached in one QUERY; when that fails, nothing is
// attempted and every environment names the error.
func TestRollbackPrequery(t *testing.T) {
	t.Run("query fails: no CREATE", func(t *testing.T) {
		p := newStateFake()
		p.queryErr = func(*platformapi.Expression) error {
			return &platformapi.Error{Method: "POST", StatusCode: http.StatusServiceUnavailable, Attempts: 5}
		}
		data, errs := execOpts(t, p, rollbackOpts, attach("{ id }", envA, envB, envA))
		if got := p.count("CREATE"); got != 0 {
			t.Errorf("%d CREATEs after the pre-query failed, want 0", got)
		}
		if got := p.count("QUERY"); got != 1 {
			t.Errorf("%d QUERYs, want 1", got)
		}
		items := data["integrationPackInstanceEnvironmentAttachmentAttach"]
		if len(items) != 3 || items[0] != nil || items[1] != nil || items[2] != nil {
			t.Fatalf("data = %s, want three nulls", toJSON(items))
		}
		for i, env := range []string{envA, envB, envA} {
			e := errorAt(errs, i)
			if e == nil || e.Extensions["environmentId"] != env || e.Extensions["code"] != "RATE_LIMITED" || !strings.Contains(e.Message, "Not attempted") {
				t.Errorf("item %d = %+v, want RATE_LIMITED naming %s, not attempted", i, e, env)
			}
		}
	})
	t.Run("all attached before: no CREATE", func(t *testing.T) {
		p := newStateFake(envA, envB)
		data, errs := execOpts(t, p, rollbackOpts, attach("{ id }", envA, envB))
		items := data["integrationPackInstanceEnvironmentAttachmentAttach"]
		if len(errs) != 0 || len(items) != 2 || items[0].ID != ids.Attachment(inst, envA) || items[1].ID != ids.Attachment(inst, envB) {
			t.Errorf("data = %s, errors %+v", toJSON(items), errs)
		}
		if p.count("QUERY") != 1 || p.count("CREATE") != 0 || p.count("DELETE") != 0 {
			t.Errorf("calls = %v, want one QUERY", p.calls)
		}
	})
	t.Run("attached before, asked for in upper case: no CREATE", func(t *testing.T) {
		// Environment ids compare without regard to case, as in settling:
		// a CREATE for it would succeed and a rollback would detach it.
		p := newStateFake(envA)
		p.createErr = func(string) error { return refused }
		data, _ := execOpts(t, p, rollbackOpts, attach("{ id }", strings.ToUpper(envA), envB))
		items := data["integrationPackInstanceEnvironmentAttachmentAttach"]
		if len(items) != 2 || items[0] == nil || items[0].ID != ids.Attachment(inst, envA) || p.count("CREATE "+strings.ToUpper(envA)) != 0 || !p.isAttached(envA) {
			t.Errorf("data = %s, calls %v; want E1 attached under REST's spelling, no CREATE for it", toJSON(items), p.calls)
		}
	})
	t.Run("success: one QUERY and a CREATE each", func(t *testing.T) {
		p := newStateFake(envA)
		_, errs := execOpts(t, p, rollbackOpts, attach("{ id }", envA, envB, envC))
		if len(errs) != 0 || p.count("QUERY") != 1 || p.count("CREATE") != 2 || p.count("DELETE") != 0 {
			t.Errorf("errors %+v, calls %v; want one QUERY, CREATE of E2 and C", errs, p.calls)
		}
	})
	t.Run("report mode: no pre-query", func(t *testing.T) {
		p := newStateFake(envA)
		_, errs := execOpts(t, p, resolver.Options{}, attach("{ id }", envA, envB))
		if len(errs) != 0 || p.count("QUERY") != 0 || p.count("CREATE") != 2 {
			t.Errorf("errors %+v, calls %v; want a CREATE each and nothing else", errs, p.calls)
		}
	})
}
