package install

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
)

// object is a JSON object that keeps its keys in file order and its values
// as raw JSON, so editing one key leaves every other key and value, known or
// not, exactly as it was.
type object struct {
	keys   []string
	values map[string]json.RawMessage
}

func newObject() *object { return &object{values: map[string]json.RawMessage{}} }

// parseObject reads a JSON object; anything else (an array, trailing data,
// invalid JSON) is an error.
func parseObject(data []byte) (*object, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("not a JSON object")
	}
	o := newObject()
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, ok := tok.(string)
		if !ok {
			return nil, errors.New("not a JSON object")
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		o.set(key, raw)
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the JSON object")
	}
	return o, nil
}

func (o *object) get(key string) (json.RawMessage, bool) {
	v, ok := o.values[key]
	return v, ok
}

// set replaces a value in place, or adds the key: in sorted position when
// the keys are sorted (as docker writes maps), else at the end.
func (o *object) set(key string, value json.RawMessage) {
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

func (o *object) delete(key string) bool {
	if _, ok := o.values[key]; !ok {
		return false
	}
	delete(o.values, key)
	for i, k := range o.keys {
		if k == key {
			o.keys = append(o.keys[:i], o.keys[i+1:]...)
			break
		}
	}
	return true
}

func (o *object) len() int { return len(o.keys) }

// compact renders the object on one line.
func (o *object) compact() json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		if err := json.Compact(&b, o.values[k]); err != nil {
			b.Write(o.values[k]) // unreachable: values came from a decoder or Marshal
		}
	}
	b.WriteByte('}')
	return b.Bytes()
}

// render formats the object as encoding/json's MarshalIndent does with the
// given indent, so a file docker wrote comes back byte for byte.
func (o *object) render(indent string, trailingNewline bool) []byte {
	var b bytes.Buffer
	if err := json.Indent(&b, o.compact(), "", indent); err != nil {
		panic(fmt.Sprintf("install: indenting valid JSON: %v", err))
	}
	if trailingNewline {
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// subObject returns the object under key, a new one when absent; created
// reports that. A non-object value is an error: it is not ours to replace.
func (o *object) subObject(key string) (sub *object, created bool, err error) {
	raw, ok := o.get(key)
	if !ok || string(bytes.TrimSpace(raw)) == "null" {
		return newObject(), true, nil
	}
	sub, err = parseObject(raw)
	if err != nil {
		return nil, false, fmt.Errorf("%q is not a JSON object", key)
	}
	return sub, false, nil
}

// layout is how a file is formatted, so edits keep it.
type layout struct {
	indent          string
	trailingNewline bool
}

// detectLayout finds the indent of the first member line; docker's own
// files use a tab and no trailing newline.
func detectLayout(data []byte) layout {
	l := layout{indent: "\t", trailingNewline: bytes.HasSuffix(data, []byte("\n"))}
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		rest := data[i+1:]
		n := 0
		for n < len(rest) && (rest[n] == ' ' || rest[n] == '\t') {
			n++
		}
		if n > 0 {
			l.indent = string(rest[:n])
		}
	}
	return l
}
