// Package jsonedit edits JSON files that other programs own (docker's
// config.json, the containers auth.json): one key changes, every other key,
// value, order and indent stays, and the write is atomic and redone when
// the owner rewrote the file meanwhile.
package jsonedit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
)

// Object is a JSON object that keeps its keys in file order and its values
// as raw JSON, so editing one key leaves every other key and value, known or
// not, exactly as it was.
type Object struct {
	keys   []string
	values map[string]json.RawMessage
	// rawKeys holds each key as the file spelled it ("\u0026" or "&"), so
	// rendering gives back the same bytes.
	rawKeys map[string][]byte
}

// NewObject returns an empty object.
func NewObject() *Object {
	return &Object{values: map[string]json.RawMessage{}, rawKeys: map[string][]byte{}}
}

// Parse reads a JSON object; anything else (an array, trailing data,
// invalid JSON) is an error.
func Parse(data []byte) (*Object, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("not a JSON object")
	}
	o := NewObject()
	for dec.More() {
		before := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, ok := tok.(string)
		if !ok {
			return nil, errors.New("not a JSON object")
		}
		// Between the previous value and the key's end: white space, a
		// comma, the key as written.
		rawKey := bytes.TrimLeft(data[before:dec.InputOffset()], ", \t\r\n")
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		if _, dup := o.values[key]; !dup {
			o.keys = append(o.keys, key) // file order, whatever it is
		}
		o.values[key] = raw
		o.rawKeys[key] = rawKey
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the JSON object")
	}
	return o, nil
}

// Get returns the raw value of key.
func (o *Object) Get(key string) (json.RawMessage, bool) {
	v, ok := o.values[key]
	return v, ok
}

// Set replaces a value in place, or adds the key: in sorted position when
// the keys are sorted (as docker writes maps), else at the end.
func (o *Object) Set(key string, value json.RawMessage) {
	if _, ok := o.values[key]; !ok {
		i := len(o.keys)
		if sort.StringsAreSorted(o.keys) {
			i = sort.SearchStrings(o.keys, key)
		}
		o.keys = append(o.keys, "")
		copy(o.keys[i+1:], o.keys[i:])
		o.keys[i] = key
	}
	o.values[key] = value
}

// Delete removes key; it reports whether it was there.
func (o *Object) Delete(key string) bool {
	if _, ok := o.values[key]; !ok {
		return false
	}
	delete(o.values, key)
	delete(o.rawKeys, key)
	for i, k := range o.keys {
		if k == key {
			o.keys = append(o.keys[:i], o.keys[i+1:]...)
			break
		}
	}
	return true
}

// Len is the number of keys.
func (o *Object) Len() int { return len(o.keys) }

// Keys returns the keys in file order.
func (o *Object) Keys() []string { return slices.Clone(o.keys) }

// Compact renders the object on one line.
func (o *Object) Compact() json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(o.rawKey(k))
		b.WriteByte(':')
		if err := json.Compact(&b, o.values[k]); err != nil {
			b.Write(o.values[k]) // unreachable: values came from a decoder or Marshal
		}
	}
	b.WriteByte('}')
	return b.Bytes()
}

// Render formats the object as encoding/json's MarshalIndent does with the
// given indent, so a file docker wrote comes back byte for byte.
func (o *Object) Render(indent string, trailingNewline bool) []byte {
	var b bytes.Buffer
	if err := json.Indent(&b, o.Compact(), "", indent); err != nil {
		panic(fmt.Sprintf("jsonedit: indenting valid JSON: %v", err))
	}
	if trailingNewline {
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// SubObject returns the object under key, a new one when absent; created
// reports that. A non-object value is an error: it is not ours to replace.
func (o *Object) SubObject(key string) (sub *Object, created bool, err error) {
	raw, ok := o.Get(key)
	if !ok || string(bytes.TrimSpace(raw)) == "null" {
		return NewObject(), true, nil
	}
	sub, err = Parse(raw)
	if err != nil {
		return nil, false, fmt.Errorf("%q is not a JSON object", key)
	}
	return sub, false, nil
}

// Layout is how a file is formatted, so edits keep it.
type Layout struct {
	Indent          string
	TrailingNewline bool
}

// DetectLayout finds the indent of the first member line; docker's own
// files use a tab and no trailing newline.
func DetectLayout(data []byte) Layout {
	l := Layout{Indent: "\t", TrailingNewline: bytes.HasSuffix(data, []byte("\n"))}
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		rest := data[i+1:]
		n := 0
		for n < len(rest) && (rest[n] == ' ' || rest[n] == '\t') {
			n++
		}
		if n > 0 {
			l.Indent = string(rest[:n])
		}
	}
	return l
}

// rawKey is key as the file spelled it, or, for a key an edit added, as
// encoding/json writes it without HTML escaping (docker writes "&", not
// "\u0026").
func (o *Object) rawKey(key string) []byte {
	if raw, ok := o.rawKeys[key]; ok {
		return raw
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(key) // a string always encodes
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}
