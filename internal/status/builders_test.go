package status

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnoe-io/docker-credential-idpbuilder/install"
)

// writeBuilder writes a builder file as buildx v0.38 does.
func writeBuilder(t *testing.T, dir, name, driver, opts string, files map[string][]byte) {
	t.Helper()
	node := map[string]any{"Name": name + "0", "Endpoint": "unix:///var/run/docker.sock", "Platforms": nil,
		"DriverOpts": json.RawMessage(opts), "Flags": []string{"--allow-insecure-entitlement=network.host"}, "Files": files}
	if driver == "remote" {
		node["Endpoint"] = "unix:///run/buildkit/buildkitd.sock"
	}
	data, err := json.Marshal(map[string]any{"Name": name, "Driver": driver, "Nodes": []any{node}, "Dynamic": false})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "instances"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "instances", name), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestStatusReportsEachBuildxBuilder(t *testing.T) {
	r, host := statusRig(t, "install-secret-0123456789", true)
	bxDir := filepath.Join(r.home, ".docker", "buildx")

	// Before install --trust-ca: a builder made then has no CA.
	writeBuilder(t, bxDir, "early", "docker-container", `{"network":"host"}`, nil)
	rep, err := r.checker.Run(Options{})
	if err != nil {
		t.Fatal(err)
	}
	early := builderStatus(t, rep, "early", host)
	if early.State != "fail" || !strings.HasPrefix(early.Fix, "run 'docker-credential-idpbuilder install --trust-ca', then docker buildx rm early && ") {
		t.Fatalf("before install --trust-ca: %+v", early)
	}

	if err := r.in.Install(install.Options{TrustCA: true, Registries: []string{host}}); err != nil {
		t.Fatalf("install --trust-ca: %v\n%s", err, r.out)
	}
	if !strings.Contains(r.out.String(), "buildx builder early (docker-container) was made before") {
		t.Errorf("install does not name the old builder:\n%s", r.out)
	}
	// What buildx copies into a builder created now.
	ca, err := os.ReadFile(filepath.Join(r.home, ".config", "docker-credential-idpbuilder", "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	certDir := strings.NewReplacer(":", "_").Replace(host)
	copied := map[string][]byte{
		"buildkitd.toml":               []byte("[registry.\"" + host + "\"]\n  ca = [\"/etc/buildkit/certs/" + certDir + "/ca.crt\"]\n"),
		"certs/" + certDir + "/ca.crt": ca,
	}
	writeBuilder(t, bxDir, "healthy", "docker-container", `{"network":"host","image":"moby/buildkit:v0.34.2"}`, copied)
	writeBuilder(t, bxDir, "isolated", "docker-container", `{}`, copied)
	writeBuilder(t, bxDir, "far", "remote", `{}`, nil)

	rep, err = r.checker.Run(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Buildx == nil || !strings.Contains(strings.Join(rep.Buildx.DefaultTrusts, " "), host) {
		t.Fatalf("the default config does not trust %s: %+v", host, rep.Buildx)
	}
	tests := []struct{ builder, state, problem, fix, snippet string }{
		{"early", "fail", "does not trust the registry's CA", "docker buildx rm early && docker buildx create --name early --driver docker-container --driver-opt network=host", ""},
		{"healthy", "ok", "", "", ""},
		{"isolated", "fail", "needs --driver-opt network=host", "docker buildx rm isolated && docker buildx create --name isolated --driver docker-container --driver-opt network=host", ""},
		{"far", "unknown", "", "add the lines below to that daemon's buildkitd.toml", "[registry.\"" + host + "\"]\n  ca = [\""},
	}
	for _, tt := range tests {
		st := builderStatus(t, rep, tt.builder, host)
		if st.State != tt.state || !strings.Contains(strings.Join(st.Problems, " "), tt.problem) ||
			!strings.HasPrefix(st.Fix, tt.fix) || !strings.HasPrefix(st.Snippet, tt.snippet) {
			t.Errorf("%s: %+v", tt.builder, st)
		}
	}
	// Builders never make a registry unusable: docker pushes all the same.
	for _, reg := range rep.Registries {
		if reg.Host == host && !reg.Usable {
			t.Errorf("builders made %s unusable: %+v", host, reg)
		}
	}
	var text bytes.Buffer
	rep.WriteText(&text)
	for _, want := range []string{
		"buildx builder isolated (docker-container):",
		"fix: docker buildx rm isolated && docker buildx create --name isolated --driver docker-container --driver-opt network=host",
		"buildx builder far (remote unix:///run/buildkit/buildkitd.sock):",
		"         [registry.\"" + host + "\"]",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("status text lacks %q:\n%s", want, text.String())
		}
	}
}

func TestStatusWithoutBuildxSaysNothingOfIt(t *testing.T) {
	r, _ := statusRig(t, "install-secret-0123456789", true)
	rep, err := r.checker.Run(Options{})
	if err != nil || rep.Buildx != nil {
		t.Fatalf("Buildx = %+v, %v", rep.Buildx, err)
	}
}

func builderStatus(t *testing.T, rep Report, name, host string) BuilderRegistry {
	t.Helper()
	if rep.Buildx == nil {
		t.Fatal("no buildx section")
	}
	for _, b := range rep.Buildx.Builders {
		if b.Name != name {
			continue
		}
		for _, r := range b.Registries {
			if r.Host == host {
				return r
			}
		}
	}
	t.Fatalf("no builder %s for %s in %+v", name, host, rep.Buildx.Builders)
	return BuilderRegistry{}
}
