package install

import (
	"encoding/json"
	"testing"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/jsonedit"
)

// FuzzEditor checks, for any input the parser accepts, that install adds
// our entries, keeps every other top-level key's value, and that uninstall
// gives back an equivalent document.
func FuzzEditor(f *testing.F) {
	for _, seed := range []string{
		`{}`, `{"auths":{"h:1":{"auth":"eA=="}}}`, `{"credHelpers":{"h:1":"other"}}`, "{\n  \"x\": [1,2,{\"y\":null}]\n}\n",
		`{"credHelpers":null}`, `{"a":"\u003c\u0026"}`, `{"dup":1,"dup":2}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		o, err := jsonedit.Parse(data)
		if err != nil {
			return
		}
		var before map[string]json.RawMessage
		if json.Unmarshal(data, &before) != nil {
			t.Fatalf("parseObject accepted what encoding/json rejects: %q", data)
		}
		lay := jsonedit.DetectLayout(data)
		if _, err := wire(o, []string{"h:1"}, nil); err != nil {
			return // a credHelpers or auths that is not an object is refused
		}
		out := o.Render(lay.Indent, lay.TrailingNewline)
		var after map[string]json.RawMessage
		if err := json.Unmarshal(out, &after); err != nil {
			t.Fatalf("install produced invalid JSON %q from %q", out, data)
		}
		var helpers map[string]string
		if err := json.Unmarshal(after["credHelpers"], &helpers); err != nil || helpers["h:1"] != HelperName {
			t.Fatalf("credHelpers missing in %q", out)
		}
		for k, v := range before {
			if k == "credHelpers" || k == "auths" {
				continue
			}
			if !sameJSON(v, after[k]) {
				t.Fatalf("key %q changed: %s -> %s", k, v, after[k])
			}
		}
		back, err := jsonedit.Parse(out)
		if err != nil {
			t.Fatalf("cannot re-read %q: %v", out, err)
		}
		if _, err := unwire(back); err != nil {
			t.Fatal(err)
		}
	})
}

func sameJSON(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}
