package resolver_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ipack-gateway/ipack-gateway/ids"
	"github.com/ipack-gateway/ipack-gateway/platformapi"
	"github.com/ipack-gateway/ipack-gateway/resolver"
)

type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// run executes query against the schema with p behind it.
func run(t *testing.T, p resolver.Platform, query string) (map[string]any, []gqlError) {
	t.Helper()
	s := mustSchema(t, resolver.New(p, resolver.Options{}))
	ctx := resolver.WithAccount(context.Background(), platformapi.Account{ID: "acct"})
	resp := execItems(ctx, s, query)
	raw, err := json.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Data   map[string]any `json:"data"`
		Errors []gqlError     `json:"errors"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out.Data, out.Errors
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

const (
	packA = "11111111-1111-4111-8111-111111111111"
	packB = "22222222-2222-4222-8222-222222222222"
	packC = "33333333-3333-4333-8333-333333333333" // REST does not know it
)

func demoInstances() ([]platformapi.Instance, error) {
	return []platformapi.Instance{
		{ID: ids.Instance(1), IntegrationPackID: packA, IntegrationPackOverrideName: "one"},
		{ID: ids.Instance(2), IntegrationPackID: packB},
		{ID: ids.Instance(3), IntegrationPackID: packA, IntegrationPackOverrideName: "three"},
		{ID: ids.Instance(4), IntegrationPackID: packC},
	}, nil
}

func packsByFilter(f *platformapi.Expression) ([]platformapi.IntegrationPack, error) {
	all := map[string]platformapi.IntegrationPack{
		packA: {ID: packA, Name: "A", Description: "pack A", InstallationType: "MULTI"},
		packB: {ID: packB, Name: "B", Description: "pack B", InstallationType: "SOMETHING_NEW"},
	}
	var out []platformapi.IntegrationPack
	for _, e := range f.NestedExpression {
		if p, ok := all[e.Argument[0]]; ok {
			out = append(out, p)
		}
	}
	return out, nil
}

func TestIntegrationPackInstances(t *testing.T) {
	tests := []struct {
		name      string
		query     string
		wantPacks int // IntegrationPack queries made
		want      string
	}{
		{
			name:      "packs resolved in one query",
			query:     `{ integrationPackInstances { id integrationPackOverrideName integrationPack { id name description installationType } } }`,
			wantPacks: 1,
			// Pack B's installation type is unknown to the enum: null, no
			// error. Pack C is not found: null.
			want: `{"integrationPackInstances":[` +
				`{"id":"` + ids.Instance(1) + `","integrationPack":{"description":"pack A","id":"` + packA + `","installationType":"MULTI","name":"A"},"integrationPackOverrideName":"one"},` +
				`{"id":"` + ids.Instance(2) + `","integrationPack":{"description":"pack B","id":"` + packB + `","installationType":null,"name":"B"},"integrationPackOverrideName":null},` +
				`{"id":"` + ids.Instance(3) + `","integrationPack":{"description":"pack A","id":"` + packA + `","installationType":"MULTI","name":"A"},"integrationPackOverrideName":"three"},` +
				`{"id":"` + ids.Instance(4) + `","integrationPack":null,"integrationPackOverrideName":null}]}`,
		},
		{
			name:  "no pack field, no pack query",
			query: `{ integrationPackInstances { id } }`,
			want:  `{"integrationPackInstances":[{"id":"` + ids.Instance(1) + `"},{"id":"` + ids.Instance(2) + `"},{"id":"` + ids.Instance(3) + `"},{"id":"` + ids.Instance(4) + `"}]}`,
		},
		{
			name:  "pack id alone comes from the instance",
			query: `{ integrationPackInstances { integrationPackId integrationPack { id } } }`,
			want: `{"integrationPackInstances":[{"integrationPack":{"id":"` + packA + `"},"integrationPackId":"` + packA + `"},` +
				`{"integrationPack":{"id":"` + packB + `"},"integrationPackId":"` + packB + `"},` +
				`{"integrationPack":{"id":"` + packA + `"},"integrationPackId":"` + packA + `"},` +
				`{"integrationPack":{"id":"` + packC + `"},"integrationPackId":"` + packC + `"}]}`,
		},
		{
			name:      "through a fragment and an alias",
			query:     `{ integrationPackInstances { ...F } } fragment F on IntegrationPackInstance { p: integrationPack { name } }`,
			wantPacks: 1,
			want:      `{"integrationPackInstances":[{"p":{"name":"A"}},{"p":{"name":"B"}},{"p":{"name":"A"}},{"p":null}]}`,
		},
		{
			name:      "two selections of the pack, still one query",
			query:     `{ integrationPackInstances { a: integrationPack { name } b: integrationPack { installationType } } }`,
			wantPacks: 1,
			want: `{"integrationPackInstances":[{"a":{"name":"A"},"b":{"installationType":"MULTI"}},{"a":{"name":"B"},"b":{"installationType":null}},` +
				`{"a":{"name":"A"},"b":{"installationType":"MULTI"}},{"a":null,"b":null}]}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fp := &fakePlatform{t: t, queryInstances: demoInstances, queryIntegrationPacks: packsByFilter}
			data, errs := run(t, fp, tc.query)
			if len(errs) > 0 {
				t.Fatalf("errors: %+v", errs)
			}
			if got := toJSON(data); got != tc.want {
				t.Errorf("data =\n%s\nwant\n%s", got, tc.want)
			}
			if got := fp.count("QueryInstances"); got != 1 {
				t.Errorf("QueryInstances calls = %d, want 1", got)
			}
			if got := fp.count("QueryIntegrationPacks"); got != tc.wantPacks {
				t.Errorf("QueryIntegrationPacks calls = %d, want %d", got, tc.wantPacks)
			}
			if tc.wantPacks == 1 {
				// Distinct ids, in first-seen order, ORed.
				want := platformapi.Or(platformapi.Equals("id", packA), platformapi.Equals("id", packB), platformapi.Equals("id", packC))
				if got := fp.filters["QueryIntegrationPacks"][0]; !reflect.DeepEqual(*got, want) {
					t.Errorf("pack filter = %+v, want %+v", *got, want)
				}
			}
		})
	}
}

func TestIntegrationPackInstancesErrors(t *testing.T) {
	busy := &platformapi.Error{Method: "POST", Object: "IntegrationPack", StatusCode: http.StatusServiceUnavailable, Attempts: 5}
	tests := []struct {
		name      string
		instances func() ([]platformapi.Instance, error)
		packs     func(*platformapi.Expression) ([]platformapi.IntegrationPack, error)
		wantCode  string
	}{
		{"instance query fails", func() ([]platformapi.Instance, error) {
			return nil, &platformapi.Error{Method: "POST", Object: "IntegrationPackInstance", StatusCode: http.StatusUnauthorized}
		}, nil, "UNAUTHORIZED"},
		// A 401 to the Basic credentials the gateway holds is its
		// configuration's fault, not the client's token's.
		{"instance query refuses the gateway's credentials", func() ([]platformapi.Instance, error) {
			return nil, &platformapi.Error{Method: "POST", Object: "IntegrationPackInstance", StatusCode: http.StatusUnauthorized, BasicAuth: true}
		}, nil, "UPSTREAM_CREDENTIALS_REFUSED"},
		{"instance query forbidden with the gateway's credentials", func() ([]platformapi.Instance, error) {
			return nil, &platformapi.Error{Method: "POST", Object: "IntegrationPackInstance", StatusCode: http.StatusForbidden, BasicAuth: true}
		}, nil, "UNAUTHORIZED"},
		{"pack query fails", demoInstances, func(*platformapi.Expression) ([]platformapi.IntegrationPack, error) { return nil, busy }, "RATE_LIMITED"},
		{"malformed instance id", func() ([]platformapi.Instance, error) {
			return []platformapi.Instance{{ID: "not-an-instance"}}, nil
		}, nil, "PLATFORM_CALL_ERROR"},
		// The client supplied nothing these calls carry: a 400 or 404 is
		// not its fault.
		{"instance query 400", func() ([]platformapi.Instance, error) {
			return nil, &platformapi.Error{Method: "POST", Object: "IntegrationPackInstance", StatusCode: http.StatusBadRequest, Message: "Invalid query token."}
		}, nil, "PLATFORM_CALL_ERROR"},
		{"pack query 400", demoInstances, func(*platformapi.Expression) ([]platformapi.IntegrationPack, error) {
			return nil, &platformapi.Error{Method: "POST", Object: "IntegrationPack", StatusCode: http.StatusBadRequest}
		}, "PLATFORM_CALL_ERROR"},
		{"pack query 404", demoInstances, func(*platformapi.Expression) ([]platformapi.IntegrationPack, error) {
			return nil, &platformapi.Error{Method: "POST", Object: "IntegrationPack", StatusCode: http.StatusNotFound}
		}, "PLATFORM_CALL_ERROR"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fp := &fakePlatform{t: t, queryInstances: tc.instances, queryIntegrationPacks: tc.packs}
			data, errs := run(t, fp, `{ integrationPackInstances { id integrationPack { name } } }`)
			if len(errs) != 1 || errs[0].Extensions["code"] != tc.wantCode || fmt.Sprint(errs[0].Path) != "[integrationPackInstances]" {
				t.Fatalf("errors = %+v, want one %s at [integrationPackInstances]", errs, tc.wantCode)
			}
			if data["integrationPackInstances"] != nil {
				t.Errorf("data = %v, want null list", data)
			}
		})
	}
}

func TestEnvironments(t *testing.T) {
	envA, envB, envC := "aaaaaaaa-0000-4000-8000-000000000001", "bbbbbbbb-0000-4000-8000-000000000002", "cccccccc-0000-4000-8000-000000000003"
	envs := func() ([]platformapi.Environment, error) {
		return []platformapi.Environment{
			{ID: envA, Name: "Prod", Classification: "PROD"},
			{ID: envB, Name: "Test", Classification: "TEST"},
			{ID: envC, Name: "Odd", Classification: "STAGING"},
		}, nil
	}
	atts := func(context.Context, *platformapi.Expression) ([]platformapi.Attachment, error) {
		return []platformapi.Attachment{
			{ID: "rest-1", IntegrationPackInstanceID: ids.Instance(1), EnvironmentID: envA},
			{ID: "rest-2", IntegrationPackInstanceID: ids.Instance(2), EnvironmentID: envA},
			{ID: "rest-3", IntegrationPackInstanceID: ids.Instance(1), EnvironmentID: envB},
		}, nil
	}
	att := func(inst uint64, env string) string {
		return `{"environmentId":"` + env + `","id":"` + ids.Attachment(ids.Instance(inst), env) + `","integrationPackInstanceId":"` + ids.Instance(inst) + `"}`
	}

	t.Run("attachments in one query", func(t *testing.T) {
		fp := &fakePlatform{t: t, queryEnvironments: envs, query: atts}
		data, errs := run(t, fp, `{ environments { id name classification integrationPackEnvironmentAttachment { id environmentId integrationPackInstanceId } } }`)
		if len(errs) > 0 {
			t.Fatalf("errors: %+v", errs)
		}
		want := `{"environments":[` +
			`{"classification":"PROD","id":"` + envA + `","integrationPackEnvironmentAttachment":[` + att(1, envA) + `,` + att(2, envA) + `],"name":"Prod"},` +
			`{"classification":"TEST","id":"` + envB + `","integrationPackEnvironmentAttachment":[` + att(1, envB) + `],"name":"Test"},` +
			`{"classification":null,"id":"` + envC + `","integrationPackEnvironmentAttachment":[],"name":"Odd"}]}`
		if got := toJSON(data); got != want {
			t.Errorf("data =\n%s\nwant\n%s", got, want)
		}
		if fp.count("QueryEnvironments") != 1 || fp.count("QueryAttachments") != 1 {
			t.Errorf("calls = %v, want one environment and one attachment query", fp.calls)
		}
		if f := fp.filters["QueryAttachments"][0]; f != nil {
			t.Errorf("attachment filter = %+v, want none: every environment is listed", *f)
		}
	})
	t.Run("no attachment field, no attachment query", func(t *testing.T) {
		fp := &fakePlatform{t: t, queryEnvironments: envs}
		data, errs := run(t, fp, `{ environments { id } }`)
		if len(errs) > 0 || len(data["environments"].([]any)) != 3 {
			t.Fatalf("data %v, errors %+v", data, errs)
		}
		if fp.count("QueryAttachments") != 0 {
			t.Error("an attachment query was made")
		}
	})
	t.Run("environment query 400 is not the client's", func(t *testing.T) {
		fp := &fakePlatform{t: t, queryEnvironments: func() ([]platformapi.Environment, error) {
			return nil, &platformapi.Error{Method: "POST", Object: "Environment", StatusCode: http.StatusBadRequest}
		}}
		_, errs := run(t, fp, `{ environments { id } }`)
		if len(errs) != 1 || errs[0].Extensions["code"] != "PLATFORM_CALL_ERROR" || errs[0].Extensions["status"] != float64(400) {
			t.Errorf("errors %+v; want PLATFORM_CALL_ERROR with status 400", errs)
		}
	})
	t.Run("attachment query fails", func(t *testing.T) {
		fp := &fakePlatform{t: t, queryEnvironments: envs, query: func(context.Context, *platformapi.Expression) ([]platformapi.Attachment, error) {
			return nil, &platformapi.Error{Method: "POST", Object: "IntegrationPackEnvironmentAttachment", StatusCode: http.StatusForbidden}
		}}
		data, errs := run(t, fp, `{ environments { id integrationPackEnvironmentAttachment { id } } }`)
		if len(errs) != 1 || errs[0].Extensions["code"] != "UNAUTHORIZED" || !strings.HasPrefix(errs[0].Message, "Downstream Execution Error: ") || data["environments"] != nil {
			t.Errorf("data %v, errors %+v; want null and one UNAUTHORIZED", data, errs)
		}
	})
}

func TestInstall(t *testing.T) {
	t.Run("installs and reads the pack", func(t *testing.T) {
		var gotPack, gotName string
		fp := &fakePlatform{t: t,
			installInstance: func(packID, name string) (platformapi.Instance, error) {
				gotPack, gotName = packID, name
				return platformapi.Instance{ID: ids.Instance(77), IntegrationPackID: packID, IntegrationPackOverrideName: name}, nil
			},
			queryIntegrationPacks: packsByFilterOne,
			queryInstances:        noInstances,
		}
		data, errs := run(t, fp, `mutation { integrationPackInstanceInstall(input: {integrationPackId: "`+packA+`", integrationPackOverrideName: "EU"}) { id integrationPackId integrationPackOverrideName integrationPack { name } } }`)
		if len(errs) > 0 {
			t.Fatalf("errors: %+v", errs)
		}
		want := `{"integrationPackInstanceInstall":{"id":"` + ids.Instance(77) + `","integrationPack":{"name":"A"},"integrationPackId":"` + packA + `","integrationPackOverrideName":"EU"}}`
		if got := toJSON(data); got != want {
			t.Errorf("data = %s, want %s", got, want)
		}
		if gotPack != packA || gotName != "EU" {
			t.Errorf("InstallInstance(%q, %q)", gotPack, gotName)
		}
		if f := fp.filters["QueryIntegrationPacks"]; len(f) != 1 || !reflect.DeepEqual(*f[0], platformapi.Equals("id", packA)) {
			t.Errorf("pack queries = %v", f)
		}
	})
	t.Run("no name", func(t *testing.T) {
		fp := &fakePlatform{t: t, queryInstances: noInstances, installInstance: func(packID, name string) (platformapi.Instance, error) {
			if name != "" {
				t.Errorf("name = %q, want none", name)
			}
			return platformapi.Instance{ID: ids.Instance(78), IntegrationPackID: packID}, nil
		}}
		data, errs := run(t, fp, `mutation { integrationPackInstanceInstall(input: {integrationPackId: "`+packA+`"}) { id integrationPackOverrideName } }`)
		if len(errs) > 0 || toJSON(data) != `{"integrationPackInstanceInstall":{"id":"`+ids.Instance(78)+`","integrationPackOverrideName":null}}` {
			t.Errorf("data %s, errors %+v", toJSON(data), errs)
		}
	})
	tests := []struct {
		name, packID string
		install      func(string, string) (platformapi.Instance, error)
		wantCode     string
	}{
		{"bad pack id", "not-a-guid", nil, "BAD_USER_INPUT"},
		{"REST 400", packA, func(string, string) (platformapi.Instance, error) {
			return platformapi.Instance{}, &platformapi.Error{StatusCode: 400, Message: "IntegrationPack x does not exist."}
		}, "BAD_USER_INPUT"},
		{"REST answers a malformed id", packA, func(string, string) (platformapi.Instance, error) {
			return platformapi.Instance{ID: "42"}, nil
		}, "PLATFORM_CALL_ERROR"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fp := &fakePlatform{t: t, installInstance: tc.install}
			if tc.install != nil {
				fp.queryInstances = noInstances
			}
			data, errs := run(t, fp, `mutation { integrationPackInstanceInstall(input: {integrationPackId: "`+tc.packID+`"}) { id } }`)
			if len(errs) != 1 || errs[0].Extensions["code"] != tc.wantCode || data["integrationPackInstanceInstall"] != nil {
				t.Errorf("data %v, errors %+v; want null and %s", data, errs, tc.wantCode)
			}
		})
	}
}

func packsByFilterOne(f *platformapi.Expression) ([]platformapi.IntegrationPack, error) {
	return packsByFilter(&platformapi.Expression{NestedExpression: []platformapi.Expression{*f}})
}

func TestUninstall(t *testing.T) {
	canonical := ids.Instance(34486) // 38 characters: "==" pads it
	tests := []struct {
		name, id  string
		uninstall func(string) error
		wantID    string
		wantCode  string
	}{
		{"canonical id", canonical, func(string) error { return nil }, canonical, ""},
		{"padded id answers canonical", canonical + "==", func(string) error { return nil }, canonical, ""},
		{"not an instance id", "QVRUQUNI", nil, "", "IPACK_INSTANCE_ID_INVALID"},
		{"empty", "", nil, "", "IPACK_INSTANCE_ID_INVALID"},
		{"REST 400", canonical, func(string) error {
			return &platformapi.Error{StatusCode: 400, Message: "IntegrationPackInstance x does not exist."}
		}, "", "BAD_USER_INPUT"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var called string
			fp := &fakePlatform{t: t}
			if tc.uninstall != nil {
				fp.uninstallInstance = func(id string) error { called = id; return tc.uninstall(id) }
			}
			data, errs := run(t, fp, `mutation { integrationPackInstanceUninstall(id: "`+tc.id+`") }`)
			if tc.wantCode != "" {
				if len(errs) != 1 || errs[0].Extensions["code"] != tc.wantCode {
					t.Errorf("errors = %+v, want %s", errs, tc.wantCode)
				}
				return
			}
			if len(errs) > 0 || data["integrationPackInstanceUninstall"] != tc.wantID || called != canonical {
				t.Errorf("data %v, errors %+v, REST id %q; want %q", data, errs, called, tc.wantID)
			}
		})
	}
}

func TestInstallPartialAndUnknown(t *testing.T) {
	t.Run("pack read fails after install", func(t *testing.T) {
		fp := &fakePlatform{t: t,
			installInstance: func(packID, _ string) (platformapi.Instance, error) {
				return platformapi.Instance{ID: ids.Instance(79), IntegrationPackID: packID}, nil
			},
			queryIntegrationPacks: func(*platformapi.Expression) ([]platformapi.IntegrationPack, error) {
				return nil, &platformapi.Error{StatusCode: http.StatusServiceUnavailable}
			},
			queryInstances: noInstances,
		}
		data, errs := run(t, fp, `mutation { integrationPackInstanceInstall(input: {integrationPackId: "`+packA+`"}) { id integrationPack { name } } }`)
		// The new instance's id survives; the error sits on its pack.
		if got := toJSON(data); got != `{"integrationPackInstanceInstall":{"id":"`+ids.Instance(79)+`","integrationPack":null}}` ||
			len(errs) != 1 || fmt.Sprint(errs[0].Path) != "[integrationPackInstanceInstall integrationPack]" || errs[0].Extensions["code"] != "RATE_LIMITED" {
			t.Errorf("data %s, errors %+v", got, errs)
		}
	})
	t.Run("200 with a malformed id: installed, so outcome unknown", func(t *testing.T) {
		fp := &fakePlatform{t: t, queryInstances: noInstances, installInstance: func(string, string) (platformapi.Instance, error) {
			return platformapi.Instance{ID: "42"}, nil
		}}
		_, errs := run(t, fp, `mutation { integrationPackInstanceInstall(input: {integrationPackId: "`+packA+`"}) { id } }`)
		if len(errs) != 1 || errs[0].Extensions["outcome"] != "unknown" || errs[0].Extensions["code"] != "PLATFORM_CALL_ERROR" {
			t.Errorf("errors %+v, want PLATFORM_CALL_ERROR with outcome unknown", errs)
		}
	})
	t.Run("not sent", func(t *testing.T) {
		fp := &fakePlatform{t: t, queryInstances: noInstances, installInstance: func(string, string) (platformapi.Instance, error) {
			return platformapi.Instance{}, &platformapi.Error{Err: platformapi.ErrBudgetDeadline, NotSent: true}
		}}
		_, errs := run(t, fp, `mutation { integrationPackInstanceInstall(input: {integrationPackId: "`+packA+`"}) { id } }`)
		if len(errs) != 1 || errs[0].Extensions["outcome"] != "not_sent" || errs[0].Extensions["code"] != "RATE_LIMITED" ||
			strings.Contains(errs[0].Message, "may have been installed") {
			t.Errorf("errors %+v, want RATE_LIMITED with outcome not_sent", errs)
		}
	})
}

// noInstances is a QueryInstances that finds none.
func noInstances() ([]platformapi.Instance, error) { return nil, nil }

// TestInstallSettles: an install of unknown outcome (a 502, or a 503 that
// may have come after it was carried out) is never sent again; the
// instances of the pack listed before it and after it tell what it did.
// Exactly one new instance with the name asked for is the install's
// (success); none is "not installed" (a known failure, no outcome); any
// other case is outcome "unknown" with the hint to look before trying
// again.
func TestInstallSettles(t *testing.T) {
	inst := func(n uint64, name string) platformapi.Instance {
		return platformapi.Instance{ID: ids.Instance(n), IntegrationPackID: packA, IntegrationPackOverrideName: name}
	}
	old := inst(10, "EU")
	lost := &platformapi.Error{Method: "POST", StatusCode: http.StatusServiceUnavailable, Message: "busy", Ambiguous: true}
	listFails := &platformapi.Error{Method: "POST", StatusCode: http.StatusInternalServerError, Ambiguous: true}
	tests := []struct {
		name          string
		before        []platformapi.Instance
		beforeErr     error
		after         []platformapi.Instance
		afterErr      error
		wantID        string // success with this instance
		wantNotDone   bool   // a known failure: not installed
		wantUnknown   bool
		wantSettleQry int // QueryInstances after the CREATE
	}{
		{name: "one new instance with the name: installed", before: []platformapi.Instance{old}, after: []platformapi.Instance{old, inst(11, "EU")}, wantID: ids.Instance(11), wantSettleQry: 1},
		{name: "nothing new: not installed", before: []platformapi.Instance{old}, after: []platformapi.Instance{old}, wantNotDone: true, wantSettleQry: 1},
		{name: "nothing at all, no list from before: not installed", beforeErr: listFails, wantNotDone: true, wantSettleQry: 1},
		{name: "two new instances: unknown", after: []platformapi.Instance{inst(11, "EU"), inst(12, "EU")}, wantUnknown: true, wantSettleQry: 1},
		{name: "one new instance of another name: unknown", after: []platformapi.Instance{inst(11, "US")}, wantUnknown: true, wantSettleQry: 1},
		{name: "no list from before: unknown", beforeErr: listFails, after: []platformapi.Instance{inst(11, "EU")}, wantUnknown: true, wantSettleQry: 1},
		{name: "settling query fails: unknown", afterErr: listFails, wantUnknown: true, wantSettleQry: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var queries int
			fp := &fakePlatform{t: t,
				installInstance: func(string, string) (platformapi.Instance, error) { return platformapi.Instance{}, lost },
				queryInstances: func() ([]platformapi.Instance, error) {
					queries++
					if queries == 1 {
						return tt.before, tt.beforeErr
					}
					return tt.after, tt.afterErr
				},
			}
			data, errs := run(t, fp, `mutation { integrationPackInstanceInstall(input: {integrationPackId: "`+packA+`", integrationPackOverrideName: "EU"}) { id } }`)
			if n := fp.count("InstallInstance"); n != 1 {
				t.Errorf("%d installs sent, want 1", n)
			}
			if queries-1 != tt.wantSettleQry {
				t.Errorf("%d settling queries, want %d", queries-1, tt.wantSettleQry)
			}
			for _, f := range fp.filters["QueryInstances"] {
				if !reflect.DeepEqual(*f, platformapi.Equals("integrationPackId", packA)) {
					t.Errorf("instances queried by %+v, want by integrationPackId", *f)
				}
			}
			switch {
			case tt.wantID != "":
				if len(errs) != 0 || toJSON(data) != `{"integrationPackInstanceInstall":{"id":"`+tt.wantID+`"}}` {
					t.Errorf("data %s, errors %+v; want installed as %s", toJSON(data), errs, tt.wantID)
				}
			case tt.wantNotDone:
				if len(errs) != 1 || errs[0].Extensions["outcome"] != nil || errs[0].Extensions["code"] != "RATE_LIMITED" ||
					!strings.Contains(errs[0].Message, "the pack was not installed") {
					t.Errorf("errors %+v; want RATE_LIMITED, not installed, no outcome", errs)
				}
			case tt.wantUnknown:
				if len(errs) != 1 || errs[0].Extensions["outcome"] != "unknown" || !strings.Contains(errs[0].Message, "may have been installed") {
					t.Errorf("errors %+v; want outcome unknown", errs)
				}
			}
		})
	}
}

func TestUninstallSettles(t *testing.T) {
	id := ids.Instance(34486)
	lost := &platformapi.Error{Method: "DELETE", StatusCode: http.StatusGatewayTimeout, Ambiguous: true}
	gone := &platformapi.Error{StatusCode: http.StatusBadRequest, Message: "IntegrationPackInstance " + id + " does not exist."}
	tests := []struct {
		name      string
		uninstall error
		get       func(string) (platformapi.Instance, error)
		wantCode  string // "" for success
		wantGets  int
	}{
		{"answer lost, instance gone", lost, func(string) (platformapi.Instance, error) { return platformapi.Instance{}, gone }, "", 1},
		{"answer lost, instance still there", lost, func(string) (platformapi.Instance, error) { return platformapi.Instance{ID: id}, nil }, "UPSTREAM_TIMEOUT", 1},
		{"answer lost, and so is the check", lost, func(string) (platformapi.Instance, error) { return platformapi.Instance{}, lost }, "UPSTREAM_TIMEOUT", 1},
		// A repeat found nothing to delete: an earlier try did it.
		{"repeat found it gone", &platformapi.Error{StatusCode: 400, Message: gone.Message, Ambiguous: true}, nil, "", 0},
		// Without ambiguity, "does not exist" is the client's mistake.
		{"never there", gone, nil, "BAD_USER_INPUT", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fp := &fakePlatform{t: t, uninstallInstance: func(string) error { return tc.uninstall }, getInstance: tc.get}
			data, errs := run(t, fp, `mutation { integrationPackInstanceUninstall(id: "`+id+`") }`)
			switch {
			case tc.wantCode == "" && (len(errs) > 0 || data["integrationPackInstanceUninstall"] != id):
				t.Errorf("data %v, errors %+v; want the id", data, errs)
			case tc.wantCode != "" && (len(errs) != 1 || errs[0].Extensions["code"] != tc.wantCode):
				t.Errorf("errors %+v; want %s", errs, tc.wantCode)
			}
			if got := fp.count("GetInstance"); got != tc.wantGets {
				t.Errorf("GetInstance calls = %d, want %d", got, tc.wantGets)
			}
		})
	}
}

// TestRetryAfterPassedOn: a REST 503 or 429 whose Retry-After outlasts the
// request reaches the client with extensions.retryAfter (seconds, rounded
// up), so that it does not come straight back.
func TestRetryAfterPassedOn(t *testing.T) {
	fp := &fakePlatform{t: t, queryInstances: func() ([]platformapi.Instance, error) {
		return nil, &platformapi.Error{Method: "POST", Object: "IntegrationPackInstance", StatusCode: http.StatusServiceUnavailable, RetryAfter: 29500 * time.Millisecond}
	}}
	_, errs := run(t, fp, `{ integrationPackInstances { id } }`)
	if len(errs) != 1 || errs[0].Extensions["code"] != "RATE_LIMITED" || errs[0].Extensions["retryAfter"] != float64(30) {
		t.Errorf("errors %+v; want RATE_LIMITED with retryAfter 30", errs)
	}
}
