package install

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
	"github.com/cnoe-io/docker-credential-idpbuilder/test/fakes"
)

func TestInstallTrustsTheCAInBuildxDefaultConfig(t *testing.T) {
	userOwn := "# my settings\ndebug = true\n\n[registry.\"docker.io\"]\n  mirrors = [\"mirror.gcr.io\"]\n"
	tests := []struct {
		name string
		// env adds to the rig's environment; file is where buildx reads.
		env  map[string]string
		file func(r *rig) string
		// before is the file's content before install; "" means no file.
		before string
	}{
		{name: "no file yet", file: func(r *rig) string { return filepath.Join(r.home, ".docker", "buildx", "buildkitd.default.toml") }},
		{name: "the user's own settings", before: userOwn,
			file: func(r *rig) string { return filepath.Join(r.home, ".docker", "buildx", "buildkitd.default.toml") }},
		{name: "BUILDX_CONFIG wins", env: map[string]string{"BUILDX_CONFIG": "bx", "DOCKER_CONFIG": "dc"}, before: userOwn,
			file: func(r *rig) string { return filepath.Join(r.home, "bx", "buildkitd.default.toml") }},
		{name: "DOCKER_CONFIG", env: map[string]string{"DOCKER_CONFIG": "dc"},
			file: func(r *rig) string { return filepath.Join(r.home, "dc", "buildx", "buildkitd.default.toml") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ca := selfSignedPEM(t)
			r := newRig(t, installCluster(&fakes.Cluster{Builds: []idpbuilder.Localbuild{{Name: "localdev", Host: "cnoe.localtest.me", Port: "8443", SelfSignedCert: ca}}}))
			for k, v := range tt.env {
				r.setenv(k, filepath.Join(r.home, v))
			}
			path := tt.file(r)
			if tt.before != "" {
				writeFile(t, path, tt.before)
			}
			if err := r.in.Install(Options{TrustCA: true}); err != nil {
				t.Fatalf("Install: %v\n%s", err, r.out)
			}
			caFile := filepath.Join(r.home, ".config", "docker-credential-idpbuilder", "ca.crt")
			got := read(t, path)
			want := "[registry.\"gitea.cnoe.localtest.me:8443\"]\n  ca = [\"" + caFile + "\"]\n"
			if !strings.HasPrefix(got, tt.before) || !strings.HasSuffix(got, want) {
				t.Fatalf("%s:\n%s", path, got)
			}
			if read(t, caFile) != ca {
				t.Fatalf("%s does not hold the cluster's CA", caFile)
			}
			// Twice: nothing changes.
			r.out.Reset()
			if err := r.in.Install(Options{TrustCA: true}); err != nil || read(t, path) != got || !strings.Contains(r.out.String(), "already trusts the CA") {
				t.Fatalf("second Install: %v\n%s", err, r.out)
			}
			if err := r.in.Uninstall(Options{}); err != nil {
				t.Fatalf("Uninstall: %v\n%s", err, r.out)
			}
			after, err := os.ReadFile(path)
			switch {
			case tt.before == "" && !os.IsNotExist(err):
				t.Fatalf("uninstall left %s: %q %v", path, after, err)
			case tt.before != "" && string(after) != tt.before:
				t.Fatalf("uninstall did not give the user's file back:\n%q\nwant\n%q", after, tt.before)
			}
		})
	}
}

func TestInstallLeavesABuildxConfigItCannotEdit(t *testing.T) {
	ca := selfSignedPEM(t)
	r := newRig(t, installCluster(&fakes.Cluster{Builds: []idpbuilder.Localbuild{{Name: "localdev", Host: "cnoe.localtest.me", Port: "8443", SelfSignedCert: ca}}}))
	path := filepath.Join(r.home, ".docker", "buildx", "buildkitd.default.toml")
	for _, content := range []string{
		"[registry.\"gitea.cnoe.localtest.me:8443\"]\n  ca = [\"/etc/mine.pem\"]\n", // its own ca
		"registry.\"gitea.cnoe.localtest.me:8443\".ca = [\"/etc/mine.pem\"]\n",      // dotted
		"registry = { \"gitea.cnoe.localtest.me:8443\" = { ca = [\"/etc/mine.pem\"] } }\n",
		"[worker.oci\n",
	} {
		writeFile(t, path, content)
		r.out.Reset()
		if err := r.in.Install(Options{TrustCA: true}); err != nil {
			t.Fatalf("Install: %v\n%s", err, r.out)
		}
		out := r.out.String()
		if read(t, path) != content || !strings.Contains(out, "warning") || !strings.Contains(out, path) {
			t.Fatalf("file changed or no warning:\n%s\n%s", read(t, path), out)
		}
		// Issue 21.4: it said "ok ... already trusts the CA" after the warning.
		if strings.Contains(out, "already trusts") || strings.Contains(out, "trusts "+filepath.Join(r.home, ".config")) {
			t.Fatalf("the report claims the CA is trusted in a file install left alone:\n%s", out)
		}
	}
}

func TestInstallWithoutTrustCALeavesBuildx(t *testing.T) {
	r := newRig(t, installCluster(&fakes.Cluster{Builds: []idpbuilder.Localbuild{{Name: "localdev", Host: "cnoe.localtest.me", Port: "8443", SelfSignedCert: selfSignedPEM(t)}}}))
	if err := r.in.Install(Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(r.home, ".docker", "buildx")); !os.IsNotExist(err) {
		t.Fatalf("install without --trust-ca touched buildx's folder: %v", err)
	}
}
