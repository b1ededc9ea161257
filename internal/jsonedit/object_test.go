package jsonedit

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseRejects(t *testing.T) {
	for _, in := range []string{``, `[]`, `{"a":1}x`, `{"a":}`, `{`, `null`, `"s"`, `{"credHelpers":1} {}`} {
		if _, err := Parse([]byte(in)); err == nil {
			t.Errorf("Parse(%q) succeeded", in)
		}
	}
}

func TestEditFile(t *testing.T) {
	dir := t.TempDir()
	edit := func(o *Object) ([]string, error) { return setHelper(o) }

	// Missing file: created 0600 when asked, left absent otherwise.
	path := filepath.Join(dir, "new", "config.json")
	if changes, err := EditFile(path, false, false, edit); err != nil || changes != nil {
		t.Fatalf("create=false: %v %v", changes, err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatal("file created with create=false")
	}
	if _, err := EditFile(path, true, false, edit); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("new config mode %v", fi.Mode().Perm())
	}

	// Dry run writes nothing.
	dry := filepath.Join(dir, "dry.json")
	os.WriteFile(dry, []byte(`{"x":1}`), 0o644)
	if changes, err := EditFile(dry, true, true, edit); err != nil || len(changes) != 1 {
		t.Fatalf("dry run: %v %v", changes, err)
	}
	if data, _ := os.ReadFile(dry); string(data) != `{"x":1}` {
		t.Fatalf("dry run wrote %q", data)
	}

	// A corrupt file is left untouched and reported.
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"auths": {`), 0o600)
	if _, err := EditFile(bad, true, false, edit); err == nil || !strings.Contains(err.Error(), "left untouched") {
		t.Fatalf("corrupt file: %v", err)
	}
	if data, _ := os.ReadFile(bad); string(data) != `{"auths": {` {
		t.Fatalf("corrupt file changed: %q", data)
	}

	// A symlinked config is edited through the link; the mode is kept.
	target := filepath.Join(dir, "dotfiles", "docker.json")
	os.MkdirAll(filepath.Dir(target), 0o700)
	os.WriteFile(target, []byte(`{"auths":{}}`), 0o640)
	link := filepath.Join(dir, "link.json")
	os.Symlink(target, link)
	if _, err := EditFile(link, true, false, edit); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Lstat(link)
	data, _ := os.ReadFile(target)
	tfi, _ := os.Stat(target)
	if fi.Mode()&os.ModeSymlink == 0 || !strings.Contains(string(data), `"h:1": "idpbuilder"`) || tfi.Mode().Perm() != 0o640 {
		t.Fatalf("symlink: link mode %v, target %q mode %v", fi.Mode(), data, tfi.Mode().Perm())
	}
}

func TestEditFileRedoesAfterAConcurrentWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.json")
	os.WriteFile(path, []byte(`{"auths":{}}`), 0o600)
	calls := 0
	_, err := EditFile(path, true, false, func(o *Object) ([]string, error) {
		calls++
		if calls == 1 {
			// docker login writes its own entry while we edit.
			os.WriteFile(path, []byte(`{"auths":{"other.io":{"auth":"eA=="}}}`), 0o600)
		}
		return setHelper(o)
	})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if calls != 2 || !strings.Contains(string(data), "other.io") || !strings.Contains(string(data), "h:1") {
		t.Fatalf("calls %d, file %s: the concurrent entry or ours was lost", calls, data)
	}
}

func TestDetectLayout(t *testing.T) {
	tests := []struct {
		in      string
		indent  string
		newline bool
	}{
		{"{\n\t\"a\": 1\n}", "\t", false},
		{"{\n  \"a\": 1\n}\n", "  ", true},
		{"{\"a\":1}", "\t", false},
	}
	for _, tt := range tests {
		if l := DetectLayout([]byte(tt.in)); l.Indent != tt.indent || l.TrailingNewline != tt.newline {
			t.Errorf("DetectLayout(%q) = %+v", tt.in, l)
		}
	}
}

// setHelper is an edit like install's: credHelpers["h:1"] = "idpbuilder".
func setHelper(o *Object) ([]string, error) {
	helpers, _, err := o.SubObject("credHelpers")
	if err != nil {
		return nil, err
	}
	if v, ok := helpers.Get("h:1"); ok && string(v) == `"idpbuilder"` {
		return nil, nil
	}
	helpers.Set("h:1", json.RawMessage(`"idpbuilder"`))
	o.Set("credHelpers", helpers.Compact())
	return []string{`credHelpers["h:1"] = "idpbuilder"`}, nil
}

func TestParseKeepsFileOrder(t *testing.T) {
	o, err := Parse([]byte(`{"b":1,"a":2}`))
	if err != nil {
		t.Fatal(err)
	}
	keys := o.Keys()
	if strings.Join(keys, ",") != "b,a" {
		t.Fatalf("keys %q, want file order b,a", keys)
	}
	keys[0] = "x"
	if o.Keys()[0] != "b" {
		t.Fatal("Keys returned the object's own slice")
	}
	// A key added to an unsorted object goes at the end; one edited stays.
	o.Set("c", json.RawMessage(`3`))
	o.Set("b", json.RawMessage(`4`))
	if got := string(o.Compact()); got != `{"b":4,"a":2,"c":3}` {
		t.Fatalf("rendered %s", got)
	}
}

// A key comes back spelled as the file spelled it; a new one is written the
// way docker writes keys, without HTML escaping.
func TestKeysKeepTheirSpelling(t *testing.T) {
	o, err := Parse([]byte(`{"a\u0026b": 1, "c&d": 2}`))
	if err != nil {
		t.Fatal(err)
	}
	o.Set("e<f", json.RawMessage(`3`))
	if got := string(o.Compact()); got != `{"a\u0026b":1,"c&d":2,"e<f":3}` {
		t.Fatalf("rendered %s", got)
	}
	if _, ok := o.Get("a&b"); !ok {
		t.Fatal(`the key "a\u0026b" is not found as a&b`)
	}
}
