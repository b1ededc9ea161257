//go:build e2e

package e2e

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// giteaProviderRig drives a GiteaProvider (idpbuilder.cnoe.io/v1alpha2) on
// the rig's API server, as idpbuilder's controller leaves it: its admin
// password in secret gitea-system/my-admin under the key adminPassword,
// the user name in its status, its endpoint the rig's Gitea.
type giteaProviderRig struct {
	t     *testing.T
	admin *user
}

const (
	providerNS     = "gitea-system"
	providerName   = "gitea"
	providerSecret = "my-admin"
	providerKey    = "adminPassword"
)

func newGiteaProviderRig(t *testing.T) *giteaProviderRig {
	t.Helper()
	p := &giteaProviderRig{t: t, admin: theRig.newUser(t)}
	// A namespace is never deleted: the rig has no namespace controller to
	// finish the deletion. Its objects are.
	if res := p.kubectl("", "get", "namespace", providerNS); res.code != 0 {
		p.must("", "create", "namespace", providerNS)
	}
	// The password goes on stdin only; server-side apply keeps no copy of
	// it in an annotation.
	p.must(`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"`+providerSecret+`","namespace":"`+providerNS+`"},`+
		`"stringData":{"`+providerKey+`":"`+theRig.canary+`","token":"not-a-real-token"}}`,
		"apply", "--server-side", "--field-manager", "e2e", "-f", "-")
	p.must(`{"apiVersion":"idpbuilder.cnoe.io/v1alpha2","kind":"GiteaProvider","metadata":{"name":"`+providerName+`","namespace":"`+providerNS+`"},`+
		`"spec":{"namespace":"`+providerNS+`"}}`, "apply", "--server-side", "--field-manager", "e2e", "-f", "-")
	t.Cleanup(func() {
		p.kubectl("", "-n", providerNS, "delete", "giteaprovider", providerName, "--ignore-not-found")
		p.kubectl("", "-n", providerNS, "delete", "secret", providerSecret, "--ignore-not-found")
	})
	p.setStatus(true)
	return p
}

func (p *giteaProviderRig) kubectl(stdin string, args ...string) result {
	p.t.Helper()
	return p.admin.run(stdin, "kubectl", append([]string{"--kubeconfig", theRig.env["RIG_KUBECONFIG"]}, args...)...)
}

func (p *giteaProviderRig) must(stdin string, args ...string) result {
	p.t.Helper()
	return p.admin.must(stdin, "kubectl", append([]string{"--kubeconfig", theRig.env["RIG_KUBECONFIG"]}, args...)...)
}

// setStatus writes the provider's status through the status subresource,
// as its controller does: Ready (condition True, phase Ready) or still
// installing.
func (p *giteaProviderRig) setStatus(ready bool) {
	p.t.Helper()
	cond, phase, reason := "True", "Ready", "GiteaReady"
	if !ready {
		cond, phase, reason = "False", "Installing", "Installing"
	}
	ref := map[string]string{"name": providerSecret, "namespace": providerNS, "key": providerKey}
	status := map[string]any{"status": map[string]any{
		"endpoint":             "https://" + theRig.registry,
		"internalEndpoint":     "http://my-gitea-http." + providerNS + ".svc.cluster.local:3000",
		"phase":                phase,
		"installed":            ready,
		"adminUser":            map[string]any{"username": "giteaAdmin", "secretRef": ref},
		"credentialsSecretRef": map[string]string{"name": providerSecret, "namespace": providerNS, "key": "token"},
		"conditions": []map[string]string{{"type": "Ready", "status": cond, "reason": reason, "message": "set by the e2e test",
			"lastTransitionTime": time.Now().UTC().Format(time.RFC3339)}},
	}}
	patch, err := json.Marshal(status)
	if err != nil {
		p.t.Fatal(err)
	}
	p.must("", "-n", providerNS, "patch", "giteaprovider", providerName, "--subresource", "status", "--type", "merge", "-p", string(patch))
}

// TestGiteaProviderDiscovery: a cluster made with idpbuilder's
// controller-based architecture names its registry and admin secret in a
// GiteaProvider. install finds the provider (which wins over the
// Localbuild), records its secret and keys, and a real client pushes with
// no login, the secret read with those keys on every cache miss; status
// says where the registry came from. A provider that is not ready gives way
// to the Localbuild, and idpbuilder's own secret.
func TestGiteaProviderDiscovery(t *testing.T) {
	r := theRig
	p := newGiteaProviderRig(t)

	// idpbuilder's own secret holds a wrong password meanwhile: a push
	// that works read the provider's.
	p.must(`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"gitea-credential","namespace":"gitea"},"stringData":{"password":"wrong-`+randomHex(8)+`"}}`,
		"apply", "--server-side", "--force-conflicts", "--field-manager", "e2e", "-f", "-")
	restored := false
	restore := func() {
		if !restored {
			restored = true
			if err := r.script("kube.sh", "set-password"); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Cleanup(restore)

	u := installed(t)
	want := map[string]string{"context": "kind-localdev", "namespace": providerNS, "secret": providerSecret, "passwordKey": providerKey, "username": "giteaAdmin"}
	if got := registryEntry(t, u, r.registry); !reflect.DeepEqual(got, want) {
		t.Fatalf("table entry %v, want %v", got, want)
	}
	// No cache: every get runs the companion's read-secret with the keys.
	noCache := u.with("IDPBUILDER_HELPER_NO_CACHE=1")
	noCache.mustPush("giteaprovider")
	if a := noCache.get(r.registry); a.Username != "giteaAdmin" || a.Secret != r.canary {
		t.Fatalf("get = %q (password right: %v)", a.Username, a.Secret == r.canary)
	}
	st, res := u.status()
	if d := statusDetail(st, "source"); !strings.Contains(d, "GiteaProvider "+providerNS+"/"+providerName) || !strings.Contains(d, "password key "+providerKey) {
		t.Fatalf("status source = %q\n%s", d, res.stdout)
	}
	if strings.Contains(res.stdout+res.stderr, r.canary) {
		t.Fatal("status printed the password")
	}
	restore()

	// Not ready: the Localbuild gives the host again, with idpbuilder's
	// secret.
	p.setStatus(false)
	res = u.must("", fullHelper(), "install", "--trust-ca")
	if !strings.Contains(res.stdout, "GiteaProvider "+providerNS+"/"+providerName+" is not ready") {
		t.Fatalf("install does not say the provider was skipped:\n%s", res.stdout)
	}
	if got := registryEntry(t, u, r.registry); !reflect.DeepEqual(got, map[string]string{"context": "kind-localdev"}) {
		t.Fatalf("table entry after the provider went: %v", got)
	}
	noCache.mustPush("giteaprovider-not-ready")
	if st, _ := u.status(); !strings.Contains(statusDetail(st, "source"), "Localbuild localdev") {
		t.Fatalf("status source = %q", statusDetail(st, "source"))
	}
}

// TestGiteaProviderWithoutLocalbuild: a cluster holding only a
// GiteaProvider (no Localbuild object) is found, and served.
func TestGiteaProviderWithoutLocalbuild(t *testing.T) {
	r := theRig
	p := newGiteaProviderRig(t)
	p.must("", "delete", "localbuild", "localdev")
	t.Cleanup(func() {
		if err := r.script("kube.sh", "up"); err != nil {
			t.Fatal(err)
		}
	})
	u := r.newUser(t)
	res := u.must("", fullHelper(), "install")
	t.Cleanup(func() { u.helper("", "uninstall") })
	// (The test's folders are named after it: look for whole phrases.)
	if !strings.Contains(res.stdout, r.registry+": from GiteaProvider "+providerNS+"/"+providerName) || strings.Contains(res.stdout, "no Localbuild") {
		t.Fatalf("install:\n%s", res.stdout)
	}
	if a := u.with("IDPBUILDER_HELPER_NO_CACHE=1").get(r.registry); a.Username != "giteaAdmin" || a.Secret != r.canary {
		t.Fatal("get did not answer the provider's credentials")
	}
	// With no Localbuild there is no CA to trust: --trust-ca says so before
	// anything is written.
	if res := u.run("", fullHelper(), "install", "--trust-ca"); res.code == 0 {
		t.Fatalf("install --trust-ca with no CA succeeded:\n%s", res.stdout)
	}
}

// TestGiteaProviderForbiddenOrAbsent: a user who may not list
// GiteaProviders gets the Localbuild's registry and a note; a cluster
// without the resource gets it silently.
func TestGiteaProviderForbiddenOrAbsent(t *testing.T) {
	r := theRig
	p := newGiteaProviderRig(t)
	// kube.sh up puts back the RBAC and the CRD.
	t.Cleanup(func() {
		if err := r.script("kube.sh", "up"); err != nil {
			t.Fatal(err)
		}
	})
	p.must(`{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"rig-read-localbuilds"},`+
		`"rules":[{"apiGroups":["idpbuilder.cnoe.io"],"resources":["localbuilds"],"verbs":["get","list"]}]}`,
		"apply", "--server-side", "--force-conflicts", "--field-manager", "rig", "-f", "-")
	limited := r.newUser(t, "KUBECONFIG="+r.env["RIG_KUBECONFIG_LIMITED"])
	res := limited.must("", fullHelper(), "install", "--dry-run")
	if !strings.Contains(res.stdout, "may not list GiteaProvider objects") || !strings.Contains(res.stdout, "credHelpers["+r.registry+"] = idpbuilder") {
		t.Fatalf("install as a user who may not list GiteaProviders:\n%s", res.stdout)
	}

	p.must("", "delete", "crd", "giteaproviders.idpbuilder.cnoe.io", "--wait=true")
	u := r.newUser(t)
	res = u.must("", fullHelper(), "install", "--dry-run")
	if strings.Contains(res.stdout, "GiteaProvider objects") || strings.Contains(res.stdout, "from GiteaProvider") || !strings.Contains(res.stdout, "credHelpers["+r.registry+"] = idpbuilder") {
		t.Fatalf("install without the GiteaProvider resource:\n%s", res.stdout)
	}
}
