package gateway

import (
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
// expansion).
func decodeConfig(n *yaml.Node, v any) error {
	return decodeValue(n, reflect.ValueOf(v).Elem(), "")
}

var durationType = reflect.TypeFor[time.Duration]()

func decodeValue(n *yaml.Node, v reflect.Value, path string) error {
	for n.Kind == yaml.DocumentNode || n.Kind == yaml.AliasNode {
		if n.Kind == yaml.AliasNode {
			n = n.Alias
		} else if len(n.Content) > 0 {
			n = n.Content[0]
		} else {
			return nil
		}
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return nil // a key with no value keeps its default
	}
	key := path
	if key == "" {
		key = "the document"
	}
	switch v.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return fmt.Errorf("%s: want a mapping of keys, got %s", key, describeNode(n))
		}
		t := v.Type()
		for i := 0; i+1 < len(n.Content); i += 2 {
			name := n.Content[i].Value
			f, ok := fieldByTag(t, name)
			if !ok {
				return fmt.Errorf("%s: unknown key (known here: %s)", joinKey(path, name), strings.Join(tags(t), ", "))
			}
			if err := decodeValue(n.Content[i+1], v.FieldByIndex(f.Index), joinKey(path, name)); err != nil {
				return err
			}
		}
		return nil
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		if err := decodeValue(n, p.Elem(), path); err != nil {
			return err
		}
		v.Set(p)
		return nil
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return fmt.Errorf("%s: want a list, got %s", key, describeNode(n))
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, c := range n.Content {
			if err := decodeValue(c, s.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		v.Set(s)
		return nil
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return fmt.Errorf("%s: want a mapping, got %s", key, describeNode(n))
		}
		m := reflect.MakeMap(v.Type())
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := reflect.New(v.Type().Key()).Elem()
			if err := decodeValue(n.Content[i], k, path); err != nil {
				return err
			}
			e := reflect.New(v.Type().Elem()).Elem()
			if err := decodeValue(n.Content[i+1], e, joinKey(path, n.Content[i].Value)); err != nil {
				return err
			}
			m.SetMapIndex(k, e)
		}
		v.Set(m)
		return nil
	}
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("%s: want %s, got %s", key, describeType(v.Type()), describeNode(n))
	}
	if v.Type() == durationType {
		// yaml would take a bare number as nanoseconds: "timeout: 5" is
		// surely not 5ns. A duration needs its unit; only 0 goes without.
		d, err := time.ParseDuration(n.Value)
		if err != nil {
			return fmt.Errorf("%s: want %s, got %q", key, describeType(v.Type()), n.Value)
		}
		v.SetInt(int64(d))
		return nil
	}
	if err := n.Decode(v.Addr().Interface()); err != nil {
		return fmt.Errorf("%s: want %s, got %q", key, describeType(v.Type()), n.Value)
	}
	return nil
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

func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return fmt.Sprintf("%q", n.Value)
}
