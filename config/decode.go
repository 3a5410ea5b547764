package config

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// decodeConfig decodes a YAML node into v (a pointer to a struct) as the
// yaml package would with KnownFields, but names the key path of what is
// wrong ("graphql.maxDepth: want an integer, got \"deep\"") instead of a
// line of a document the user never wrote (the one after ${ENV}
// expansion). It goes on past a bad key to report every one. It decodes
// over what v holds: a key left out, or given no value, keeps it (Parse
// passes Default); a list replaces the whole list. A value that came from
// ${NAME} expansion (recorded in env) is never shown: its text as written
// is.
func decodeConfig(n *yaml.Node, v any, env *envValues) error {
	var msgs []string
	d := decoder{env: env, report: func(err error) { msgs = append(msgs, err.Error()) }}
	d.decodeValue(n, reflect.ValueOf(v).Elem(), "")
	if len(msgs) == 0 {
		return nil
	}
	return errors.New(strings.Join(msgs, "; "))
}

var durationType = reflect.TypeFor[time.Duration]()

// decoder is one decoding's state: where expanded values are, and where
// errors go.
type decoder struct {
	env    *envValues
	report func(error)
}

func (d decoder) decodeValue(n *yaml.Node, v reflect.Value, path string) {
	report := d.report
	for n.Kind == yaml.DocumentNode || n.Kind == yaml.AliasNode {
		if n.Kind == yaml.AliasNode {
			n = n.Alias
		} else if len(n.Content) > 0 {
			n = n.Content[0]
		} else {
			return
		}
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return // a key with no value keeps its default
	}
	key := path
	if key == "" {
		key = "the document"
	}
	switch v.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			report(fmt.Errorf("%s: want a mapping of keys, got %s", key, d.describeNode(n)))
			return
		}
		t := v.Type()
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			name := n.Content[i].Value
			if seen[name] {
				report(fmt.Errorf("%s: key given twice", joinKey(path, name)))
				continue
			}
			seen[name] = true
			f, ok := fieldByTag(t, name)
			if !ok {
				report(fmt.Errorf("%s: unknown key (known here: %s)", joinKey(path, name), strings.Join(tags(t), ", ")))
				continue
			}
			d.decodeValue(n.Content[i+1], v.FieldByIndex(f.Index), joinKey(path, name))
		}
		return
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			report(fmt.Errorf("%s: want a list, got %s", key, d.describeNode(n)))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, c := range n.Content {
			d.decodeValue(c, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
		return
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			report(fmt.Errorf("%s: want a mapping, got %s", key, d.describeNode(n)))
			return
		}
		m := reflect.MakeMap(v.Type())
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := reflect.New(v.Type().Key()).Elem()
			d.decodeValue(n.Content[i], k, path)
			e := reflect.New(v.Type().Elem()).Elem()
			d.decodeValue(n.Content[i+1], e, joinKey(path, n.Content[i].Value))
			m.SetMapIndex(k, e)
		}
		v.Set(m)
		return
	}
	if n.Kind != yaml.ScalarNode {
		report(fmt.Errorf("%s: want %s, got %s", key, describeType(v.Type()), d.describeNode(n)))
		return
	}
	if v.Type() == durationType {
		// yaml would take a bare number as nanoseconds: "timeout: 5" is
		// surely not 5ns. A duration needs its unit; only 0 goes without.
		dur, err := time.ParseDuration(n.Value)
		if err != nil {
			report(fmt.Errorf("%s: want %s, got %s", key, describeType(v.Type()), d.env.show(n)))
			return
		}
		v.SetInt(int64(dur))
		return
	}
	if err := n.Decode(v.Addr().Interface()); err != nil {
		report(fmt.Errorf("%s: want %s, got %s", key, describeType(v.Type()), d.env.show(n)))
	}
}

func joinKey(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func fieldByTag(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); tag == name && tag != "" && tag != "-" {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func tags(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		if tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); tag != "" && tag != "-" {
			out = append(out, tag)
		}
	}
	return out
}

func describeType(t reflect.Type) string {
	if t == durationType {
		return "a duration such as 30s or 1m30s"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	}
	return "a " + t.String()
}

func (d decoder) describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return d.env.show(n)
}
