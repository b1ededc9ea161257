package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/config"
)

// TestRefreshRecordsAbsoluteKubeconfig: the path given to --kubeconfig is
// recorded absolute, and a table holding a relative one (written by an older
// version) is refused with the command that repairs it, which works.
func TestRefreshRecordsAbsoluteKubeconfig(t *testing.T) {
	work := t.TempDir()
	t.Chdir(work)
	cfgPath := filepath.Join(t.TempDir(), "config.json")
	env := map[string]string{config.EnvConfig: cfgPath, config.EnvNoCache: "1", "HOME": t.TempDir()}
	getenv := func(k string) string { return env[k] }
	const host = "gitea.example:8443"

	refresh := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"refresh"}, args...), strings.NewReader(""), &stdout, &stderr, getenv)
		return code, stdout.String(), stderr.String()
	}
	recorded := func() string {
		tbl, err := config.LoadForEdit(cfgPath)
		if err != nil {
			t.Fatal(err)
		}
		return tbl.Registries[host].Kubeconfig
	}

	// No cluster behind it: the read fails, the record stays.
	code, stdout, _ := refresh("--registry", host, "--kubeconfig", "kubeconfig")
	if want := filepath.Join(work, "kubeconfig"); recorded() != want || !strings.Contains(stdout, "recorded "+host) || code != exitError {
		t.Fatalf("refresh --kubeconfig kubeconfig: exit %d, stdout %q, recorded %q; want %q", code, stdout, recorded(), want)
	}

	// A relative path written by hand (or by an older version).
	if err := os.WriteFile(cfgPath, []byte(`{"registries":{"`+host+`":{"kubeconfig":"kubeconfig"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := refresh()
	if code != exitError || !strings.Contains(stderr, "refresh --registry "+host+" --kubeconfig /absolute/path") || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("refresh with a relative path in the table: exit %d, stderr %q", code, stderr)
	}
	abs := filepath.Join(t.TempDir(), "kubeconfig")
	code, stdout, stderr = refresh("--registry", host, "--kubeconfig", abs)
	if recorded() != abs || !strings.Contains(stdout, "recorded "+host) || strings.Contains(stderr, "relative") {
		t.Fatalf("the repair: exit %d, stdout %q, stderr %q, recorded %q", code, stdout, stderr, recorded())
	}
	if _, err := config.Load(cfgPath); err != nil {
		t.Fatalf("the repaired table does not load: %v", err)
	}
}

// TestRefreshRefusesWhatInstallRefuses (issue 21 item 5): `refresh
// --registry` once recorded hosts install refuses, and export then wrote
// them into the cluster's Secret. One validation (config.Normalize) now
// serves every command: nothing is recorded.
func TestRefreshRefusesWhatInstallRefuses(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "config.json")
	env := map[string]string{config.EnvConfig: cfgPath, config.EnvNoCache: "1", "HOME": t.TempDir()}
	for _, bad := range []string{"..", ".:5000", "h:0", "h:99999", "h:08443", "a..b", ".h"} {
		var stdout, stderr bytes.Buffer
		code := run([]string{"refresh", "--registry", bad, "--context", "kind-localdev"}, strings.NewReader(""), &stdout, &stderr, func(k string) string { return env[k] })
		if code != exitUsage || !strings.Contains(stderr.String(), "--registry") || strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("refresh --registry %q: exit %d, stderr %q; want a one-line usage error", bad, code, stderr.String())
		}
		if _, err := os.Stat(cfgPath); err == nil {
			t.Fatalf("refresh --registry %q wrote the table", bad)
		}
	}
}
