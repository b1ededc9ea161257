package install

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/config"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
	"github.com/cnoe-io/docker-credential-idpbuilder/test/fakes"
)

// setenv overrides one variable of the rig's environment.
func (r *rig) setenv(k, v string) {
	prev := r.in.Getenv
	r.in.Getenv = func(name string) string {
		if name == k {
			return v
		}
		return prev(name)
	}
}

func TestCABundleIsSystemRootsPlusTheCurrentClusterCA(t *testing.T) {
	systemCA, ca1, ca2 := selfSignedPEM(t), selfSignedPEM(t), selfSignedPEM(t)
	kc := installCluster(&fakes.Cluster{Builds: []idpbuilder.Localbuild{{Name: "localdev", Host: "cnoe.localtest.me", Port: "8443", SelfSignedCert: ca1}}})
	r := newRig(t, kc)
	writeFile(t, filepath.Join(r.root, "etc", "ssl", "certs", "ca-certificates.crt"), systemCA)
	helperDir := filepath.Join(r.home, ".config", "docker-credential-idpbuilder")
	bundle := filepath.Join(helperDir, "ca-bundle.pem")
	certsD := filepath.Join(r.home, ".config", "containers", "certs.d", "gitea.cnoe.localtest.me:8443", "ca.crt")
	install := func(when string) string {
		t.Helper()
		r.out.Reset()
		if err := r.in.Install(Options{TrustCA: true}); err != nil {
			t.Fatalf("%s: Install: %v\n%s", when, err, r.out)
		}
		return r.out.String()
	}

	install("first run")
	first := read(t, bundle)
	if first != systemCA+ca1 {
		t.Fatalf("bundle after the first run:\n%s", first)
	}

	// The user exported SSL_CERT_FILE as install said: twice in a row
	// changes nothing, byte for byte.
	r.setenv("SSL_CERT_FILE", bundle)
	for _, when := range []string{"second run", "third run"} {
		out := install(when)
		if got := read(t, bundle); got != first {
			t.Fatalf("%s: the bundle changed:\n%s", when, got)
		}
		if !strings.Contains(out, bundle+": already in place") || strings.Contains(out, "changed") {
			t.Fatalf("%s output:\n%s", when, out)
		}
	}
	// A copy of the bundle elsewhere holds the cluster CA: not the roots.
	elsewhere := filepath.Join(r.home, "my-bundle.pem")
	writeFile(t, elsewhere, first)
	r.setenv("SSL_CERT_FILE", elsewhere)
	install("with a copy of the bundle")
	if got := read(t, bundle); got != first {
		t.Fatalf("a copy of the bundle fed itself:\n%s", got)
	}

	// The cluster is recreated with a new CA: it replaces the old one
	// everywhere, and the old copy in SSL_CERT_FILE is not taken as roots.
	kc.Builds[0].SelfSignedCert = ca2
	r.setenv("SSL_CERT_FILE", elsewhere)
	install("new cluster CA")
	if got := read(t, bundle); got != systemCA+ca2 {
		t.Fatalf("bundle after the CA changed:\n%s", got)
	}
	if got := read(t, certsD); got != ca2 {
		t.Fatalf("%s = %q", certsD, got)
	}
	if got := read(t, filepath.Join(helperDir, "ca.crt")); got != ca2 {
		t.Fatal("the CA copy for git was not replaced")
	}

	// SSL_CERT_FILE naming the user's own roots is honoured.
	mine := filepath.Join(r.home, "corporate-roots.pem")
	corporate := selfSignedPEM(t)
	writeFile(t, mine, corporate)
	r.setenv("SSL_CERT_FILE", mine)
	install("with the user's own roots")
	if got := read(t, bundle); got != corporate+ca2 {
		t.Fatalf("bundle with SSL_CERT_FILE=%s:\n%s", mine, got)
	}
}

func TestSamePathFollowsLinks(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "bundle.pem")
	os.WriteFile(f, []byte("x"), 0o600)
	os.Symlink(f, filepath.Join(dir, "link.pem"))
	if !samePath(filepath.Join(dir, "link.pem"), f) || !samePath(dir+"/./bundle.pem", f) || samePath(filepath.Join(dir, "other"), f) {
		t.Fatal("samePath")
	}
}

// --trust-ca with an https registry and a Localbuild without a usable CA
// stops install before anything is written.
func TestInstallTrustCAWithoutACAWritesNothing(t *testing.T) {
	for name, ca := range map[string]string{"none": "", "not PEM": "junk", "a key": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"} {
		t.Run(name, func(t *testing.T) {
			r := newRig(t, installCluster(&fakes.Cluster{Builds: []idpbuilder.Localbuild{{Name: "localdev", SelfSignedCert: ca}}}))
			before := r.snapshot(t)
			err := r.in.Install(Options{TrustCA: true, Git: true})
			if err == nil || !strings.Contains(err.Error(), "selfSignedCert") {
				t.Fatalf("Install = %v\n%s", err, r.out)
			}
			sameSnapshot(t, before, r.snapshot(t))
		})
	}
}

// A CA file that cannot be written stops install, and the table still
// lists the files written before it, so uninstall removes them.
func TestInstallRecordsTheCAFilesWrittenBeforeAFailure(t *testing.T) {
	r := newRig(t, localbuild(t))
	writeFile(t, filepath.Join(r.home, ".config", "docker"), "a file where rootless dockerd's folder goes")
	if err := r.in.Install(Options{TrustCA: true}); err == nil {
		t.Fatalf("Install succeeded\n%s", r.out)
	}
	tbl, err := config.Load(r.helperConfig())
	if err != nil {
		t.Fatal(err)
	}
	written := filepath.Join(r.home, ".config", "containers", "certs.d", gitHost, "ca.crt")
	if !slices.Contains(tbl.Installed, written) {
		t.Fatalf("the table does not list %s: %q", written, tbl.Installed)
	}
	if err := r.in.Uninstall(Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(written); !os.IsNotExist(err) {
		t.Fatalf("uninstall left %s", written)
	}
}
