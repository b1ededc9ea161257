package install

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/config"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
	"github.com/cnoe-io/docker-credential-idpbuilder/test/fakes"
)

// snapshot records every file and folder under the rig's HOME and system
// root, with file contents, so a test can prove nothing was written.
func (r *rig) snapshot(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, dir := range []string{r.home, r.root} {
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				out[p] = "dir"
				return nil
			}
			data, _ := os.ReadFile(p)
			out[p] = string(data)
			return nil
		})
	}
	return out
}

func sameSnapshot(t *testing.T, before, after map[string]string) {
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

func TestInstallRefusesAHostileLocalbuild(t *testing.T) {
	requireGit(t)
	tests := []struct {
		name        string
		lb          idpbuilder.Localbuild
		field, want string
	}{
		{"port climbing out of certs.d", idpbuilder.Localbuild{Port: "8443/../../x"}, "port", `"8443/../../x"`},
		{"port zero", idpbuilder.Localbuild{Port: "0"}, "port", `"0"`},
		{"port too large", idpbuilder.Localbuild{Port: "65536"}, "port", `"65536"`},
		{"port with a sign", idpbuilder.Localbuild{Port: "+8443"}, "port", `"+8443"`},
		{"port with a leading zero", idpbuilder.Localbuild{Port: "08443"}, "port", `"08443"`},
		{"ingress host with a space", idpbuilder.Localbuild{IngressHost: "idp example"}, "ingressHost", `"idp example"`},
		{"host with a port", idpbuilder.Localbuild{Host: "a.example:1"}, "host", `"a.example:1"`},
		{"host with a path", idpbuilder.Localbuild{Host: "a.example/../x"}, "host", `"a.example/../x"`},
		{"host with an empty label", idpbuilder.Localbuild{Host: "a..example"}, "host", `"a..example"`},
		{"host of dots", idpbuilder.Localbuild{Host: ".."}, "host", `".."`},
		{"host with a newline", idpbuilder.Localbuild{Host: "a.example\nx"}, "host", `"a.example\nx"`},
		{"protocol", idpbuilder.Localbuild{Protocol: "ftp"}, "protocol", `"ftp"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.lb.Name = "localdev"
			tt.lb.SelfSignedCert = selfSignedPEM(t)
			r := newRig(t, installCluster(&fakes.Cluster{Builds: []idpbuilder.Localbuild{tt.lb}}))
			before := r.snapshot(t)
			err := r.in.Install(Options{TrustCA: true, Git: true})
			if err == nil || !strings.Contains(err.Error(), "spec.buildCustomization."+tt.field+" is "+tt.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("Install = %v", err)
			}
			sameSnapshot(t, before, r.snapshot(t))
			if len(r.cache.Entries) != 0 {
				t.Fatalf("cached %v", r.cache.Entries)
			}
		})
	}
}

func TestCheckRegistry(t *testing.T) {
	for _, ok := range []string{"gitea.cnoe.localtest.me:8443", "ghcr.io", "127.0.0.1:5000", "[::1]:5000", "my_host:1"} {
		if _, err := config.Normalize(ok); err != nil {
			t.Errorf("Normalize(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"..", "..:8443", ".", "a..b:1", "h:0", "h:65536", "h:08443", ".h"} {
		if _, err := config.Normalize(bad); err == nil {
			t.Errorf("Normalize(%q) accepted it", bad)
		}
	}
}

func TestInstallRefusesARegistryNameThatIsNotAFolderName(t *testing.T) {
	r := newRig(t, installCluster(&fakes.Cluster{BuildsErr: idpbuilder.ErrNoLocalbuildResource}))
	before := r.snapshot(t)
	if err := r.in.Install(Options{TrustCA: true, Registries: []string{".."}}); err == nil || !strings.Contains(err.Error(), "--registry") {
		t.Fatalf("Install = %v", err)
	}
	sameSnapshot(t, before, r.snapshot(t))
}

func TestCertsDFileStaysUnderItsFolder(t *testing.T) {
	if p, err := certsDFile("/etc/docker/certs.d", "gitea.cnoe.localtest.me:8443"); err != nil || p != "/etc/docker/certs.d/gitea.cnoe.localtest.me:8443/ca.crt" {
		t.Fatalf("certsDFile = %q, %v", p, err)
	}
	for _, bad := range []string{"", ".", "..", "gitea.cnoe.localtest.me:8443/../../x", "a/b", `a\b`} {
		if p, err := certsDFile("/etc/docker/certs.d", bad); err == nil {
			t.Errorf("certsDFile(%q) = %q", bad, p)
		}
	}
}
