//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cranePush pushes a new one-layer image as the user and returns the
// result; with SSL_CERT_FILE pointing at the bundle install wrote.
func (u *user) cranePush(tag string) result {
	u.t.Helper()
	bundle := filepath.Join(u.home, ".config", "docker-credential-idpbuilder", "ca-bundle.pem")
	layer := layerTar(u.t, u.t.TempDir(), tag+" "+randomHex(4))
	return u.with("SSL_CERT_FILE="+bundle).run("", "crane", "append", "-f", layer, "-t", theRig.registry+"/giteaadmin/scenarios:"+tag)
}

func (u *user) mustPush(tag string) {
	u.t.Helper()
	if res := u.cranePush(tag); res.code != 0 {
		u.t.Fatalf("crane push %s: %s%s", tag, res.stdout, res.stderr)
	}
}

// Scenario 2: the cluster is recreated with a new CA and a new password;
// the next push works with no user action.
func TestPushAfterTheClusterIsRecreated(t *testing.T) {
	r := theRig
	u := installed(t)
	u.mustPush("before-recreate")
	r.recreateCluster(t, r.canary+"-new-cluster")
	u.mustPush("after-recreate")
}

// Scenario 3: the password changes on the same cluster: push works after
// refresh, and with no action once the fresh window has passed.
func TestPushAfterAPasswordChange(t *testing.T) {
	r := theRig
	u := installed(t)
	u.mustPush("before-change")
	defer r.setPassword(t, r.canary)
	r.setPassword(t, r.canary+"-changed")
	if res := u.cranePush("stale-cache"); res.code == 0 {
		t.Fatal("push with the old cached password succeeded: the test would prove nothing")
	}
	u.must("", fullHelper(), "refresh")
	u.mustPush("after-refresh")
	r.setPassword(t, r.canary+"-changed-again")
	u.with("IDPBUILDER_HELPER_FRESH=0s").mustPush("after-fresh-window")
}

// Scenario 4: a registry in the docker config that is not ours (here Gitea
// by its IP address) gets anonymous access: no error, and no cluster call
// (the API server is stopped, so a call would fail the pull).
func TestUnknownRegistryIsAnonymous(t *testing.T) {
	r := theRig
	u := installed(t)
	u.mustPush("for-anonymous-pull")
	other := "127.0.0.1:" + r.port
	cfgPath := filepath.Join(u.dockerConfig, "config.json")
	cfg, _ := os.ReadFile(cfgPath)
	os.WriteFile(cfgPath, []byte(strings.Replace(string(cfg), `"credHelpers": {`, `"credHelpers": {"`+other+`": "idpbuilder",`, 1)), 0o600)

	if err := r.script("kube.sh", "down"); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := r.script("kube.sh", "up"); err != nil {
			t.Fatal(err)
		}
	}()
	res := u.helper(other, "get")
	if res.code != 1 || res.stdout != "credentials not found in native keychain\n" || res.stderr != "" {
		t.Fatalf("get for the unknown registry: %+v", res)
	}
	res = u.must("", "crane", "digest", "--insecure", other+"/giteaadmin/scenarios:for-anonymous-pull")
	if !digestRE.MatchString(res.stdout) || strings.Contains(res.stderr, "error") {
		t.Fatalf("anonymous pull: %+v", res)
	}
}

// Scenario 6: docker login and logout against our host go through store
// and erase: the password lands in the keyring, never in config.json, and
// after logout the cluster's credentials are used again.
func TestDockerLoginAndLogout(t *testing.T) {
	r := theRig
	u := installed(t)
	// A credential other than the cluster's (the admin's access token): the
	// cluster's own is not kept at all (TestDockerLoginFollowsTheCluster).
	token, err := os.ReadFile(r.env["GITEA_TOKEN_FILE"])
	if err != nil {
		t.Fatal(err)
	}
	res := u.must(strings.TrimSpace(string(token))+"\n", "docker", "login", "-u", "giteaAdmin", "--password-stdin", r.registry)
	if !strings.Contains(res.stdout, "Login Succeeded") {
		t.Fatalf("docker login: %+v", res)
	}
	cfg, _ := os.ReadFile(filepath.Join(u.dockerConfig, "config.json"))
	if strings.Contains(string(cfg), strings.TrimSpace(string(token))) || strings.Contains(string(cfg), `"auth"`) {
		t.Fatalf("docker login wrote the password to config.json: %s", cfg)
	}
	st, _ := u.status()
	if !strings.Contains(statusDetail(st, "cache"), "docker login") {
		t.Fatalf("status does not show the stored override: %+v", st)
	}
	u.mustPush("after-login")
	u.must("", "docker", "logout", r.registry)
	st, _ = u.status()
	if strings.Contains(statusDetail(st, "cache"), "docker login") {
		t.Fatal("the override survived docker logout")
	}
	u.mustPush("after-logout")
	// A wrong password given to docker login is refused by the registry
	// before anything is stored.
	res = u.run("wrong-password\n", "docker", "login", "-u", "giteaAdmin", "--password-stdin", r.registry)
	if res.code == 0 {
		t.Fatal("docker login with a wrong password succeeded")
	}
	u.mustPush("after-failed-login")
}

func statusDetail(st statusJSON, check string) string {
	for _, reg := range st.Registries {
		for _, c := range reg.Checks {
			if c.Name == check {
				return c.Detail
			}
		}
	}
	return ""
}

// Scenario 7: no Secret Service at all (no D-Bus): pushes still work,
// answered from the kernel keyring's hot tier inside the fresh window and
// from the cluster past it.
func TestPushWithNoKeyring(t *testing.T) {
	u := installed(t).with("DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/bus")
	u.mustPush("no-keyring-1")
	u.mustPush("no-keyring-2")
	res := u.helper(theRig.registry, "get")
	if res.code != 0 || res.stderr != "" {
		t.Fatalf("get with no keyring: %+v", res)
	}
	debug := u.with("IDPBUILDER_HELPER_DEBUG=1", "IDPBUILDER_HELPER_FRESH=0s").helper(theRig.registry, "get")
	if strings.Count(debug.stderr, "keyring off") != 1 || strings.Contains(debug.stderr, theRig.canary) {
		t.Fatalf("debug log should say once that the keyring is off, without the password:\n%s", debug.stderr)
	}
}

// Scenario 5 with a real push: cluster stopped, cache warm: push works.
func TestPushWithTheClusterStopped(t *testing.T) {
	r := theRig
	u := installed(t)
	if err := r.script("kube.sh", "down"); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := r.script("kube.sh", "up"); err != nil {
			t.Fatal(err)
		}
	}()
	u.with("IDPBUILDER_HELPER_FRESH=0s").mustPush("cluster-stopped")
	u.must(r.registry, fullHelper(), "erase")
	res := u.cranePush("cluster-stopped-no-cache")
	if res.code == 0 || !strings.Contains(res.stderr, "is the idpbuilder cluster running?") {
		t.Fatalf("push with the cluster stopped and no cache: %+v", res)
	}
}
