//go:build e2e

package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io/fs"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Issue #10, items 6-9 and 11: what install reads from the cluster is
// input, and a second install keeps what the first recorded.

// patchLocalbuild merges spec into the rig's Localbuild buildCustomization
// and puts the original back when the test ends.
func patchLocalbuild(t *testing.T, spec string) {
	t.Helper()
	r := theRig
	admin := r.newUser(t)
	kubectl := func(args ...string) {
		t.Helper()
		admin.must("", "kubectl", append([]string{"--kubeconfig", r.env["RIG_KUBECONFIG"]}, args...)...)
	}
	t.Cleanup(func() {
		// kube.sh up re-applies the manifest; a field the manifest does not
		// set (ingressHost) must be removed by hand.
		kubectl("patch", "localbuild", "localdev", "--type=merge", "-p", `{"spec":{"buildCustomization":{"ingressHost":null}}}`)
		if err := r.script("kube.sh", "up"); err != nil {
			t.Fatal(err)
		}
	})
	kubectl("patch", "localbuild", "localdev", "--type=merge", "-p", `{"spec":{"buildCustomization":`+spec+`}}`)
}

// machineFiles records every file (with its content) and folder under the
// user's HOME and the system certs.d folders, to prove nothing was written.
func machineFiles(t *testing.T, u *user) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, dir := range []string{u.home, "/etc/docker", "/etc/containers"} {
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil // a folder that does not exist
			}
			if d.IsDir() {
				out[p] = "dir"
			} else if data, err := os.ReadFile(p); err == nil {
				out[p] = string(data)
			}
			return nil
		})
	}
	return out
}

func unchanged(t *testing.T, before, after map[string]string) {
	t.Helper()
	for p, v := range after {
		if w, ok := before[p]; !ok || w != v {
			t.Errorf("%s was written", p)
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			t.Errorf("%s was removed", p)
		}
	}
}

func TestHabitsInstallHostileLocalbuild(t *testing.T) {
	theirs := `{"auth": "` + base64.StdEncoding.EncodeToString([]byte("someone:their-ghcr-token")) + `"}`
	tests := []struct {
		name, spec string
		// stderr is the one error line, stdout what install says first.
		stderr, stdout string
	}{
		{name: "port climbing out of certs.d", spec: `{"port":"8443/../../x"}`,
			stderr: `spec.buildCustomization.port is "8443/../../x", which is not a port number (1-65535)`},
		{name: "ingressHost with a space", spec: `{"ingressHost":"idp example"}`,
			stderr: `spec.buildCustomization.ingressHost is "idp example", which is not a host name`},
		{name: "path routing onto ghcr.io", spec: `{"host":"ghcr.io","port":"443","usePathRouting":true}`,
			stderr: "no registry left to install",
			stdout: "ghcr.io: skipped, nothing of it touched: " + "%DOCKER%" + " has auths[ghcr.io], a credential that is not the cluster's"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			patchLocalbuild(t, tt.spec)
			u := theRig.newUser(t)
			cfg := filepath.Join(u.dockerConfig, "config.json")
			var docker map[string]any
			json.Unmarshal([]byte(unknownDocker), &docker)
			docker["auths"].(map[string]any)["ghcr.io"] = json.RawMessage(theirs)
			data, _ := json.MarshalIndent(docker, "", "\t")
			if err := os.WriteFile(cfg, data, 0o600); err != nil {
				t.Fatal(err)
			}
			before := machineFiles(t, u)
			res := u.helper("", "install", "--trust-ca")
			if res.code != 1 || strings.Count(res.stderr, "\n") != 1 || !strings.Contains(res.stderr, tt.stderr) {
				t.Fatalf("install: exit %d, stderr %q, want one line with %q\nstdout:\n%s", res.code, res.stderr, tt.stderr, res.stdout)
			}
			if want := strings.ReplaceAll(tt.stdout, "%DOCKER%", cfg); !strings.Contains(res.stdout, want) {
				t.Fatalf("stdout lacks %q:\n%s", want, res.stdout)
			}
			unchanged(t, before, machineFiles(t, u))
			if _, err := os.Stat(u.config); err == nil {
				t.Fatal("the helper config was written")
			}
			t.Logf("install said: %s%s", res.stdout, res.stderr)
		})
	}
}

// registryEntry reads the user's helper config entry for host.
func registryEntry(t *testing.T, u *user, host string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(u.config)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Registries map[string]map[string]string `json:"registries"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("%s: %v", u.config, err)
	}
	return f.Registries[host]
}

// TestHabitsInstallAnotherContextKeepsTheEntry: the secret recorded with
// refresh survives an install from another context (item 9).
func TestHabitsInstallAnotherContextKeepsTheEntry(t *testing.T) {
	r := theRig
	u := r.newUser(t)
	u.must("", fullHelper(), "install")
	t.Cleanup(func() { u.helper("", "uninstall") })
	u.must("", fullHelper(), "refresh", "--registry", r.registry, "--namespace", "gitea", "--secret", "gitea-credential")

	// A second context on the same cluster, in the user's own kubeconfig.
	kubeconfig := filepath.Join(u.home, "kubeconfig-other")
	data, err := os.ReadFile(r.env["RIG_KUBECONFIG"])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(kubeconfig, data, 0o600); err != nil {
		t.Fatal(err)
	}
	kubectl := func(args ...string) string {
		t.Helper()
		return u.must("", "kubectl", append([]string{"--kubeconfig", kubeconfig}, args...)...).stdout
	}
	clusterName := kubectl("config", "view", "-o", `jsonpath={.contexts[?(@.name=="kind-localdev")].context.cluster}`)
	userName := kubectl("config", "view", "-o", `jsonpath={.contexts[?(@.name=="kind-localdev")].context.user}`)
	kubectl("config", "set-context", "other", "--cluster", clusterName, "--user", userName)

	res := u.must("", fullHelper(), "install", "--context", "other", "--kubeconfig", kubeconfig)
	got := registryEntry(t, u, r.registry)
	want := map[string]string{"context": "other", "kubeconfig": kubeconfig, "namespace": "gitea", "secret": "gitea-credential"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("entry after install --context other: %v, want %v\n%s", got, want, res.stdout)
	}
	if a := u.get(r.registry); a.Secret != r.canary {
		t.Fatal("get after the second install did not answer")
	}
}

// newCAPEM makes a self-signed CA certificate as idpbuilder does.
func newCAPEM(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "cnoe.localtest.me"},
		DNSNames: []string{"cnoe.localtest.me", "*.cnoe.localtest.me"}, IsCA: true, BasicConstraintsValid: true,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// TestHabitsInstallTrustCAWithTheBundleExported: install --trust-ca tells
// the user to export SSL_CERT_FILE=<bundle>; with that done, install again
// changes nothing, and a new cluster CA replaces the old one (item 7).
func TestHabitsInstallTrustCAWithTheBundleExported(t *testing.T) {
	r := theRig
	u := r.newUser(t)
	t.Cleanup(func() { u.helper("", "uninstall") })
	helperDir := filepath.Join(u.home, ".config", "docker-credential-idpbuilder")
	bundle := filepath.Join(helperDir, "ca-bundle.pem")
	res := u.must("", fullHelper(), "install", "--trust-ca")
	if !strings.Contains(res.stdout, "export SSL_CERT_FILE="+bundle) {
		t.Fatalf("install did not say what to export:\n%s", res.stdout)
	}
	first, err := os.ReadFile(bundle)
	if err != nil {
		t.Fatal(err)
	}
	rigCA, err := os.ReadFile(filepath.Join(helperDir, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}

	exported := u.with("SSL_CERT_FILE=" + bundle)
	for _, run := range []string{"second", "third"} {
		res := exported.must("", fullHelper(), "install", "--trust-ca")
		if got, _ := os.ReadFile(bundle); string(got) != string(first) {
			t.Fatalf("%s run: the bundle changed (%d -> %d bytes)", run, len(first), len(got))
		}
		if !strings.Contains(res.stdout, bundle+": already in place") || strings.Contains(res.stdout, "changed") {
			t.Fatalf("%s run changed something:\n%s", run, res.stdout)
		}
	}
	// crane, a Go client, trusts Gitea through the exported bundle (and
	// does not without it).
	repo := r.registry + "/giteaadmin/none-such"
	if res := u.run("", "crane", "ls", repo); !strings.Contains(res.stderr, "x509") {
		t.Fatalf("crane without the bundle: %+v", res)
	}
	if res := exported.run("", "crane", "ls", repo); strings.Contains(res.stderr, "x509") {
		t.Fatalf("crane with the bundle: %+v", res)
	}

	t.Run("a new cluster CA replaces the old one", func(t *testing.T) {
		newCA := newCAPEM(t)
		spec, _ := json.Marshal(map[string]string{"selfSignedCert": newCA})
		patchLocalbuild(t, string(spec))
		exported.must("", fullHelper(), "install", "--trust-ca")
		got, _ := os.ReadFile(bundle)
		if want := strings.TrimSuffix(string(first), string(rigCA)) + newCA; string(got) != want {
			t.Fatalf("bundle after the CA changed: %d bytes, want %d (the old CA still there: %v)", len(got), len(want), strings.Contains(string(got), string(rigCA)))
		}
		for _, f := range []string{filepath.Join(helperDir, "ca.crt"), filepath.Join(u.home, ".config", "containers", "certs.d", r.registry, "ca.crt")} {
			if data, _ := os.ReadFile(f); string(data) != newCA {
				t.Errorf("%s does not hold the new CA", f)
			}
		}
	})
	// The Localbuild is back: so is the rig's CA, byte for byte, for the
	// tests that follow (the system certs.d folders are shared).
	exported.must("", fullHelper(), "install", "--trust-ca")
	if got, _ := os.ReadFile(bundle); string(got) != string(first) {
		t.Fatal("the bundle did not come back to the rig's CA")
	}
}

// plainHTTPGitea serves the rig's Gitea over plain http, as a cluster made
// with `idpbuilder create --protocol http` does: a reverse proxy to the
// HTTPS Gitea whose Bearer realm is rewritten to the proxy's own URL. It
// returns the registry host clients use for it.
func plainHTTPGitea(t *testing.T) string {
	t.Helper()
	r := theRig
	ca, err := os.ReadFile(filepath.Join(r.dir, "tls", "tls.crt"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca)
	target := &url.URL{Scheme: "https", Host: r.registry}
	var front string
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Host = target.Host
		},
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}},
		ModifyResponse: func(resp *http.Response) error {
			if h := resp.Header.Get("WWW-Authenticate"); h != "" {
				resp.Header.Set("WWW-Authenticate", strings.ReplaceAll(h, "https://"+r.registry, "http://"+front))
			}
			return nil
		},
	}
	srv := httptest.NewServer(proxy)
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	front = "gitea.cnoe.localtest.me:" + port
	return front
}

// TestHabitsInstallHTTPCluster: a Localbuild of `idpbuilder create
// --protocol http` gives an entry with "protocol": "http" and git set up
// for http://HOST, with no CA; real git asks the helper for the http URL,
// and status checks the registry over http (item 8).
func TestHabitsInstallHTTPCluster(t *testing.T) {
	r := theRig
	host := plainHTTPGitea(t)
	_, port, _ := net.SplitHostPort(host)
	patchLocalbuild(t, `{"protocol":"http","port":"`+port+`"}`)
	u := r.newUser(t, "GIT_TERMINAL_PROMPT=0")
	res := u.must("", fullHelper(), "install", "--trust-ca")
	t.Cleanup(func() { u.helper("", "uninstall") })
	if !strings.Contains(res.stdout, host+" is served over plain http: --trust-ca has no CA to write for it") {
		t.Fatalf("install output:\n%s", res.stdout)
	}
	if e := registryEntry(t, u, host); e["protocol"] != "http" {
		t.Fatalf("entry %v", e)
	}
	git := func(args ...string) result {
		return u.run("", "git", append([]string{"config", "--global"}, args...)...)
	}
	if got := git("--get-all", "credential.http://"+host+".helper").stdout; got != "\n!docker-credential-idpbuilder git\n" {
		t.Fatalf("credential.http://%s.helper = %q", host, got)
	}
	if got := git("--get-regexp", `^(http\.|credential\.https:)`).stdout; got != "" {
		t.Fatalf("https or sslCAInfo settings written: %q", got)
	}
	fill := u.run("protocol=http\nhost="+host+"\n\n", "git", "credential", "fill")
	if fill.code != 0 || !strings.Contains(fill.stdout, "username=giteaAdmin\n") || !strings.Contains(fill.stdout, "password="+r.canary+"\n") {
		t.Fatalf("git credential fill for http://%s: exit %d (answer not shown: it holds the password), stderr %q", host, fill.code, fill.stderr)
	}

	st, res := u.status()
	if res.code != 0 || len(failing(st)) != 0 {
		t.Fatalf("status of the http registry: exit %d, failing %v\n%s", res.code, failing(st), res.stdout)
	}
	for _, c := range st.Registries[0].Checks {
		if c.Name == "registry" && c.Detail != "http://"+host+"/v2/ answers" {
			t.Fatalf("registry check: %+v", c)
		}
	}
}

// TestHabitsInstallContainersKeyForms: podman and skopeo also read auths
// keys such as HOST/namespace and https://HOST. status names them, install
// removes the cluster's own credential under any form, and takes a
// registry over from someone else's only when --registry names it; real
// skopeo pushes after that (item 11).
func TestHabitsInstallContainersKeyForms(t *testing.T) {
	r := theRig
	u := installed(t)
	u = u.with("SSL_CERT_FILE=" + filepath.Join(u.home, ".config", "docker-credential-idpbuilder", "ca-bundle.pem"))
	authFile := filepath.Join(u.home, "run", "containers", "auth.json")
	writeAuth := func(auths string) {
		t.Helper()
		os.MkdirAll(filepath.Dir(authFile), 0o700)
		if err := os.WriteFile(authFile, []byte(`{"auths": {`+auths+`}}`), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	shadow := func() string {
		t.Helper()
		st, _ := u.status()
		return failing(st)["containers auth"]
	}

	// The doc's login habit, in the legacy URL form: removed by install.
	writeAuth(`"https://` + r.registry + `": {"auth": "` + rigAuth() + `"}`)
	if f := shadow(); !strings.Contains(f, "auths[https://"+r.registry+"]") {
		t.Fatalf("status did not see the https:// key: %q", f)
	}
	res := u.must("", fullHelper(), "install")
	if !strings.Contains(res.stdout, "removed the stored password auths[https://"+r.registry+"]") {
		t.Fatalf("install output:\n%s", res.stdout)
	}
	if f := shadow(); f != "" {
		t.Fatalf("still shadowed after install: %q", f)
	}

	// A wrong password for the namespace, as `podman login HOST/giteaadmin`
	// leaves it: skopeo uses it, and fails.
	repo := r.registry + "/giteaadmin/keyforms"
	work := t.TempDir()
	u.must("", "crane", "append", "-f", layerTar(t, work, "key forms "+randomHex(4)), "-t", repo+":crane")
	layout := filepath.Join(work, "oci")
	u.must("", "crane", "pull", "--format", "oci", repo+":crane", layout)
	os.Remove(authFile)
	writeAuth(`"` + r.registry + `/giteaadmin": {"auth": "` + base64.StdEncoding.EncodeToString([]byte("giteaAdmin:not-the-password")) + `"}`)
	if res := u.run("", "skopeo", "copy", "oci:"+layout, "docker://"+repo+":skopeo"); res.code == 0 {
		t.Fatal("skopeo pushed with the namespace key's wrong password: the key form is not what skopeo reads")
	}
	if f := shadow(); !strings.Contains(f, "auths["+r.registry+"/giteaadmin]") {
		t.Fatalf("status did not see the namespace key: %q", f)
	}
	// Not the cluster's credential: install leaves the registry alone...
	res = u.run("", fullHelper(), "install")
	if res.code != 1 || !strings.Contains(res.stdout, "auths["+r.registry+"/giteaadmin], a credential that is not the cluster's") {
		t.Fatalf("install: %+v", res)
	}
	// ...unless named: the file then names the helper, which skopeo reads
	// first, and the user's entry stays.
	res = u.must("", fullHelper(), "install", "--registry", r.registry)
	if !strings.Contains(res.stdout, "taking the registry over") {
		t.Fatalf("install --registry:\n%s", res.stdout)
	}
	u.must("", "skopeo", "copy", "oci:"+layout, "docker://"+repo+":skopeo")
	if data, _ := os.ReadFile(authFile); !strings.Contains(string(data), r.registry+"/giteaadmin") {
		t.Fatalf("the user's entry was removed: %s", data)
	}
	if f := shadow(); f != "" {
		t.Fatalf("still shadowed after install --registry: %q", f)
	}
}
