package install

import (
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/config"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/fakes"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/gitconfig"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
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

// httpStatusRig installs a path-routed http cluster whose registry is a
// plain-HTTP httptest server answering as Gitea does.
func httpStatusRig(t *testing.T, registryPassword string) (*rig, *httptest.Server, string) {
	t.Helper()
	srv := giteaLike(t, registryPassword, httptest.NewServer)
	host, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	r := newRig(t, installCluster(&fakes.Cluster{Builds: []idpbuilder.Localbuild{{Name: "localdev", Protocol: "http", Host: host, Port: port, UsePathRouting: true}}}))
	if err := r.in.Install(Options{Git: true}); err != nil {
		t.Fatalf("install: %v\n%s", err, r.out)
	}
	return r, srv, net.JoinHostPort(host, port)
}

func TestStatusProbesAnHTTPRegistryOverHTTP(t *testing.T) {
	requireGit(t)
	r, _, host := httpStatusRig(t, "install-secret-0123456789")
	_, st := statusFor(t, r, host)
	for _, c := range st.Checks {
		if !c.OK {
			t.Errorf("check %s failed: %s", c.Name, c.Detail)
		}
	}
	if c := checkOf(t, st, "registry"); c.Detail != "http://"+host+"/v2/ answers" {
		t.Errorf("registry check: %+v", c)
	}
	if c := checkOf(t, st, "tls"); !strings.Contains(c.Detail, "plain http") {
		t.Errorf("tls check: %+v", c)
	}
	if c := checkOf(t, st, "git"); !strings.Contains(c.Detail, "credential.http://"+host+".helper") {
		t.Errorf("git check: %+v", c)
	}
	if !st.Usable || checkOf(t, st, "login").Detail != "the registry accepts the credentials of giteaAdmin" {
		t.Fatalf("status: %+v", st)
	}
}

func TestStatusOfAnHTTPRegistryRejectingOrDown(t *testing.T) {
	r, srv, host := httpStatusRig(t, "another-password")
	_, st := statusFor(t, r, host)
	if c := checkOf(t, st, "login"); c.OK || !strings.Contains(c.Detail, "rejects the credentials") || !strings.Contains(c.Fix, "docker logout "+host) || st.Usable {
		t.Fatalf("login check: %+v", c)
	}
	srv.Close()
	_, st = statusFor(t, r, host)
	if c := checkOf(t, st, "registry"); c.OK || !c.Blocking || !strings.Contains(c.Detail, "http://"+host+" unreachable") {
		t.Fatalf("registry check with the server down: %+v", c)
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
