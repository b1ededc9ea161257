//go:build e2e

package e2e

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 10, item 3: where the kubeconfig comes from must not depend on the
// folder a client runs in.

// inDir is the user running commands from dir instead of their HOME.
func (u *user) inDir(dir string) *user {
	c := *u
	c.home = dir // user.run runs commands in u.home; HOME stays as it was
	return &c
}

// rigKubeconfig writes a kubeconfig for context kind-localdev on the rig's
// API server with the given users section (its user must be named u).
func rigKubeconfig(t *testing.T, path, users string) string {
	t.Helper()
	ca, err := os.ReadFile(theRig.env["KUBE_CA_FILE"])
	if err != nil {
		t.Fatal(err)
	}
	kc := "apiVersion: v1\nkind: Config\nclusters:\n- name: kind-localdev\n  cluster:\n    server: " + theRig.env["KUBE_API_URL"] +
		"\n    certificate-authority-data: " + base64.StdEncoding.EncodeToString(ca) + "\n" +
		"contexts:\n- name: kind-localdev\n  context: {cluster: kind-localdev, user: u}\ncurrent-context: kind-localdev\n" + users
	if err := os.WriteFile(path, []byte(kc), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// execUser is a users section whose token comes from the shell script body.
func execUser(t *testing.T, dir, body string) string {
	t.Helper()
	plugin := filepath.Join(dir, "kube-login")
	if err := os.WriteFile(plugin, []byte("#!/bin/sh\n"+body), 0o700); err != nil {
		t.Fatal(err)
	}
	return "users:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: " + plugin +
		"\n      interactiveMode: Never\n"
}

func gitGet(u *user, host string) result {
	u.t.Helper()
	return u.run("protocol=https\nhost="+host+"\n\n", fullHelper(), "git", "get")
}

// TestHabitsRelativeKubeconfig: `refresh --kubeconfig kubeconfig` in one
// folder records an absolute path, so a get run from a folder holding
// another file named kubeconfig (a cloned repository, say) still reads the
// recorded cluster and never runs that file's exec plugin. A table holding
// a relative path is refused in one line that says how to fix it.
func TestHabitsRelativeKubeconfig(t *testing.T) {
	r := theRig
	good := kubeconfigCopy(t, "", "", "")
	project := filepath.Dir(good) // holds the right file, named kubeconfig

	// The decoy: a working kubeconfig for the same API server, whose exec
	// plugin leaves a marker; no get may run it.
	decoyDir := t.TempDir()
	marker := filepath.Join(t.TempDir(), "decoy-plugin-ran")
	rigKubeconfig(t, filepath.Join(decoyDir, "kubeconfig"), execUser(t, decoyDir,
		"touch "+marker+"\necho '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\""+rigToken(t)+"\"}}'\n"))
	decoyRan := func(when string) {
		t.Helper()
		if _, err := os.Stat(marker); err == nil {
			t.Fatalf("%s: the exec plugin of %s/kubeconfig ran", when, decoyDir)
		}
	}

	u := r.newUser(t, "IDPBUILDER_HELPER_NO_CACHE=1")
	res := u.inDir(project).helper("", "refresh", "--registry", r.registry, "--kubeconfig", "kubeconfig")
	if res.code != 0 || !strings.Contains(res.stdout, "recorded "+r.registry) || strings.Contains(res.stdout+res.stderr, r.canary) {
		t.Fatalf("refresh --kubeconfig kubeconfig: %+v", res)
	}
	var table struct {
		Registries map[string]struct{ Kubeconfig string }
	}
	data, err := os.ReadFile(u.config)
	if err == nil {
		err = json.Unmarshal(data, &table)
	}
	if err != nil || table.Registries[r.registry].Kubeconfig != good {
		t.Fatalf("recorded %s (%v), want the absolute %s", data, err, good)
	}

	inDecoy := u.inDir(decoyDir)
	if a := inDecoy.get(r.registry); a.Secret != r.canary {
		t.Fatalf("get from the decoy's folder = %+v", a)
	}
	decoyRan("docker get")
	if res := gitGet(inDecoy, r.registry); res.code != 0 || !strings.Contains(res.stdout, "password="+r.canary+"\n") {
		t.Fatalf("git get from the decoy's folder: exit %d, stderr %q", res.code, res.stderr)
	}
	decoyRan("git get")
	if res := inDecoy.helper("", "refresh"); res.code != 0 {
		t.Fatalf("refresh from the decoy's folder: %+v", res)
	}
	decoyRan("refresh")

	// A table written with a relative path (by hand, or by an older
	// version) is refused, not read from the current folder.
	if err := os.WriteFile(u.config, []byte(`{"registries":{"`+r.registry+`":{"context":"kind-localdev","kubeconfig":"kubeconfig"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	res = inDecoy.helper(r.registry, "get")
	fix := "docker-credential-idpbuilder refresh --registry " + r.registry + " --kubeconfig /absolute/path"
	if res.code != 1 || strings.Count(res.stdout, "\n") != 1 || !strings.Contains(res.stdout, fix) || !strings.Contains(res.stdout, `"kubeconfig"`) {
		t.Fatalf("get with a relative path in the table: %+v", res)
	}
	decoyRan("get with a relative table entry")
	t.Logf("refused: %s", strings.TrimSpace(res.stdout))
	// The fix it names works, from any folder.
	if res := inDecoy.helper("", "refresh", "--registry", r.registry, "--kubeconfig", good); res.code != 0 {
		t.Fatalf("the repair: %+v", res)
	}
	if a := inDecoy.get(r.registry); a.Secret != r.canary {
		t.Fatalf("get after the repair = %+v", a)
	}
	decoyRan("get after the repair")
}
