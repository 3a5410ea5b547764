package conformance_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
)

// placeholders are the type names the vendor's return syntax uses in place
// of values, and what each admits.
var placeholders = map[string]func(string) bool{
	"ID":               func(s string) bool { return s != "" },
	"String":           func(string) bool { return true },
	"Classification":   func(s string) bool { return s == "PROD" || s == "TEST" },
	"InstallationType": func(s string) bool { return s == "SINGLE" || s == "MULTI" },
}

// matchShape compares a GraphQL answer with a documented return syntax and
// returns what differs (see testdata/cases.yaml for the rules). Paths name
// list items without their index: data.environments.id.
func matchShape(doc, answer []byte, mayBeNull []string) []string {
	var want, got any
	if err := json.Unmarshal(doc, &want); err != nil {
		return []string{"documented shape: " + err.Error()}
	}
	if err := json.Unmarshal(answer, &got); err != nil {
		return []string{"answer: " + err.Error()}
	}
	c := &shapeCheck{documented: map[string]bool{}, nonNull: map[string]bool{}}
	c.collect("", want)
	c.walk("", want, got)
	for _, p := range mayBeNull {
		if !c.documented[p] {
			c.fail("mayBeNull names %s, which is not documented", p)
		}
	}
	var never []string
	for p := range c.documented {
		if !c.nonNull[p] && !slices.Contains(mayBeNull, p) {
			never = append(never, p)
		}
	}
	sort.Strings(never)
	for _, p := range never {
		c.fail("%s: never answered with a value", p)
	}
	return c.problems
}

type shapeCheck struct {
	documented map[string]bool // every path of the documented shape
	nonNull    map[string]bool // paths answered with a value at least once
	problems   []string
}

func (c *shapeCheck) fail(format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func (c *shapeCheck) collect(path string, want any) {
	if path != "" {
		c.documented[path] = true
	}
	switch w := want.(type) {
	case map[string]any:
		for k, v := range w {
			c.collect(join(path, k), v)
		}
	case []any:
		for _, v := range w {
			c.collect(path, v)
		}
	}
}

func (c *shapeCheck) walk(path string, want, got any) {
	if got == nil {
		return // allowed here; whether it ever has a value is checked after
	}
	if path != "" {
		c.nonNull[path] = true
	}
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			c.fail("%s: want an object, got %T", path, got)
			return
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				c.fail("%s: undocumented key %q", path, k)
			}
		}
		for k, v := range w {
			if _, ok := g[k]; !ok {
				c.fail("%s: documented key %q is missing", path, k)
				continue
			}
			c.walk(join(path, k), v, g[k])
		}
	case []any:
		if len(w) != 1 {
			c.fail("%s: a documented list must hold exactly one item", path)
			return
		}
		g, ok := got.([]any)
		if !ok {
			c.fail("%s: want a list, got %T", path, got)
			return
		}
		for _, item := range g {
			c.walk(path, w[0], item)
		}
	case string:
		if w == "Int" {
			// The one placeholder of a number.
			if n, ok := got.(float64); !ok || n != float64(int64(n)) {
				c.fail("%s: %v is not an Int", path, got)
			}
			return
		}
		admits, ok := placeholders[w]
		if !ok {
			c.fail("%s: documented value %q is no known placeholder", path, w)
			return
		}
		s, ok := got.(string)
		if !ok || !admits(s) {
			c.fail("%s: %v is not a %s", path, got, w)
		}
	default:
		c.fail("%s: documented value %v is no placeholder", path, want)
	}
}

// The checker must catch what it is there to catch.
func TestMatchShape(t *testing.T) {
	const doc = `{"data":{"xs":[{"id":"ID","kind":"Classification","note":"String"}]}}`
	tests := []struct {
		name, answer string
		mayBeNull    []string
		want         string // a substring of the problems; "" for none
	}{
		{"matches", `{"data":{"xs":[{"id":"1","kind":"PROD","note":"n"},{"id":"2","kind":"TEST","note":null}]}}`, nil, ""},
		{"errors next to data", `{"errors":[{"message":"x"}],"data":{"xs":[{"id":"1","kind":"PROD","note":"n"}]}}`, nil, `undocumented key "errors"`},
		{"missing key", `{"data":{"xs":[{"id":"1","kind":"PROD"}]}}`, nil, `"note" is missing`},
		{"extra key", `{"data":{"xs":[{"id":"1","kind":"PROD","note":"n","x":1}]}}`, nil, `undocumented key "x"`},
		{"enum value", `{"data":{"xs":[{"id":"1","kind":"STAGING","note":"n"}]}}`, nil, "is not a Classification"},
		{"empty id", `{"data":{"xs":[{"id":"","kind":"PROD","note":"n"}]}}`, nil, "is not a ID"},
		{"number for string", `{"data":{"xs":[{"id":"1","kind":"PROD","note":5}]}}`, nil, "is not a String"},
		{"never a value", `{"data":{"xs":[{"id":"1","kind":"PROD","note":null}]}}`, nil, "data.xs.note: never answered"},
		{"null allowed", `{"data":{"xs":[{"id":"1","kind":"PROD","note":null}]}}`, []string{"data.xs.note"}, ""},
		{"empty list proves nothing", `{"data":{"xs":[]}}`, nil, "data.xs.id: never answered"},
		{"null list", `{"data":{"xs":null}}`, nil, "data.xs: never answered"},
		{"object for list", `{"data":{"xs":{"id":"1"}}}`, nil, "want a list"},
		{"typo in mayBeNull", `{"data":{"xs":[{"id":"1","kind":"PROD","note":"n"}]}}`, []string{"data.xs.nope"}, "not documented"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			problems := strings.Join(matchShape([]byte(doc), []byte(tc.answer), tc.mayBeNull), "\n")
			if tc.want == "" && problems != "" || tc.want != "" && !strings.Contains(problems, tc.want) {
				t.Errorf("matchShape(%s) = %q, want %q", tc.answer, problems, tc.want)
			}
		})
	}
}

// "Int" stands for an integer, and nothing else.
func TestMatchShapeInt(t *testing.T) {
	const doc = `{"data":{"n":"Int"}}`
	for answer, want := range map[string]string{
		`{"data":{"n":3}}`:   "",
		`{"data":{"n":"3"}}`: "is not an Int",
		`{"data":{"n":3.5}}`: "is not an Int",
	} {
		problems := strings.Join(matchShape([]byte(doc), []byte(answer), nil), "\n")
		if want == "" && problems != "" || want != "" && !strings.Contains(problems, want) {
			t.Errorf("matchShape(%s) = %q, want %q", answer, problems, want)
		}
	}
}
