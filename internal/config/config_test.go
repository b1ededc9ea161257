package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
)

func TestLoadMissingGivesDefault(t *testing.T) {
	tbl, err := Load(filepath.Join(t.TempDir(), "nope.json"))
	if err != nil || tbl.FromFile {
		t.Fatalf("Load = %+v, %v", tbl, err)
	}
	host, reg, ok := tbl.Lookup("https://Gitea.cnoe.localtest.me:8443/v2/")
	if !ok || host != idpbuilder.DefaultRegistry || reg.Namespace != "gitea" || reg.Secret != "gitea-credential" || reg.Context != "" {
		t.Fatalf("Lookup = %q %+v %v", host, reg, ok)
	}
	if _, _, ok := tbl.Lookup("gitea.cnoe.localtest.me"); ok {
		t.Fatal("host without port matched host:8443")
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "config.json")
	_, changed, err := Update(path, false, func(tbl *Table) (bool, error) {
		if tbl.FromFile {
			t.Error("a missing file is not the built-in table")
		}
		tbl.Registries["gitea.example.com:443"] = Registry{Context: "kind-x", Namespace: "ns", Secret: "s", Kubeconfig: "/k"}
		return true, nil
	})
	if err != nil || !changed {
		t.Fatal(changed, err)
	}
	for p, want := range map[string]os.FileMode{path: 0o600, filepath.Dir(path): 0o700} {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm() != want {
			t.Fatalf("%s mode = %v, %v; want %v", p, fi.Mode().Perm(), err, want)
		}
	}
	got, err := Load(path)
	if err != nil || !got.FromFile || len(got.Registries) != 2 || got.Registries["gitea.example.com:443"].Context != "kind-x" {
		t.Fatalf("Load = %+v, %v", got, err)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"garbage":  "{not json",
		"bad host": `{"registries":{"ftp://x":{}}}`,
	} {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
		os.WriteFile(p, []byte(content), 0o600)
		if _, err := Load(p); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: Load error = %v, want one naming the file", name, err)
		}
	}
}

func TestSettingsFromEnv(t *testing.T) {
	env := map[string]string{EnvTimeout: "2s", EnvFresh: "1m", EnvDebug: "1", EnvNoCache: "true"}
	s, err := SettingsFromEnv(func(k string) string { return env[k] })
	if err != nil || s.Timeout != 2*time.Second || s.Fresh != time.Minute || !s.Debug || !s.NoCache || s.MaxStale != 24*time.Hour {
		t.Fatalf("SettingsFromEnv = %+v, %v", s, err)
	}
	for _, bad := range []string{"5", "soon", "-1s"} {
		env := map[string]string{EnvTimeout: bad}
		if _, err := SettingsFromEnv(func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), EnvTimeout) {
			t.Errorf("%s=%q: error = %v", EnvTimeout, bad, err)
		}
	}
}

func TestDefaultPath(t *testing.T) {
	env := map[string]string{"XDG_CONFIG_HOME": "/xdg"}
	if p, _ := DefaultPath(func(k string) string { return env[k] }); p != "/xdg/docker-credential-idpbuilder/config.json" {
		t.Fatalf("DefaultPath = %q", p)
	}
	env[EnvConfig] = "/explicit.json"
	if p, _ := DefaultPath(func(k string) string { return env[k] }); p != "/explicit.json" {
		t.Fatalf("DefaultPath = %q", p)
	}
}
