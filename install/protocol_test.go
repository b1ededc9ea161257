package install

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/config"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/gitconfig"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
	"github.com/cnoe-io/docker-credential-idpbuilder/test/fakes"
)

// A cluster made with `idpbuilder create --protocol http`: install records
// the protocol, gives git the helper for http://HOST with no CA, and
// --trust-ca says there is no CA to write.
func TestInstallRecordsAnHTTPCluster(t *testing.T) {
	requireGit(t)
	for _, tt := range []struct{ port, host string }{
		{"8080", "gitea.cnoe.localtest.me:8080"},
		{"80", "gitea.cnoe.localtest.me"}, // the default port of http
	} {
		t.Run(tt.port, func(t *testing.T) {
			kc := installCluster(&fakes.Cluster{Builds: []idpbuilder.Localbuild{{Name: "localdev", Protocol: "http", Host: "cnoe.localtest.me", Port: tt.port, SelfSignedCert: selfSignedPEM(t)}}})
			r := newRig(t, kc)
			if err := r.in.Install(Options{TrustCA: true, Git: true}); err != nil {
				t.Fatalf("Install: %v\n%s", err, r.out)
			}
			tbl, err := config.Load(r.helperConfig())
			if err != nil || tbl.Registries[tt.host].Protocol != "http" {
				t.Fatalf("table %+v, %v", tbl, err)
			}
			if data := read(t, r.helperConfig()); !strings.Contains(data, `"protocol": "http"`) {
				t.Fatalf("helper config:\n%s", data)
			}
			key := "credential.http://" + tt.host + ".helper"
			if got := r.gitGlobal(t, "--get-all", key); got != "\n"+gitconfig.Helper+"\n" {
				t.Fatalf("%s = %q\n%s", key, got, r.out)
			}
			if got := r.gitGlobal(t, "--get-regexp", `^(http\.|credential\.https:)`); got != "" {
				t.Fatalf("git config has https or sslCAInfo settings: %q", got)
			}
			if got := r.gitGlobal(t, "--get-urlmatch", "credential.helper", "http://"+tt.host+"/giteaAdmin/r.git"); got != gitconfig.Helper+"\n" {
				t.Fatalf("urlmatch = %q", got)
			}
			if !strings.Contains(r.out.String(), tt.host+" is served over plain http: --trust-ca has no CA to write for it") {
				t.Fatalf("output:\n%s", r.out)
			}
			if len(tbl.Installed) != 0 {
				t.Fatalf("CA files written for an http registry: %v", tbl.Installed)
			}
			if ok, _ := r.gitHelperFor(t, tt.host, "http"); !ok {
				t.Fatalf("git's helper for http://%s is not set", tt.host)
			}

			// The Localbuild now says https: it is the authority on its
			// protocol, so the entry follows.
			kc.Builds[0].Protocol = "https"
			if err := r.in.Install(Options{}); err != nil {
				t.Fatal(err)
			}
			now := RegistryHosts(kc.Builds[0])[0]
			if tbl, err := config.Load(r.helperConfig()); err != nil || tbl.Registries[now].Protocol != "" || tbl.Registries[now].Context == "" {
				t.Errorf("entry %s after the Localbuild said https: %+v (%v)", now, tbl.Registries[now], err)
			}
		})
	}
}

// The Localbuild of an http cluster needs no self-signed CA.
func TestInstallTrustCAWithOnlyHTTPHostsNeedsNoCA(t *testing.T) {
	r := newRig(t, installCluster(&fakes.Cluster{Builds: []idpbuilder.Localbuild{{Name: "localdev", Protocol: "http", Port: "8080"}}}))
	if err := r.in.Install(Options{TrustCA: true}); err != nil {
		t.Fatalf("Install: %v\n%s", err, r.out)
	}
	if _, err := os.Stat(filepath.Join(r.home, ".config", "docker-credential-idpbuilder", "ca-bundle.pem")); !os.IsNotExist(err) {
		t.Fatal("a CA bundle was written for an http registry")
	}
}
