//go:build e2e

package e2e

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Issue 15, part 1: `export` writes a pull/push Secret for pods that build
// and push inside the cluster. These tests use the rig's real API server
// (its Secret type validation, RBAC and optimistic concurrency), Gitea's
// real registry and crane configured only from the Secret.

// kubectl runs kubectl as the rig's admin.
func kubectl(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	admin := theRig.newUser(t)
	return admin.must(stdin, "kubectl", append([]string{"--kubeconfig", theRig.env["RIG_KUBECONFIG"]}, args...)...)
}

// exportNamespace makes a namespace for one test, with a ServiceAccount
// "builder" that already lists another pull secret. The rig has no
// namespace controller, so the namespace is left (its name is unique).
func exportNamespace(t *testing.T) string {
	t.Helper()
	ns := "export-" + randomHex(4)
	kubectl(t, `apiVersion: v1
kind: Namespace
metadata: {name: `+ns+`}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: builder, namespace: `+ns+`}
imagePullSecrets:
- name: existing
`, "apply", "-f", "-")
	return ns
}

// exportedConfig reads the Secret as a pod would get it: its type, labels,
// and the decoded .dockerconfigjson.
func exportedConfig(t *testing.T, ns, name string) (typ string, labels map[string]string, config []byte) {
	t.Helper()
	res := kubectl(t, "", "-n", ns, "get", "secret", name, "-o", "json")
	var s struct {
		Type     string `json:"type"`
		Metadata struct {
			Labels map[string]string `json:"labels"`
		} `json:"metadata"`
		Data map[string]string `json:"data"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &s); err != nil {
		t.Fatal(err)
	}
	config, err := base64.StdEncoding.DecodeString(s.Data[".dockerconfigjson"])
	if err != nil {
		t.Fatal(err)
	}
	return s.Type, s.Metadata.Labels, config
}

// pullSecretsOf lists a ServiceAccount's imagePullSecrets names.
func pullSecretsOf(t *testing.T, ns, sa string) []string {
	t.Helper()
	res := kubectl(t, "", "-n", ns, "get", "serviceaccount", sa, "-o", "jsonpath={.imagePullSecrets[*].name}")
	return strings.Fields(res.stdout)
}

// pushWithOnly pushes a new one-layer image with crane configured by the
// docker config alone: DOCKER_CONFIG holds just that file, and the helper
// is not on PATH. It returns the result (code 0 when the push worked).
func pushWithOnly(t *testing.T, u *user, config []byte, tag string) result {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.json"), config, 0o600); err != nil {
		t.Fatal(err)
	}
	bundle := filepath.Join(u.home, ".config", "docker-credential-idpbuilder", "ca-bundle.pem")
	bare := &user{t: t, home: u.home}
	for _, kv := range u.env {
		if !strings.HasPrefix(kv, "PATH=") && !strings.HasPrefix(kv, "DOCKER_CONFIG=") {
			bare.env = append(bare.env, kv)
		}
	}
	bare.env = append(bare.env, "PATH="+os.Getenv("PATH"), "DOCKER_CONFIG="+dir, "SSL_CERT_FILE="+bundle)
	if res := bare.run("", "sh", "-c", "command -v docker-credential-idpbuilder"); res.code == 0 {
		t.Fatalf("the helper is on the bare PATH: %s", res.stdout)
	}
	layer := layerTar(t, dir, "pushed from an exported Secret "+randomHex(4))
	return bare.run("", "crane", "append", "-f", layer, "-t", theRig.registry+"/giteaadmin/exported:"+tag)
}

func readToken(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(theRig.dir, "secret", "gitea-token"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(data))
}

// noSecretIn fails when out holds the password or the token.
func noSecretIn(t *testing.T, what, out string) {
	t.Helper()
	for _, s := range []string{theRig.canary, readToken(t)} {
		if strings.Contains(out, s) {
			t.Fatalf("%s holds a credential:\n%s", what, out)
		}
	}
}

// TestExportSecretPushesWithNoHelper is the in-cluster builder's story:
// export writes a Secret the API server accepts, crane configured only
// from it pushes, the ServiceAccount keeps its entries, status lists it,
// a password change makes it stale until refresh updates it, and
// export --delete removes exactly what was written.
func TestExportSecretPushesWithNoHelper(t *testing.T) {
	r := theRig
	u := installed(t)
	ns := exportNamespace(t)

	// The API server validates a dockerconfigjson Secret's data: it would
	// refuse one that is not a docker config.
	bad := `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"bad","namespace":"` + ns + `"},"type":"kubernetes.io/dockerconfigjson","data":{".dockerconfigjson":"` + base64.StdEncoding.EncodeToString([]byte("not json")) + `"}}`
	if res := u.run(bad, "kubectl", "--kubeconfig", r.env["RIG_KUBECONFIG"], "create", "-f", "-"); res.code == 0 || !strings.Contains(res.stderr, "invalid") {
		t.Fatalf("the API server accepted a bad dockerconfigjson: %+v", res)
	}

	res := u.helper("", "export", "--namespace", ns, "--service-account", "builder", "--ca-configmap", "idpbuilder-ca")
	if res.code != 0 {
		t.Fatalf("export: %+v", res)
	}
	noSecretIn(t, "export's output", res.stdout+res.stderr)
	if !strings.Contains(res.stdout, "copies the Gitea admin credential (token of gitea/gitea-credential)") {
		t.Errorf("export does not say what it copies:\n%s", res.stdout)
	}
	typ, labels, config := exportedConfig(t, ns, "idpbuilder-registry")
	if typ != "kubernetes.io/dockerconfigjson" || labels["app.kubernetes.io/managed-by"] != "docker-credential-idpbuilder" {
		t.Fatalf("type %q, labels %v", typ, labels)
	}
	var cfg struct {
		Auths map[string]struct{ Username, Password, Auth string } `json:"auths"`
		// A copied config must not name a helper: a pod cannot run it.
		CredHelpers map[string]string `json:"credHelpers"`
		CredsStore  string            `json:"credsStore"`
	}
	if err := json.Unmarshal(config, &cfg); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k, a := range cfg.Auths {
		keys = append(keys, k)
		if a.Username != "giteaAdmin" || a.Password != readToken(t) {
			t.Errorf("auths[%s] is not the admin's token", k)
		}
	}
	slices.Sort(keys)
	if want := []string{"gitea.cnoe.localtest.me", r.registry}; !slices.Equal(keys, want) || cfg.CredHelpers != nil || cfg.CredsStore != "" {
		t.Fatalf("auths keys %q (want %q), credHelpers %v, credsStore %q", keys, want, cfg.CredHelpers, cfg.CredsStore)
	}

	// A client configured from the Secret alone pushes.
	if res := pushWithOnly(t, u, config, "v1"); res.code != 0 {
		t.Fatalf("crane push with the exported config: %+v", res)
	}

	// The ServiceAccount keeps its entry, gets ours once (a second export
	// adds nothing), and the CA ConfigMap holds the cluster's CA.
	u.must("", fullHelper(), "export", "--namespace", ns, "--service-account", "builder", "--ca-configmap", "idpbuilder-ca")
	if got := pullSecretsOf(t, ns, "builder"); !slices.Equal(got, []string{"existing", "idpbuilder-registry"}) {
		t.Errorf("imagePullSecrets %q", got)
	}
	ca, _ := os.ReadFile(filepath.Join(r.dir, "tls", "tls.crt"))
	if got := kubectl(t, "", "-n", ns, "get", "configmap", "idpbuilder-ca", "-o", `jsonpath={.data.ca\.crt}`).stdout; strings.TrimSpace(got) != strings.TrimSpace(string(ca)) {
		t.Errorf("CA ConfigMap holds %q", got)
	}

	st := u.helper("", "status")
	if !strings.Contains(st.stdout, "pull/push Secrets, current: "+ns+"/idpbuilder-registry") {
		t.Errorf("status does not list the exported Secret:\n%s", st.stdout)
	}

	// The password changes (the token is re-created with it): the copy is
	// stale and refused, refresh updates it, and the push works again.
	defer r.setPassword(t, r.canary)
	r.setPassword(t, r.canary+"-export")
	if res := pushWithOnly(t, u, config, "v2"); res.code == 0 {
		t.Fatalf("the old token still pushes: the test proves nothing")
	}
	st = u.helper("", "status")
	if !strings.Contains(st.stdout, "stale (an older credential than the cluster's): "+ns+"/idpbuilder-registry") {
		t.Errorf("status does not call the Secret stale:\n%s", st.stdout)
	}
	res = u.helper("", "refresh")
	if res.code != 0 || !strings.Contains(res.stdout, "refreshed exported secret "+ns+"/idpbuilder-registry") {
		t.Fatalf("refresh: %+v", res)
	}
	noSecretIn(t, "refresh's output", res.stdout+res.stderr)
	_, _, config = exportedConfig(t, ns, "idpbuilder-registry")
	if res := pushWithOnly(t, u, config, "v3"); res.code != 0 {
		t.Fatalf("crane push after refresh: %+v", res)
	}

	// --delete removes the Secret, its ConfigMap and our entry only.
	res = u.helper("", "export", "--delete", "--namespace", ns)
	if res.code != 0 {
		t.Fatalf("export --delete: %+v", res)
	}
	if got := pullSecretsOf(t, ns, "builder"); !slices.Equal(got, []string{"existing"}) {
		t.Errorf("imagePullSecrets after --delete %q", got)
	}
	left := kubectl(t, "", "-n", ns, "get", "secrets,configmaps", "-l", "app.kubernetes.io/managed-by=docker-credential-idpbuilder", "-o", "name").stdout
	if strings.TrimSpace(left) != "" {
		t.Errorf("left after --delete: %s", left)
	}
}

// TestExportRBAC: a user without export's permissions gets one line naming
// the verb and resource and README's Role; with exactly README's Role
// bound in the namespace, export works.
func TestExportRBAC(t *testing.T) {
	r := theRig
	ns := exportNamespace(t)
	u := r.newUser(t, "KUBECONFIG="+r.env["RIG_KUBECONFIG_LIMITED"], "IDPBUILDER_HELPER_NO_CACHE=1")
	args := []string{"export", "--namespace", ns, "--registry", r.registry, "--service-account", "builder"}
	res := u.helper("", args...)
	if res.code != 1 || strings.Count(res.stderr, "\n") != 1 || res.stdout != "" ||
		!strings.Contains(res.stderr, `forbidden: the user of context "kind-localdev" may not get secrets in namespace `+ns+` (403); grant it the idpbuilder-export Role in README.md`) {
		t.Fatalf("export without permission: %+v", res)
	}
	noSecretIn(t, "the error", res.stderr)

	// README's Role, bound in the namespace only.
	kubectl(t, `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: idpbuilder-export}
rules:
- {apiGroups: [""], resources: [secrets, configmaps], verbs: [get, list, create, update, delete]}
- {apiGroups: [""], resources: [serviceaccounts], verbs: [get, patch]}
- {apiGroups: [""], resources: [namespaces], verbs: [list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: idpbuilder-export, namespace: `+ns+`}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: idpbuilder-export}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: `+r.env["RIG_KUBE_LIMITED_USER"]+`}
`, "apply", "-f", "-")
	res = u.helper("", args...)
	if res.code != 0 {
		t.Fatalf("export with README's Role: %+v", res)
	}
	if got := pullSecretsOf(t, ns, "builder"); !slices.Equal(got, []string{"existing", "idpbuilder-registry"}) {
		t.Errorf("imagePullSecrets %q", got)
	}
	res = u.helper("", "export", "--delete", "--namespace", ns)
	if res.code != 0 || !slices.Equal(pullSecretsOf(t, ns, "builder"), []string{"existing"}) {
		t.Fatalf("export --delete with README's Role: %+v", res)
	}
}

// TestUninstallRemovesExportedSecrets: uninstall removes, in the table's
// cluster, what export wrote (and only the ServiceAccount entry it added),
// and leaves a Secret of the same name that export did not write.
func TestUninstallRemovesExportedSecrets(t *testing.T) {
	ns, other := exportNamespace(t), exportNamespace(t)
	u := theRig.newUser(t)
	if res := u.helper("", "install"); res.code != 0 {
		t.Fatalf("install: %+v", res)
	}
	kubectl(t, "", "-n", other, "create", "secret", "generic", "idpbuilder-registry", "--from-literal=k=v")
	u.must("", fullHelper(), "export", "--namespace", ns, "--service-account", "builder")
	res := u.helper("", "export", "--namespace", other)
	if res.code != 1 || !strings.Contains(res.stderr, "exists and was not written by docker-credential-idpbuilder") {
		t.Fatalf("export over a foreign Secret: %+v", res)
	}
	res = u.helper("", "uninstall")
	if res.code != 0 || !strings.Contains(res.stdout, "secret "+ns+"/idpbuilder-registry") {
		t.Fatalf("uninstall: %+v", res)
	}
	if left := kubectl(t, "", "get", "secrets", "-A", "-l", "app.kubernetes.io/managed-by=docker-credential-idpbuilder", "-o", "name").stdout; strings.TrimSpace(left) != "" {
		t.Errorf("left after uninstall: %s", left)
	}
	if got := pullSecretsOf(t, ns, "builder"); !slices.Equal(got, []string{"existing"}) {
		t.Errorf("imagePullSecrets after uninstall %q", got)
	}
	kubectl(t, "", "-n", other, "get", "secret", "idpbuilder-registry")
}

// TestExportAllNamespacesSelector: --all-namespaces with --selector writes
// into the namespaces the API server's label selector matches, and no
// other.
func TestExportAllNamespacesSelector(t *testing.T) {
	team := "team-" + randomHex(3)
	a, b, c := exportNamespace(t), exportNamespace(t), exportNamespace(t)
	kubectl(t, "", "label", "namespace", a, c, "export-e2e="+team)
	u := installed(t)
	res := u.helper("", "export", "--all-namespaces", "--selector", "export-e2e="+team)
	if res.code != 0 {
		t.Fatalf("export --all-namespaces: %+v", res)
	}
	for ns, want := range map[string]bool{a: true, b: false, c: true} {
		got := kubectl(t, "", "-n", ns, "get", "secrets", "-l", "app.kubernetes.io/managed-by=docker-credential-idpbuilder", "-o", "name").stdout
		if strings.Contains(got, "idpbuilder-registry") != want {
			t.Errorf("namespace %s: %q (want a Secret: %v)", ns, got, want)
		}
	}
	res = u.helper("", "export", "--all-namespaces", "--selector", "export-e2e=nobody-"+team)
	if res.code != 1 || strings.Count(res.stderr, "\n") != 1 || !strings.Contains(res.stderr, "matches --selector") {
		t.Fatalf("export with a selector that matches nothing: %+v", res)
	}
	res = u.helper("", "export", "--delete", "--all-namespaces", "--selector", "export-e2e="+team)
	if left := kubectl(t, "", "get", "secrets", "-A", "-l", "app.kubernetes.io/managed-by=docker-credential-idpbuilder", "-o", "name").stdout; res.code != 0 || strings.TrimSpace(left) != "" {
		t.Fatalf("export --delete --all-namespaces: %+v; left %q", res, left)
	}
}

// TestExportWithoutInstallDiscovers: with no helper table, export finds the
// registry as install would (install.Discover: here the rig's Localbuild),
// and --dry-run writes nothing.
func TestExportWithoutInstallDiscovers(t *testing.T) {
	ns := exportNamespace(t)
	u := theRig.newUser(t)
	res := u.helper("", "export", "--namespace", ns, "--dry-run")
	if res.code != 0 || !strings.Contains(res.stdout, "would change") ||
		!strings.Contains(res.stdout, "secret "+ns+"/idpbuilder-registry: auths for gitea.cnoe.localtest.me,"+theRig.registry) {
		t.Fatalf("export --dry-run without install: %+v", res)
	}
	noSecretIn(t, "export's output", res.stdout+res.stderr)
	if left := kubectl(t, "", "-n", ns, "get", "secrets", "-o", "name").stdout; strings.Contains(left, "idpbuilder-registry") {
		t.Fatalf("--dry-run wrote %s", left)
	}
}
