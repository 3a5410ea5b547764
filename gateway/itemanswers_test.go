package gateway_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/ipack-gateway/ipack-gateway/platformapi/simulator"
)

var updateItemAnswers = flag.Bool("update-item-answers", false, "rewrite testdata/itemanswers.txt from the answers of the current code")

const itemAnswersFile = "testdata/itemanswers.txt"

// TestItemAnswers pins, byte for byte, the whole answer (data, and errors
// with their messages, paths, extensions and order) to mutations whose
// items fail one by one: attach items under every way of selecting the
// item's fields (id or not, aliases, fragments, @skip and @include,
// duplicates, only meta fields), the all-or-nothing attach, several
// attaches and updates in one mutation under aliases. The answers in
// testdata/itemanswers.txt were recorded from the gateway before the
// per-item errors of attach and of the updates became one mechanism; how
// they travel may change, what the client reads may not.
func TestItemAnswers(t *testing.T) {
	const (
		unknown = "11111111-2222-4333-8444-555555555555" // well-formed; REST answers 400
		invalid = "not-a-guid"                           // refused before REST
	)
	e1, e2 := simulator.DemoEnvironment(1), simulator.DemoEnvironment(2)
	envs := func(ids ...string) string {
		b, _ := json.Marshal(ids)
		return string(b)
	}
	// att is an attach of ids under key (an alias when not the field's
	// name), with sel after it: directives, then the selection set.
	att := func(key string, ids []string, sel string) string {
		prefix := ""
		if key != attachField {
			prefix = key + ": "
		}
		return fmt.Sprintf(`%s%s(input: {integrationPackInstanceId: %q, environmentIds: %s}) %s`, prefix, attachField, seedInst, envs(ids...), sel)
	}
	mixed := []string{seedEnvA, unknown, invalid, seedEnvB}
	dups := []string{seedEnvA, unknown, seedEnvA, invalid, unknown, invalid}
	ext := func(key, field string, items ...string) string {
		prefix := ""
		if key != field {
			prefix = key + ": "
		}
		return prefix + field + "(input: [" + strings.Join(items, ", ") + "])"
	}
	item := func(extensions, id string) string {
		return fmt.Sprintf(`{extensions: %q, envExtensionId: %q}`, extensions, id)
	}
	const frag = ` fragment F on IntegrationPackEnvironmentAttachment { environmentId id }`
	tests := []struct {
		name     string
		rollback bool
		query    string
		vars     map[string]any
	}{
		{"id selected", false, `mutation { ` + att(attachField, mixed, `{ id environmentId }`) + ` }`, nil},
		{"id selected last", false, `mutation { ` + att(attachField, mixed, `{ environmentId integrationPackInstanceId id }`) + ` }`, nil},
		{"id not selected", false, `mutation { ` + att(attachField, mixed, `{ environmentId integrationPackInstanceId }`) + ` }`, nil},
		{"id not selected, every other field", false, `mutation { ` + att(attachField, mixed, `{ __typename integrationPackInstanceId environmentExtensions environmentMapExtension environmentId }`) + ` }`, nil},
		{"only environmentMapExtension", false, `mutation { ` + att(attachField, mixed, `{ environmentMapExtension }`) + ` }`, nil},
		{"only environmentExtensions", false, `mutation { ` + att(attachField, mixed, `{ environmentExtensions }`) + ` }`, nil},
		{"only __typename", false, `mutation { ` + att(attachField, mixed, `{ __typename }`) + ` }`, nil},
		{"only aliased __typename", false, `mutation { ` + att("x", mixed, `{ t: __typename u: __typename }`) + ` }`, nil},
		{"aliases", false, `mutation { ` + att("x", mixed, `{ myId: id env: environmentId }`) + ` }`, nil},
		{"id under two aliases", false, `mutation { ` + att("x", mixed, `{ b: id environmentId a: id }`) + ` }`, nil},
		{"id under its name and an alias", false, `mutation { ` + att(attachField, mixed, `{ id i: id }`) + ` }`, nil},
		{"nullable field under two aliases", false, `mutation { ` + att("x", mixed, `{ e2: environmentId integrationPackInstanceId e1: environmentId }`) + ` }`, nil},
		{"named fragment", false, `mutation { ` + att("x", mixed, `{ ...F }`) + ` }` + frag, nil},
		{"named fragment and an alias of id", false, `mutation { ` + att("x", mixed, `{ k: id ...F }`) + ` }` + frag, nil},
		{"inline fragment", false, `mutation { ` + att("x", mixed, `{ environmentId ... on IntegrationPackEnvironmentAttachment { k: id } }`) + ` }`, nil},
		{"inline fragment without type", false, `mutation { ` + att("x", mixed, `{ ... { environmentId } }`) + ` }`, nil},
		{"nested fragments", false, `mutation { ` + att("x", mixed, `{ ...G }`) + ` } fragment G on IntegrationPackEnvironmentAttachment { ... { ...F } }` + frag, nil},
		{"skip id", false, `mutation($s: Boolean!) { ` + att("x", mixed, `{ id @skip(if: $s) environmentId }`) + ` }`, map[string]any{"s": true}},
		{"skip id false", false, `mutation($s: Boolean!) { ` + att("x", mixed, `{ id @skip(if: $s) environmentId }`) + ` }`, map[string]any{"s": false}},
		{"skip id once", false, `mutation { ` + att("x", mixed, `{ id @skip(if: true) environmentId i: id id }`) + ` }`, nil},
		{"include fragment by default", false, `mutation($i: Boolean = false) { ` + att("x", mixed, `{ integrationPackInstanceId ...F @include(if: $i) }`) + ` }` + frag, nil},
		{"include fragment", false, `mutation($i: Boolean = false) { ` + att("x", mixed, `{ integrationPackInstanceId ...F @include(if: $i) }`) + ` }` + frag, map[string]any{"i": true}},
		{"skip inline fragment", false, `mutation { ` + att("x", mixed, `{ ... @skip(if: true) { id } environmentId ... @skip(if: false) { e: environmentId } }`) + ` }`, nil},
		{"duplicate environment ids", false, `mutation { ` + att(attachField, dups, `{ id environmentId }`) + ` }`, nil},
		{"duplicate environment ids, id not selected", false, `mutation { ` + att(attachField, dups, `{ environmentId }`) + ` }`, nil},
		{"input in a variable", false, `mutation($in: IntegrationPackEnvironmentAttachmentInput) { x: ` + attachField + `(input: $in) { environmentId id } }`,
			map[string]any{"in": map[string]any{"integrationPackInstanceId": seedInst, "environmentIds": mixed}}},
		{"two aliased attaches", false, `mutation { ` + att("a", []string{unknown, e1}, `{ id }`) + ` ` + att("b", []string{e2, invalid}, `{ environmentId }`) + ` }`, nil},
		{"two attaches, the first under the field's name", false, `mutation { ` + att(attachField, []string{unknown}, `{ environmentId }`) + ` ` + att("b", []string{invalid, e2}, `{ id }`) + ` }`, nil},
		{"same key twice, selections merged", false, `mutation { ` + att("x", mixed, `{ environmentId }`) + ` ` + att("x", mixed, `{ id }`) + ` }`, nil},
		{"attach skipped by a variable", false, `mutation($s: Boolean!) { ` + att("a", []string{unknown}, `@skip(if: $s) { id }`) + ` ` + att("b", []string{invalid}, `{ id }`) + ` }`, map[string]any{"s": true}},
		{"attach whole failure, then items", false, `mutation { a: ` + attachField + `(input: null) { id } ` + att("b", []string{unknown, e1}, `{ environmentId }`) + ` }`, nil},
		{"attaches in root fragments", false, `mutation { ...M ... on Mutation { ` + att("c", []string{invalid}, `{ e: environmentId }`) + ` } } fragment M on Mutation { ` + att("a", []string{unknown}, `{ ...F }`) + ` }` + frag, nil},
		{"rollback, id selected", true, `mutation { ` + att(attachField, []string{e1, e2, unknown, e1}, `{ id environmentId }`) + ` }`, nil},
		{"rollback, id not selected", true, `mutation { ` + att("x", []string{e1, e2, unknown}, `{ environmentId integrationPackInstanceId }`) + ` }`, nil},
		{"rollback, invalid id", true, `mutation { ` + att("x", []string{e1, invalid, e2}, `{ i: id }`) + ` }`, nil},
		{"rollback, two attaches", true, `mutation { ` + att("a", []string{e1, unknown}, `{ id }`) + ` ` + att("b", []string{e2, e1}, `{ environmentId }`) + ` }`, nil},
		{"updates under aliases", false, `mutation { ` +
			ext("u", "extensionsUpdate", item("{}", simulator.DemoExtensionsUpdateID), item("[1]", "id-1"), "null", item("{}", "no-such-extension")) + ` ` +
			ext("extendedMappersUpdate", "extendedMappersUpdate", item("{}", ""), item("{}", simulator.DemoMapperUpdateID)) + ` ` +
			ext("v", "extensionsUpdate", item("nope", "id-2")) + ` }`, nil},
		{"updates and attaches", false, `mutation { ` + att("a", []string{unknown, e1}, `{ id }`) + ` ` +
			ext("u", "extensionsUpdate", item("[]", "id-1")) + ` ` + att("b", []string{invalid}, `{ environmentId }`) + ` ` +
			ext("extensionsUpdate", "extensionsUpdate", item("{}", "x"), item("0", "y")) + ` }`, nil},
	}

	var got bytes.Buffer
	want := readItemAnswers(t)
	for _, tt := range tests {
		o := envOptions{}
		if tt.rollback {
			o.extraYAML = "attach: {onPartialFailure: rollback}\n"
		}
		r := newEnv(t, o).post(t, tt.query, tt.vars)
		answer := strings.TrimSuffix(string(r.Raw), "\n")
		fmt.Fprintf(&got, "=== %s\n%s\n", tt.name, answer)
		if *updateItemAnswers {
			continue
		}
		if w, ok := want[tt.name]; !ok {
			t.Errorf("%s: no recorded answer (run with -update-item-answers once, on the code whose answers are to be kept)", tt.name)
		} else if answer != w {
			t.Errorf("%s: the answer changed\nquery %s\n  got %s\n want %s", tt.name, tt.query, answer, w)
		}
	}
	if *updateItemAnswers {
		if err := os.WriteFile(itemAnswersFile, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// readItemAnswers reads testdata/itemanswers.txt: a line "=== name", then
// the answer on one line, for each case.
func readItemAnswers(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(itemAnswersFile)
	if err != nil {
		if *updateItemAnswers {
			return nil
		}
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	name := ""
	for sc.Scan() {
		if n, ok := strings.CutPrefix(sc.Text(), "=== "); ok {
			name = n
			continue
		}
		out[name] = sc.Text()
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
