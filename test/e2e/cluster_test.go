//go:build e2e

package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

type answer struct{ ServerURL, Username, Secret string }

func (u *user) get(addr string) answer {
	u.t.Helper()
	res := u.helper(addr, "get")
	if res.code != 0 || res.stderr != "" {
		u.t.Fatalf("get %s: exit %d, stdout %q, stderr %q", addr, res.code, res.stdout, res.stderr)
	}
	var a answer
	if err := json.Unmarshal([]byte(res.stdout), &a); err != nil {
		u.t.Fatalf("get printed %q: %v", res.stdout, err)
	}
	return a
}

// installed returns a user on whose machine install has run.
func installed(t *testing.T, extra ...string) *user {
	t.Helper()
	u := theRig.newUser(t, extra...)
	res := u.helper("", "install", "--trust-ca")
	if res.code != 0 {
		t.Fatalf("install: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	t.Cleanup(func() { u.helper("", "uninstall") })
	return u
}

func TestInstallDiscoversTheRegistryFromTheLocalbuild(t *testing.T) {
	r := theRig
	u := theRig.newUser(t)
	res := u.helper("", "install", "--trust-ca")
	defer u.helper("", "uninstall")
	if res.code != 0 {
		t.Fatalf("install: %+v", res)
	}
	for _, want := range []string{r.registry, "credHelpers[" + r.registry + "] = idpbuilder", "SSL_CERT_FILE="} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("install output lacks %q:\n%s", want, res.stdout)
		}
	}
	if strings.Contains(res.stdout+res.stderr, r.canary) {
		t.Fatal("install printed the password")
	}
	if a := u.get(r.registry); a.Username != "giteaAdmin" || a.Secret != r.canary {
		t.Fatalf("get after install = %+v", a)
	}
}

func TestCraneAuthGetFromTheRealAPIServer(t *testing.T) {
	r := theRig
	u := installed(t)
	res := u.must("", "crane", "auth", "get", r.registry)
	var a answer
	if err := json.Unmarshal([]byte(res.stdout), &a); err != nil || a.Username != "giteaAdmin" || a.Secret != r.canary {
		t.Fatalf("crane auth get = %q, %v", res.stdout, err)
	}
}

func TestLowPrivilegeUser(t *testing.T) {
	r := theRig
	u := r.newUser(t, "KUBECONFIG="+r.env["RIG_KUBECONFIG_LIMITED"], "IDPBUILDER_HELPER_NO_CACHE=1")
	// The registry is recorded by hand: refresh --registry needs only the
	// secret, not the Localbuild.
	res := u.helper("", "refresh", "--registry", r.registry, "--context", "kind-localdev")
	if res.code != 0 || !strings.Contains(res.stdout, "recorded "+r.registry) {
		t.Fatalf("refresh --registry: %+v", res)
	}
	if a := u.get(r.registry); a.Secret != r.canary {
		t.Fatalf("get as the low-privilege user = %+v", a)
	}
	// Without the RoleBinding the user may read nothing: a clear error.
	admin := r.newUser(t)
	admin.must("", "kubectl", "--kubeconfig", r.env["RIG_KUBECONFIG"], "-n", "gitea", "get", "rolebinding", "-o", "name")
	bindings := admin.must("", "kubectl", "--kubeconfig", r.env["RIG_KUBECONFIG"], "-n", "gitea", "get", "rolebinding", "-o", "json")
	admin.must("", "kubectl", "--kubeconfig", r.env["RIG_KUBECONFIG"], "-n", "gitea", "delete", "rolebinding", "--all")
	defer admin.must(bindings.stdout, "kubectl", "--kubeconfig", r.env["RIG_KUBECONFIG"], "create", "-f", "-")
	res = u.helper(r.registry, "get")
	if res.code != 1 || !strings.Contains(res.stdout, "forbidden") || strings.Count(res.stdout, "\n") != 1 {
		t.Fatalf("get without permission: %+v", res)
	}
}

func TestPasswordChangedOnTheSameCluster(t *testing.T) {
	r := theRig
	u := installed(t)
	defer r.setPassword(t, r.canary)
	r.setPassword(t, r.canary+"-dev")
	if a := u.get(r.registry); a.Secret != r.canary {
		t.Fatalf("inside the fresh window the cache answers: %+v", a)
	}
	res := u.helper("", "refresh")
	if res.code != 0 || !strings.Contains(res.stdout, "refreshed "+r.registry) || strings.Contains(res.stdout, r.canary) {
		t.Fatalf("refresh: %+v", res)
	}
	if a := u.get(r.registry); a.Secret != r.canary+"-dev" {
		t.Fatalf("after refresh = %+v", a)
	}
	r.setPassword(t, r.canary+"-dev2")
	if a := u.with("IDPBUILDER_HELPER_FRESH=0s").get(r.registry); a.Secret != r.canary+"-dev2" {
		t.Fatalf("after the fresh window = %+v", a)
	}
}

func TestClusterStopped(t *testing.T) {
	r := theRig
	u := installed(t)
	defer func() {
		if err := r.script("kube.sh", "up"); err != nil {
			t.Fatal(err)
		}
	}()
	if err := r.script("kube.sh", "down"); err != nil {
		t.Fatal(err)
	}
	// Warm cache, stale on purpose: served while the cluster is down.
	if a := u.with("IDPBUILDER_HELPER_FRESH=0s").get(r.registry); a.Secret != r.canary {
		t.Fatalf("get with the cluster down and a warm cache = %+v", a)
	}
	// Empty cache: one clear line, fast (a refused loopback port).
	u.must(r.registry, fullHelper(), "erase")
	res := u.helper(r.registry, "get")
	if res.code != 1 || !strings.Contains(res.stdout, "is the idpbuilder cluster running?") || strings.Count(res.stdout, "\n") != 1 || res.stderr != "" {
		t.Fatalf("get with the cluster down and no cache: %+v", res)
	}
	if res.elapsed > 2*time.Second {
		t.Fatalf("failing get took %s", res.elapsed)
	}
}

func TestClusterRecreated(t *testing.T) {
	r := theRig
	u := installed(t)
	if a := u.get(r.registry); a.Secret != r.canary {
		t.Fatalf("get = %+v", a)
	}
	r.recreateCluster(t, r.canary+"-recreated")
	if a := u.get(r.registry); a.Secret != r.canary+"-recreated" {
		t.Fatalf("get after the cluster was recreated = %+v (the fresh cache of the old cluster won)", a)
	}
}

func fullHelper() string { return theRig.helperDir + "/docker-credential-idpbuilder" }
