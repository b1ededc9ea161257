//go:build e2e

package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 11 (install holds six jobs), its two leftovers from the kubeconfig
// work: install and status run exec plugins through client-go without
// letting their output reach the terminal, and uninstall undoes a table
// that get refuses.

// TestInstallJobsExecPluginStaysQuiet: an exec plugin that fails printing
// a canary on stdout and stderr. install fails with one line on stderr that
// names the plugin; status reports the failure on stdout, stderr empty; the
// canary is in neither.
func TestInstallJobsExecPluginStaysQuiet(t *testing.T) {
	canary := "kubecanary-" + randomHex(16)
	dir := t.TempDir()
	kc := rigKubeconfig(t, filepath.Join(dir, "kubeconfig"), execUser(t, dir, "echo "+canary+"\necho "+canary+" >&2\nexit 7\n"))
	u := theRig.newUser(t, "KUBECONFIG="+kc, "IDPBUILDER_HELPER_NO_CACHE=1")
	noCanary := func(what string, res result) {
		t.Helper()
		if strings.Contains(res.stdout+res.stderr, canary) {
			t.Fatalf("%s: the plugin's output reached the terminal:\nstdout %q\nstderr %q", what, res.stdout, res.stderr)
		}
	}

	res := u.helper("", "install", "--trust-ca")
	noCanary("install", res)
	if res.code != 1 || strings.Count(res.stderr, "\n") != 1 || !strings.Contains(res.stderr, "kube-login") || !strings.Contains(res.stderr, "exit status 7") {
		t.Fatalf("install: exit %d, stderr %q: want one line naming the plugin and its exit status\nstdout:\n%s", res.code, res.stderr, res.stdout)
	}
	if _, err := os.Stat(filepath.Join(u.dockerConfig, "config.json")); !os.IsNotExist(err) {
		t.Fatalf("install wrote the docker config: %v", err)
	}

	recordRegistry(t, u)
	res = u.helper("", "status")
	noCanary("status", res)
	if res.code != 1 || res.stderr != "" || !strings.Contains(res.stdout, "exit status 7") {
		t.Fatalf("status: exit %d, stderr %q, stdout:\n%s", res.code, res.stderr, res.stdout)
	}
	res = u.helper("", "status", "--output", "json")
	noCanary("status --output json", res)
	var rep struct{ Registries []struct{ Usable bool } }
	if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil || len(rep.Registries) != 1 || rep.Registries[0].Usable {
		t.Fatalf("status --output json: %v\n%s", err, res.stdout)
	}
}

// TestInstallJobsUninstallUndoesARelativeKubeconfig: a table whose entry
// holds a relative kubeconfig path (written by an older version, or by
// hand) is refused by get, yet uninstall removes everything install did.
func TestInstallJobsUninstallUndoesARelativeKubeconfig(t *testing.T) {
	u := installed(t)
	data, err := os.ReadFile(u.config)
	if err != nil {
		t.Fatal(err)
	}
	var table map[string]any
	if err := json.Unmarshal(data, &table); err != nil {
		t.Fatal(err)
	}
	table["registries"].(map[string]any)[theRig.registry].(map[string]any)["kubeconfig"] = "kubeconfig"
	if data, err = json.Marshal(table); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(u.config, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if res := u.helper(theRig.registry, "get"); res.code == 0 {
		t.Fatalf("get answered from a table with a relative kubeconfig; this test needs one it refuses:\n%s", res.stdout)
	}

	res := u.helper("", "uninstall")
	if res.code != 0 || !strings.Contains(res.stdout, "done: nothing of docker-credential-idpbuilder is left configured") {
		t.Fatalf("uninstall: exit %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	if cfg, _ := os.ReadFile(filepath.Join(u.dockerConfig, "config.json")); strings.Contains(string(cfg), "idpbuilder") {
		t.Fatalf("the docker config still names the helper:\n%s", cfg)
	}
	if _, err := os.Stat(filepath.Dir(u.config)); !os.IsNotExist(err) {
		t.Fatalf("the helper's folder (table, CA files) is still there: %v", err)
	}
	if got := u.run("", "git", "config", "--global", "--get-regexp", "idpbuilder"); got.stdout != "" {
		t.Fatalf("git still names the helper: %q", got.stdout)
	}
}
