// Package jsonobject splits a JSON object into its members and writes them
// back, keeping their order: the gateway passes vendor objects on as the
// vendor wrote them, adding or replacing a member here and there, and the
// simulator stores them so. encoding/json's maps would reorder them.
//
//	ms, err := jsonobject.Members([]byte(`{"b":1,"a":2}`))
//	ms = append(ms, jsonobject.Member{Key: "partial", Value: json.RawMessage("true")})
//	out := jsonobject.Encode(ms) // {"b":1,"a":2,"partial":true}
package jsonobject

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
)

// Member is one member of a JSON object, its value as raw JSON.
type Member struct {
	Key   string
	Value json.RawMessage
}

// ErrNotObject is returned by Members for text that is not one JSON object.
var ErrNotObject = errors.New("not a JSON object")

// errTrailing is returned by Members for an object followed by more than
// white space.
var errTrailing = errors.New("data after the JSON object")

// Members splits text, one JSON object and nothing after it but white
// space, into its members, in order.
func Members(text []byte) ([]Member, error) {
	dec := json.NewDecoder(bytes.NewReader(text))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, ErrNotObject
	}
	var out []Member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string) // a key is always a string
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, Member{Key: key, Value: v})
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, err
	}
	if len(bytes.TrimSpace(text[dec.InputOffset():])) > 0 {
		return nil, errTrailing
	}
	return out, nil
}

// Index returns the index of the first member named key, or -1.
func Index(ms []Member, key string) int {
	return slices.IndexFunc(ms, func(m Member) bool { return m.Key == key })
}

// Encode writes members as a compact JSON object, in order. A value that
// is not valid JSON is written as it is.
func Encode(ms []Member) json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range ms {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(m.Key) // a string always marshals
		b.Write(k)
		b.WriteByte(':')
		if json.Compact(&b, m.Value) != nil {
			b.Write(m.Value)
		}
	}
	b.WriteByte('}')
	return b.Bytes()
}
