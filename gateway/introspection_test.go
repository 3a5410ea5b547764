package gateway_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// introspected is the part of an introspection answer the options add.
type introspected struct {
	Schema struct {
		Description *string `json:"description"`
		Types       []map[string]json.RawMessage
		Directives  []map[string]json.RawMessage
	} `json:"__schema"`
}

// TestIntrospectionOptions: current graphql-js's introspection query with
// each of its options validates and answers, though graphql-go v1.11
// lacks __Schema.description, __Type.isOneOf and __Directive.isRepeatable
// (and the experimental directive deprecation): the gateway fills them in
// (adapt.go). Every key is where the query puts it.
func TestIntrospectionOptions(t *testing.T) {
	e := newEnv(t, envOptions{})
	for _, name := range []string{"introspection-all-options.graphql", "introspection-experimental.graphql"} {
		query, err := readTestdata(name)
		if err != nil {
			t.Fatal(err)
		}
		r := e.post(t, query, nil)
		if r.Status != 200 || len(r.Errors) != 0 {
			t.Fatalf("%s: %d %s", name, r.Status, clipRaw(r.Raw))
		}
		if bytes.Contains(r.Raw, []byte("__gw_")) {
			t.Errorf("%s: a placeholder is left in the answer", name)
		}
		if !bytes.HasPrefix(r.Data, []byte(`{"__schema":{"description":null,"queryType":{"name":"Query","kind":"OBJECT"},`)) {
			t.Errorf("%s: the schema's description is not first: %.120s", name, r.Data)
		}
		var got introspected
		if err := json.Unmarshal(r.Data, &got); err != nil {
			t.Fatal(err)
		}
		inputs := 0
		for _, typ := range got.Schema.Types {
			kind, oneOf := string(typ["kind"]), string(typ["isOneOf"])
			want := "null"
			if kind == `"INPUT_OBJECT"` {
				want, inputs = "false", inputs+1 // no input type of the schema is @oneOf
			}
			if oneOf != want {
				t.Errorf("%s: type %s (%s) isOneOf = %q, want %s", name, typ["name"], kind, oneOf, want)
			}
		}
		if inputs < 5 {
			t.Errorf("%s: %d input types, want the schema's", name, inputs)
		}
		for _, d := range got.Schema.Directives {
			if string(d["isRepeatable"]) != "false" {
				t.Errorf("%s: directive %s isRepeatable = %s", name, d["name"], d["isRepeatable"])
			}
			_, dep := d["isDeprecated"]
			if experimental := strings.Contains(name, "experimental"); dep != experimental ||
				experimental && (string(d["isDeprecated"]) != "false" || string(d["deprecationReason"]) != "null") {
				t.Errorf("%s: directive %s deprecation %s %s", name, d["name"], d["isDeprecated"], d["deprecationReason"])
			}
		}
		// The fields of a type, in the query's order.
		var order []string
		first := r.Data[bytes.Index(r.Data, []byte(`"types":[{`))+len(`"types":[`):]
		for _, key := range []string{`"kind"`, `"name"`, `"description"`, `"specifiedByURL"`, `"isOneOf"`, `"fields"`} {
			order = append(order, key)
			if i := bytes.Index(first, []byte(key+":")); i < 0 || (len(order) > 1 && i < bytes.Index(first, []byte(order[len(order)-2]+":"))) {
				t.Errorf("%s: %s is not after %v in the first type", name, key, order[:len(order)-1])
			}
		}
	}
}

// TestIntrospectionFillAliases: aliases, fragments, directives and fields
// next to introspection are answered as graphql-js answers them; the
// reserved alias prefix is refused.
func TestIntrospectionFillAliases(t *testing.T) {
	e := newEnv(t, envOptions{})
	r := e.post(t, `query($no: Boolean!) {
	  t: __type(name: "Criteria") { name o: isOneOf isOneOf ...F ... on __Type { x: isOneOf } skipped: isOneOf @skip(if: true) kept: isOneOf @include(if: $no) }
	  e: __type(name: "Operator") { isOneOf }
	  l: __type(name: "Space") { fields { name type { ofType { isOneOf } } } }
	  __schema { d: description directives { name r: isRepeatable } }
	  spaces { id }
	}
	fragment F on __Type { f: isOneOf }`, map[string]any{"no": true})
	if len(r.Errors) != 0 {
		t.Fatalf("errors: %s", r.Raw)
	}
	var got struct {
		T json.RawMessage
		E json.RawMessage
		L struct {
			Fields []struct {
				Name string
				Type struct{ OfType *struct{ IsOneOf *bool } }
			}
		}
		Schema struct {
			D          *string
			Directives []struct {
				Name string
				R    *bool
			}
		} `json:"__schema"`
		Spaces []struct{ ID string }
	}
	if err := json.Unmarshal(r.Data, &got); err != nil {
		t.Fatal(err)
	}
	if string(got.T) != `{"name":"Criteria","o":false,"isOneOf":false,"f":false,"x":false,"kept":false}` {
		t.Errorf("input type: %s", got.T)
	}
	if string(got.E) != `{"isOneOf":null}` {
		t.Errorf("enum type: %s", got.E)
	}
	if got.Schema.D != nil || len(got.Schema.Directives) < 5 || len(got.Spaces) != 1 {
		t.Errorf("schema and spaces: %s", r.Data)
	}
	for _, d := range got.Schema.Directives {
		if d.R == nil || *d.R {
			t.Errorf("directive %s: isRepeatable %v", d.Name, d.R)
		}
	}
	for _, f := range got.L.Fields {
		if f.Name == "id" && (f.Type.OfType == nil || f.Type.OfType.IsOneOf != nil) {
			t.Errorf("Space.id's ID: isOneOf %v, want null", f.Type.OfType)
		}
	}

	// graphql-go's directives takes no argument: a literal one is dropped
	// (no directive is deprecated), a variable left for graphql-go to
	// refuse (dropping its only use would leave it unused).
	r = e.post(t, `{ __schema { directives(includeDeprecated: true) { name } } }`, nil)
	if len(r.Errors) != 0 || !bytes.Contains(r.Data, []byte(`{"name":"deprecated"}`)) {
		t.Errorf("directives(includeDeprecated: true): %s", clipRaw(r.Raw))
	}
	r = e.post(t, `query($d: Boolean) { __schema { directives(includeDeprecated: $d) { name } } }`, map[string]any{"d": true})
	if r.code() != "GRAPHQL_VALIDATION_FAILED" {
		t.Errorf("directives(includeDeprecated: $d): %s", clipRaw(r.Raw))
	}

	r = e.post(t, `{ __gw_oneOf__x: __typename }`, nil)
	if r.code() != "GRAPHQL_VALIDATION_FAILED" || !strings.Contains(r.Errors[0].Message, "reserved") {
		t.Errorf("reserved alias: %s", r.Raw)
	}
}

func clipRaw(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "…"
	}
	return string(b)
}
