package install

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/cli"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/clusterid"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/companion"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/config"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
	"github.com/cnoe-io/docker-credential-idpbuilder/test/fakes"
)

// installCluster is the shared fake cluster with install's fingerprint and
// secret.
func installCluster(c *fakes.Cluster) *fakes.Cluster {
	c.FP = "fp"
	c.Creds = idpbuilder.Credentials{Username: "giteaAdmin", Password: "install-secret-0123456789"}
	return c
}

func selfSignedPEM(t *testing.T) string {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "cnoe.localtest.me"},
		DNSNames: []string{"cnoe.localtest.me", "*.cnoe.localtest.me"}, IsCA: true, BasicConstraintsValid: true,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

type rig struct {
	home, root string
	in         *Installer
	out        *bytes.Buffer
	cache      *fakes.Cache
	cluster    *fakes.Cluster
}

func newRig(t *testing.T, kc *fakes.Cluster) *rig {
	home, root := t.TempDir(), t.TempDir()
	env := map[string]string{"HOME": home, "XDG_CONFIG_HOME": filepath.Join(home, ".config"), "XDG_RUNTIME_DIR": filepath.Join(home, "run")}
	out := &bytes.Buffer{}
	cache := fakes.NewCache()
	in := &Installer{
		Getenv:     func(k string) string { return env[k] },
		Resolve:    func(string, string) (Cluster, error) { return kc, nil },
		LookPath:   func(string) (string, error) { return "/usr/local/bin/docker-credential-idpbuilder", nil },
		Cache:      cache,
		Settings:   config.DefaultSettings(),
		SystemRoot: root,
		Out:        out,
	}
	return &rig{home: home, root: root, in: in, out: out, cache: cache, cluster: kc}
}

func read(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestInstallAndUninstall(t *testing.T) {
	ca := selfSignedPEM(t)
	r := newRig(t, installCluster(&fakes.Cluster{Builds: []idpbuilder.Localbuild{{Name: "localdev", Protocol: "https", Host: "cnoe.localtest.me", Port: "8443", SelfSignedCert: ca}}}))
	dockerCfg := filepath.Join(r.home, ".docker", "config.json")
	os.MkdirAll(filepath.Dir(dockerCfg), 0o700)
	original := "{\n\t\"auths\": {\n\t\t\"ghcr.io\": {\n\t\t\t\"auth\": \"eDp5\"\n\t\t}\n\t},\n\t\"credsStore\": \"desktop\"\n}"
	os.WriteFile(dockerCfg, []byte(original), 0o600)
	podmanAuth := filepath.Join(r.home, "run", "containers", "auth.json")
	os.MkdirAll(filepath.Dir(podmanAuth), 0o700)
	// What `podman login` with the cluster's password leaves.
	os.WriteFile(podmanAuth, []byte(`{"auths":{"gitea.cnoe.localtest.me:8443":{"auth":"`+clusterAuth+`"}}}`), 0o600)

	if err := r.in.Install(Options{TrustCA: true}); err != nil {
		t.Fatalf("Install: %v\n%s", err, r.out)
	}
	const host = "gitea.cnoe.localtest.me:8443"
	if cfg := read(t, dockerCfg); !strings.Contains(cfg, `"`+host+`": "idpbuilder"`) || !strings.Contains(cfg, `"credsStore": "desktop"`) {
		t.Fatalf("docker config: %s", cfg)
	}
	if a := read(t, podmanAuth); strings.Contains(a, clusterAuth) || !strings.Contains(a, `"idpbuilder"`) {
		t.Fatalf("containers auth still shadows us: %s", a)
	}
	tbl, err := config.Load(filepath.Join(r.home, ".config", "docker-credential-idpbuilder", "config.json"))
	if err != nil || !tbl.FromFile || tbl.Registries[host].Context != "kind-localdev" {
		t.Fatalf("helper config: %+v, %v", tbl, err)
	}
	if e := r.cache.Entries[host]; e.Secret != "install-secret-0123456789" || e.Fingerprint != "fp" {
		t.Fatalf("cache not primed: %+v", e)
	}
	// The cluster was resolved with no --context; a get names it by the
	// context recorded, and must find what install cached.
	if e, reg := r.cache.Entries[host], tbl.Registries[host]; !e.Cluster.Unchanged(clusterid.Inputs(reg.Kubeconfig, reg.Context, r.in.Getenv)) {
		t.Fatalf("the primed entry is not the cluster a get resolves: inputs %q", e.Cluster.Inputs)
	}
	for _, p := range []string{
		filepath.Join(r.home, ".config", "containers", "certs.d", host, "ca.crt"),
		filepath.Join(r.home, ".docker", "certs.d", host, "ca.crt"),
		filepath.Join(r.root, "etc", "docker", "certs.d", host, "ca.crt"),
		filepath.Join(r.root, "etc", "containers", "certs.d", host, "ca.crt"),
	} {
		if got := read(t, p); got != ca {
			t.Fatalf("%s = %q", p, got)
		}
	}
	bundle := read(t, filepath.Join(r.home, ".config", "docker-credential-idpbuilder", "ca-bundle.pem"))
	if !strings.HasSuffix(bundle, ca) {
		t.Fatal("the CA bundle lacks the cluster CA")
	}
	if strings.Contains(r.out.String(), "install-secret") {
		t.Fatal("install printed the password")
	}
	if !strings.Contains(r.out.String(), "SSL_CERT_FILE=") {
		t.Fatalf("no SSL_CERT_FILE hint:\n%s", r.out)
	}

	// Idempotent: a second run changes nothing and says so.
	r.out.Reset()
	if err := r.in.Install(Options{TrustCA: true}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(r.out.String(), "changed") {
		t.Fatalf("second install changed something:\n%s", r.out)
	}
	if !strings.Contains(r.out.String(), "already set") {
		t.Fatalf("second install output:\n%s", r.out)
	}

	// Uninstall restores the docker config byte for byte and removes our files.
	r.out.Reset()
	if err := r.in.Uninstall(Options{}); err != nil {
		t.Fatal(err)
	}
	if got := read(t, dockerCfg); got != original {
		t.Fatalf("docker config after uninstall:\n%s\nwant\n%s", got, original)
	}
	if _, err := os.Stat(filepath.Join(r.root, "etc", "docker", "certs.d", host)); !os.IsNotExist(err) {
		t.Fatal("uninstall left the CA folder")
	}
	if _, err := os.Stat(filepath.Join(r.home, ".config", "docker-credential-idpbuilder")); !os.IsNotExist(err) {
		t.Fatal("uninstall left the helper config folder")
	}
	if len(r.cache.Entries) != 0 {
		t.Fatalf("uninstall left keyring entries: %v", r.cache.Entries)
	}
	// And twice is safe.
	if err := r.in.Uninstall(Options{}); err != nil {
		t.Fatal(err)
	}
}

func TestInstallDryRunWritesNothing(t *testing.T) {
	r := newRig(t, installCluster(&fakes.Cluster{BuildsErr: idpbuilder.ErrNoLocalbuildResource}))
	if err := r.in.Install(Options{DryRun: true}); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(r.home)
	if len(entries) != 0 || len(r.cache.Entries) != 0 {
		t.Fatalf("dry run wrote %v, cached %v", entries, r.cache.Entries)
	}
	if !strings.Contains(r.out.String(), "would change") || !strings.Contains(r.out.String(), "no Localbuild resource") {
		t.Fatalf("dry run output:\n%s", r.out)
	}
}

func TestInstallStopsWhenTheSecretIsUnreadable(t *testing.T) {
	r := newRig(t, installCluster(&fakes.Cluster{SecretErr: errors.New("forbidden: nope")}))
	dockerCfg := filepath.Join(r.home, ".docker", "config.json")
	if err := r.in.Install(Options{}); err == nil || !strings.Contains(err.Error(), "forbidden") {
		t.Fatalf("Install = %v", err)
	}
	if _, err := os.Stat(dockerCfg); !os.IsNotExist(err) {
		t.Fatal("docker config written although the secret is unreadable")
	}
}

func TestInstallLeavesACorruptDockerConfig(t *testing.T) {
	r := newRig(t, installCluster(&fakes.Cluster{}))
	dockerCfg := filepath.Join(r.home, ".docker", "config.json")
	os.MkdirAll(filepath.Dir(dockerCfg), 0o700)
	os.WriteFile(dockerCfg, []byte("{oops"), 0o600)
	err := r.in.Install(Options{})
	if err == nil || !strings.Contains(err.Error(), "left untouched") {
		t.Fatalf("Install = %v", err)
	}
	if read(t, dockerCfg) != "{oops" {
		t.Fatal("corrupt config was changed")
	}
}

func TestRegistryHosts(t *testing.T) {
	tests := []struct {
		lb   idpbuilder.Localbuild
		want string
	}{
		{idpbuilder.Localbuild{}, "gitea.cnoe.localtest.me:8443"},
		{idpbuilder.Localbuild{Host: "cnoe.localtest.me", Port: "8443", Protocol: "https"}, "gitea.cnoe.localtest.me:8443"},
		{idpbuilder.Localbuild{Host: "My.Host", Port: "9443"}, "gitea.my.host:9443"},
		{idpbuilder.Localbuild{Host: "cnoe.localtest.me", Port: "8443", UsePathRouting: true}, "cnoe.localtest.me:8443"},
		{idpbuilder.Localbuild{Host: "a.example", IngressHost: "b.example", Port: "8443"}, "gitea.a.example:8443 gitea.b.example:8443"},
		{idpbuilder.Localbuild{Host: "a.example", IngressHost: "A.example", Port: "8443"}, "gitea.a.example:8443"},
		{idpbuilder.Localbuild{Host: "a.example", Port: "443", Protocol: "https"}, "gitea.a.example"},
	}
	for _, tt := range tests {
		if got := strings.Join(RegistryHosts(tt.lb), " "); got != tt.want {
			t.Errorf("RegistryHosts(%+v) = %q, want %q", tt.lb, got, tt.want)
		}
	}
}

// Re-running install with another context changes where the entry reads
// from, and keeps what else it records: the namespace and secret (set with
// refresh), the protocol. The recorded secret is the one install reads.
func TestReinstallWithAnotherContextKeepsTheEntry(t *testing.T) {
	const found, byHand = "gitea.cnoe.localtest.me:8443", "registry.example:5000"
	kc := installCluster(&fakes.Cluster{ContextName: "kind-other", Builds: []idpbuilder.Localbuild{{Name: "localdev", Host: "cnoe.localtest.me", Port: "8443"}}})
	r := newRig(t, kc)
	tablePath := filepath.Join(r.home, ".config", "docker-credential-idpbuilder", "config.json")
	kept := config.Registry{Context: "kind-localdev", Namespace: "idp", Secret: "registry-cred", Protocol: "http"}
	if _, _, err := config.Update(tablePath, false, func(old *config.Table) (bool, error) {
		old.Registries = map[string]config.Registry{found: kept, byHand: kept}
		return true, nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := r.in.Install(Options{Context: "kind-other", Registries: []string{byHand}}); err != nil {
		t.Fatalf("Install: %v\n%s", err, r.out)
	}
	tbl, err := config.Load(tablePath)
	if err != nil {
		t.Fatal(err)
	}
	want := kept
	want.Context = "kind-other"
	for _, h := range []string{found, byHand} {
		if got := tbl.Registries[h]; got != want {
			t.Errorf("entry %s = %+v, want %+v", h, got, want)
		}
	}
	// Install's check and the cache priming both read the recorded secret.
	for _, s := range kc.SecretsRead {
		if s != "idp/registry-cred" {
			t.Errorf("secrets read: %v", kc.SecretsRead)
		}
	}
}

// A table get refuses (a relative kubeconfig path, written by an older
// version) must not stop the user from undoing install.
func TestUninstallUndoesATableGetRefuses(t *testing.T) {
	r := newRig(t, installCluster(&fakes.Cluster{}))
	if err := r.in.Install(Options{}); err != nil {
		t.Fatal(err)
	}
	table := filepath.Join(r.home, ".config", "docker-credential-idpbuilder", "config.json")
	os.WriteFile(table, []byte(`{"registries":{"gitea.cnoe.localtest.me:8443":{"kubeconfig":"kubeconfig"}}}`), 0o600)
	if _, err := config.Load(table); err == nil {
		t.Fatal("config.Load accepted a relative kubeconfig path; this test needs a table it refuses")
	}
	if err := r.in.Uninstall(Options{}); err != nil {
		t.Fatalf("uninstall: %v", err)
	}
	if _, err := os.Stat(table); !os.IsNotExist(err) {
		t.Fatalf("the table is still there: %v", err)
	}
	if cfg := read(t, filepath.Join(r.home, ".docker", "config.json")); strings.Contains(cfg, "idpbuilder") {
		t.Fatalf("docker config still names the helper: %s", cfg)
	}
}

// Install's last step says where docker finds the helper, or why it
// cannot and what to do; status shows the same problem and fix.
func TestInstallChecksThePath(t *testing.T) {
	r := newRig(t, installCluster(&fakes.Cluster{}))
	if err := r.in.Install(Options{}); err != nil || !strings.Contains(r.out.String(), "helper on PATH: /usr/local/bin/docker-credential-idpbuilder") {
		t.Fatalf("Install = %v\n%s", err, r.out)
	}
	for _, tt := range []struct {
		name              string
		lookPath, program error
		problem, fix      string
	}{
		{"not on PATH", os.ErrNotExist, nil, cli.Name + " is not on PATH", "export PATH="},
		{"no companion", nil, errors.New("no companion here"), "no companion here", "install " + companion.Program + " beside " + cli.Name},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r.in.LookPath = func(string) (string, error) { return "/bin/" + cli.Name, tt.lookPath }
			r.in.FindProgram = func(string) (string, error) { return "", tt.program }
			_, err := r.in.FindHelper()
			var pe *PathError
			if !errors.As(err, &pe) || !strings.Contains(pe.Problem, tt.problem) || !strings.Contains(pe.Fix, tt.fix) {
				t.Fatalf("FindHelper = %v", err)
			}
			r.out.Reset()
			if err := r.in.Install(Options{}); err != nil || !strings.Contains(r.out.String(), "warning      "+pe.Error()+"\n") {
				t.Fatalf("Install = %v\n%s", err, r.out)
			}
		})
	}
}
