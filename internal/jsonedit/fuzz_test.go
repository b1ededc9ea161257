package jsonedit

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzEditor checks, for any input Parse accepts, that encoding/json reads
// it the same way, that setting one key of a sub-object (as install sets
// credHelpers[host]) keeps every other top-level value, that what Render
// writes parses again and renders to the same bytes, and that deleting the
// key again (as uninstall does) gives back an equivalent document.
func FuzzEditor(f *testing.F) {
	for _, seed := range []string{
		`{}`, `{"auths":{"h:1":{"auth":"eA=="}}}`, `{"credHelpers":{"h:1":"other"}}`, "{\n  \"x\": [1,2,{\"y\":null}]\n}\n",
		`{"credHelpers":null}`, `{"a":"\u003c\u0026"}`, `{"dup":1,"dup":2}`, `{"credHelpers":{"a":"b"},"z":1}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		o, err := Parse(data)
		if err != nil {
			return
		}
		var before map[string]json.RawMessage
		if json.Unmarshal(data, &before) != nil {
			t.Fatalf("Parse accepted what encoding/json rejects: %q", data)
		}
		lay := DetectLayout(data)
		helpers, created, err := o.SubObject("credHelpers")
		if err != nil {
			return // a credHelpers that is not an object is refused
		}
		_, had := helpers.Get("h:1")
		helpers.Set("h:1", json.RawMessage(`"idpbuilder"`))
		o.Set("credHelpers", helpers.Compact())
		out := o.Render(lay.Indent, lay.TrailingNewline)

		var after map[string]json.RawMessage
		if err := json.Unmarshal(out, &after); err != nil {
			t.Fatalf("Render wrote invalid JSON %q from %q", out, data)
		}
		var set map[string]string
		if err := json.Unmarshal(after["credHelpers"], &set); err != nil || set["h:1"] != "idpbuilder" {
			t.Fatalf("credHelpers[h:1] missing in %q", out)
		}
		for k, v := range before {
			if k != "credHelpers" && !sameJSON(v, after[k]) {
				t.Fatalf("key %q changed: %s -> %s", k, v, after[k])
			}
		}

		back, err := Parse(out)
		if err != nil {
			t.Fatalf("cannot re-read %q: %v", out, err)
		}
		if again := back.Render(lay.Indent, lay.TrailingNewline); !bytes.Equal(again, out) {
			t.Fatalf("rendering a rendered document changed it:\n%q\n%q", out, again)
		}
		if had {
			return // the key was the user's: deleting it is not undoing the edit
		}
		helpers, _, err = back.SubObject("credHelpers")
		if err != nil || !helpers.Delete("h:1") {
			t.Fatalf("credHelpers[h:1] gone after a re-read of %q (%v)", out, err)
		}
		if created && helpers.Len() == 0 {
			back.Delete("credHelpers")
		} else {
			back.Set("credHelpers", helpers.Compact())
		}
		var undone map[string]json.RawMessage
		if err := json.Unmarshal(back.Render(lay.Indent, lay.TrailingNewline), &undone); err != nil {
			t.Fatal(err)
		}
		for k, v := range before {
			if _, ok := undone[k]; !ok && k == "credHelpers" && created {
				continue // a null credHelpers is dropped, as uninstall drops an empty one
			}
			if !sameJSON(v, undone[k]) {
				t.Fatalf("after undoing, key %q is %s, was %s", k, undone[k], v)
			}
		}
		if len(undone) > len(before) {
			t.Fatalf("undoing left keys that were not there: %v -> %v", before, undone)
		}
	})
}

// sameJSON compares values as written, whitespace aside: the editor passes
// every value through as it was, so even a number encoding/json cannot hold
// (1e400) or an escape it would spell otherwise must come back unchanged.
func sameJSON(a, b json.RawMessage) bool {
	var x, y bytes.Buffer
	return json.Compact(&x, a) == nil && json.Compact(&y, b) == nil && bytes.Equal(x.Bytes(), y.Bytes())
}
