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

// Issue 10, items 3 and 5: where the kubeconfig comes from must not depend
// on the folder a client runs in, and a kubeconfig that does not load, or an
// exec plugin that fails, must not put its secrets in any output.

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

// TestHabitsKubeconfigErrorsHoldNoSecret: kubeconfigs that do not load and
// exec plugins that fail, with a canary as token, password, client key and
// plugin output. Through the helper's get (docker's path), git get, with
// and without debug output, and through the real docker and git: the canary
// is in no output, and the error is one line that says where.
func TestHabitsKubeconfigErrorsHoldNoSecret(t *testing.T) {
	r := theRig
	canary := "kubecanary-" + randomHex(16)
	key := base64.StdEncoding.EncodeToString([]byte("-----BEGIN EC PRIVATE KEY-----\n" + canary + "\n-----END EC PRIVATE KEY-----\n"))
	dir := t.TempDir()
	twice := "users:\n- name: u\n  user:\n    token: " + canary + "\n" +
		"- name: u\n  user:\n    username: giteaAdmin\n    password: " + canary + "\n" +
		"- name: u\n  user:\n    client-certificate-data: " + key + "\n    client-key-data: " + key + "\n"
	// client-go validates the proxy URL of the cluster it uses: a refusal
	// on the companion's side, which prints the URL it refuses.
	proxy := rigKubeconfig(t, filepath.Join(dir, "proxy"), "users:\n- name: u\n  user:\n    token: "+canary+"\n")
	data, err := os.ReadFile(proxy)
	if err != nil {
		t.Fatal(err)
	}
	data = []byte(strings.Replace(string(data), "    server: ", "    proxy-url: http://u:"+canary+"@[::1\n    server: ", 1))
	if err := os.WriteFile(proxy, data, 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, kubeconfig string
		want             []string // in the one error line
	}{
		{"two users of one name", rigKubeconfig(t, filepath.Join(dir, "twice"), twice),
			[]string{filepath.Join(dir, "twice"), "user, context or extension name appears twice"}},
		{"a proxy URL client-go refuses", proxy, []string{proxy, "proxy-url"}},
		{"exec plugin fails printing the canary", rigKubeconfig(t, filepath.Join(dir, "fails"),
			execUser(t, t.TempDir(), "echo "+canary+"\necho "+canary+" >&2\nexit 7\n")),
			[]string{"kube-login", "exit status 7"}},
		{"exec plugin prints a malformed answer", rigKubeconfig(t, filepath.Join(dir, "malformed"),
			execUser(t, t.TempDir(), "echo '{\"kind\":\""+canary+"\"'\necho "+canary+" >&2\n")),
			[]string{"kube-login", "malformed"}},
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := r.newUser(t, "KUBECONFIG="+tc.kubeconfig, "IDPBUILDER_HELPER_NO_CACHE=1")
			recordRegistry(t, u)
			check := func(what string, res result, line string) {
				t.Helper()
				if strings.Contains(res.stdout+res.stderr, canary) {
					t.Fatalf("%s: the canary is in the output:\nstdout %q\nstderr %q", what, res.stdout, res.stderr)
				}
				if res.code == 0 || strings.Count(line, "\n") != 1 {
					t.Fatalf("%s: exit %d, want a failure in one line; stdout %q, stderr %q", what, res.code, res.stdout, res.stderr)
				}
				for _, w := range tc.want {
					if !strings.Contains(line, w) {
						t.Errorf("%s: error %q lacks %q", what, strings.TrimSpace(line), w)
					}
				}
			}
			res := u.helper(r.registry, "get")
			check("get", res, res.stdout)
			t.Logf("get: %s", strings.TrimSpace(res.stdout))
			debug := u.with("IDPBUILDER_HELPER_DEBUG=1")
			res = debug.helper(r.registry, "get")
			check("get, debug", res, res.stdout)
			res = gitGet(u, r.registry)
			check("git get", res, res.stderr)
			res = gitGet(debug, r.registry)
			check("git get, debug", res, lastLine(res.stderr))
			res = u.helper("", "refresh")
			check("refresh", res, res.stderr)
		})
	}

	// The real clients, on the first case.
	u := installed(t)
	bad := u.with("KUBECONFIG="+cases[0].kubeconfig, "IDPBUILDER_HELPER_NO_CACHE=1")
	// docker pull goes on anonymously when the helper fails, and says
	// nothing of it; crane prints the helper's answer.
	res := bad.run("", "docker", "pull", r.registry+"/giteaadmin/habits:none")
	if res.code == 0 || strings.Contains(res.stdout+res.stderr, canary) {
		t.Fatalf("docker pull: exit %d, the canary is in the output or it worked:\n%s%s", res.code, res.stdout, res.stderr)
	}
	res = bad.run("", "crane", "digest", r.registry+"/giteaadmin/habits:none")
	if res.code == 0 || strings.Contains(res.stdout+res.stderr, canary) || !strings.Contains(res.stderr, "appears twice") {
		t.Fatalf("crane digest: exit %d, the canary or the reason is wrong:\n%s%s", res.code, res.stdout, res.stderr)
	}
	t.Logf("crane: %s", strings.TrimSpace(res.stderr))
	git := bad.with("GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0")
	res = git.run("", "git", "ls-remote", "https://"+r.registry+"/giteaAdmin/habits.git")
	if res.code == 0 || strings.Contains(res.stdout+res.stderr, canary) || !strings.Contains(res.stderr, "appears twice") {
		t.Fatalf("git ls-remote: exit %d, the canary or the reason is wrong:\n%s%s", res.code, res.stdout, res.stderr)
	}
}

// lastLine is the last line of s, with its newline.
func lastLine(s string) string {
	lines := strings.SplitAfter(strings.TrimSuffix(s, "\n"), "\n")
	return strings.TrimSuffix(lines[len(lines)-1], "\n") + "\n"
}
