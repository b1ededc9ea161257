package install

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
)

// dockerWritten renders v as the docker CLI saves its config.
func dockerWritten(t *testing.T, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// realWorldConfigs are docker configs as they are found on machines.
func realWorldConfigs(t *testing.T) map[string]string {
	return map[string]string{
		"empty":      `{}`,
		"credsStore": dockerWritten(t, map[string]any{"auths": map[string]any{"https://index.docker.io/v1/": map[string]any{}}, "credsStore": "desktop"}),
		"auths and helpers": dockerWritten(t, map[string]any{
			"auths":       map[string]any{"ghcr.io": map[string]any{"auth": "dXNlcjpwYXNz"}, "quay.io": map[string]any{}},
			"credHelpers": map[string]any{"gcr.io": "gcloud", "public.ecr.aws": "ecr-login"},
		}),
		"proxies plugins unknown": dockerWritten(t, map[string]any{
			"proxies":             map[string]any{"default": map[string]any{"httpProxy": "http://proxy:3128", "noProxy": "localhost,<local>&more"}},
			"plugins":             map[string]any{"buildx": map[string]any{"x": "y"}},
			"cliPluginsExtraDirs": []string{"/opt/plugins"},
			"aFutureKey":          map[string]any{"nested": []any{1.5e300, true, nil, "\u00e9"}},
			"detachKeys":          "ctrl-e,e",
		}),
		"spaces and newline": "{\n  \"auths\": {\n    \"ghcr.io\": {}\n  },\n  \"psFormat\": \"table {{.ID}}\"\n}\n",
	}
}

func TestInstallThenUninstallIsByteForByte(t *testing.T) {
	hosts := []string{"gitea.cnoe.localtest.me:8443", "gitea.other.example:8443"}
	for name, original := range realWorldConfigs(t) {
		t.Run(name, func(t *testing.T) {
			o, err := parseObject([]byte(original))
			if err != nil {
				t.Fatal(err)
			}
			lay := detectLayout([]byte(original))
			changes, err := wire(o, hosts, nil)
			if err != nil || len(changes) != 2 {
				t.Fatalf("wire: %v, %v", changes, err)
			}
			installed := o.render(lay.indent, lay.trailingNewline)
			var parsed struct{ CredHelpers map[string]string }
			if err := json.Unmarshal(installed, &parsed); err != nil || parsed.CredHelpers[hosts[0]] != "idpbuilder" || parsed.CredHelpers[hosts[1]] != "idpbuilder" {
				t.Fatalf("installed config %s: %v", installed, err)
			}
			// Every original key and value is still there.
			var before, after map[string]any
			json.Unmarshal([]byte(original), &before)
			json.Unmarshal(installed, &after)
			for k, v := range before {
				if k == "credHelpers" {
					continue
				}
				if !jsonEqual(v, after[k]) {
					t.Errorf("key %s changed: %v -> %v", k, v, after[k])
				}
			}
			// A second install changes nothing.
			o2, _ := parseObject(installed)
			if changes, _ := wire(o2, hosts, nil); len(changes) != 0 {
				t.Fatalf("second wire changed %v", changes)
			}
			o3, _ := parseObject(installed)
			if changes, err := unwire(o3); err != nil || len(changes) != 2 {
				t.Fatalf("unwire: %v, %v", changes, err)
			}
			if got := string(o3.render(lay.indent, lay.trailingNewline)); got != original {
				t.Fatalf("uninstall did not restore the file:\n got %q\nwant %q", got, original)
			}
		})
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestWireRemovesOnlyTheClustersPlainTextAuth(t *testing.T) {
	const gitea, other = "gitea.cnoe.localtest.me:8443", "gitea.other.example:8443"
	// giteaAdmin:pw is the cluster's; giteaAdmin:old (an earlier cluster's
	// password, or anyone's) and an identity token are not.
	o, _ := parseObject([]byte(`{"auths":{"` + gitea + `":{"auth":"Z2l0ZWFBZG1pbjpwdw=="},"` + other + `":{"auth":"Z2l0ZWFBZG1pbjpvbGQ="},` +
		`"quay.io":{},"ghcr.io":{"auth":"x"},"gitea.third.example:8443":{"auth":"Z2l0ZWFBZG1pbjpwdw==","identitytoken":"t"}}}`))
	creds := idpbuilder.Credentials{Username: "giteaAdmin", Password: "pw"}
	hosts := []string{gitea, other, "quay.io", "gitea.third.example:8443"}
	changes, err := wire(o, hosts, map[string]idpbuilder.Credentials{gitea: creds, other: creds, "gitea.third.example:8443": creds})
	if err != nil {
		t.Fatal(err)
	}
	out := string(o.render("\t", false))
	for _, kept := range []string{"Z2l0ZWFBZG1pbjpvbGQ=", `"ghcr.io"`, `"quay.io": {}`, `"identitytoken": "t"`} {
		if !strings.Contains(out, kept) {
			t.Errorf("wire lost %s: %s", kept, out)
		}
	}
	if strings.Contains(out, `"`+gitea+`": {`) {
		t.Errorf("the cluster's stored password is still there: %s", out)
	}
	if len(changes) != 5 || !strings.Contains(changes[4], "removed the stored password auths["+gitea+"]") {
		t.Fatalf("changes = %q", changes)
	}
}

func TestUnwireKeepsOtherHelpers(t *testing.T) {
	o, _ := parseObject([]byte(`{"credHelpers":{"a:1":"idpbuilder","gcr.io":"gcloud","b:2":"idpbuilder"}}`))
	if _, err := unwire(o); err != nil {
		t.Fatal(err)
	}
	if got := string(o.compact()); got != `{"credHelpers":{"gcr.io":"gcloud"}}` {
		t.Fatalf("after unwire: %s", got)
	}
}

func TestParseObjectRejects(t *testing.T) {
	for _, in := range []string{``, `[]`, `{"a":1}x`, `{"a":}`, `{`, `null`, `"s"`, `{"credHelpers":1} {}`} {
		if _, err := parseObject([]byte(in)); err == nil {
			t.Errorf("parseObject(%q) succeeded", in)
		}
	}
}

func TestWireRejectsNonObjectCredHelpers(t *testing.T) {
	o, _ := parseObject([]byte(`{"credHelpers":["x"]}`))
	if _, err := wire(o, []string{"h:1"}, nil); err == nil {
		t.Fatal("wire accepted a credHelpers array")
	}
}

func TestEditJSONFile(t *testing.T) {
	dir := t.TempDir()
	edit := func(o *object) ([]string, error) { return wire(o, []string{"h:1"}, nil) }

	// Missing file: created 0600 when asked, left absent otherwise.
	path := filepath.Join(dir, "new", "config.json")
	if changes, err := editJSONFile(path, false, false, edit); err != nil || changes != nil {
		t.Fatalf("create=false: %v %v", changes, err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatal("file created with create=false")
	}
	if _, err := editJSONFile(path, true, false, edit); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("new config mode %v", fi.Mode().Perm())
	}

	// Dry run writes nothing.
	dry := filepath.Join(dir, "dry.json")
	os.WriteFile(dry, []byte(`{"x":1}`), 0o644)
	if changes, err := editJSONFile(dry, true, true, edit); err != nil || len(changes) != 1 {
		t.Fatalf("dry run: %v %v", changes, err)
	}
	if data, _ := os.ReadFile(dry); string(data) != `{"x":1}` {
		t.Fatalf("dry run wrote %q", data)
	}

	// A corrupt file is left untouched and reported.
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"auths": {`), 0o600)
	if _, err := editJSONFile(bad, true, false, edit); err == nil || !strings.Contains(err.Error(), "left untouched") {
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
	if _, err := editJSONFile(link, true, false, edit); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Lstat(link)
	data, _ := os.ReadFile(target)
	tfi, _ := os.Stat(target)
	if fi.Mode()&os.ModeSymlink == 0 || !strings.Contains(string(data), `"h:1": "idpbuilder"`) || tfi.Mode().Perm() != 0o640 {
		t.Fatalf("symlink: link mode %v, target %q mode %v", fi.Mode(), data, tfi.Mode().Perm())
	}
}

func TestEditJSONFileRedoesAfterAConcurrentWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.json")
	os.WriteFile(path, []byte(`{"auths":{}}`), 0o600)
	calls := 0
	_, err := editJSONFile(path, true, false, func(o *object) ([]string, error) {
		calls++
		if calls == 1 {
			// docker login writes its own entry while we edit.
			os.WriteFile(path, []byte(`{"auths":{"other.io":{"auth":"eA=="}}}`), 0o600)
		}
		return wire(o, []string{"h:1"}, nil)
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
		if l := detectLayout([]byte(tt.in)); l.indent != tt.indent || l.trailingNewline != tt.newline {
			t.Errorf("detectLayout(%q) = %+v", tt.in, l)
		}
	}
}
