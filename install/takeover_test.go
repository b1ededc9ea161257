package install

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/config"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
	"github.com/cnoe-io/docker-credential-idpbuilder/test/fakes"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// clusterAuth is the auths value the fake cluster's own credential gives.
var clusterAuth = b64("giteaAdmin:install-secret-0123456789")

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func (r *rig) dockerConfig() string { return filepath.Join(r.home, ".docker", "config.json") }
func (r *rig) podmanAuth() string {
	return filepath.Join(r.home, "run", "containers", "auth.json")
}
func (r *rig) helperConfig() string {
	return filepath.Join(r.home, ".config", "docker-credential-idpbuilder", "config.json")
}

// pathRoutingGHCR is the Localbuild of the issue: path routing with host
// ghcr.io and port 443 names the registry ghcr.io itself.
func pathRoutingGHCR(t *testing.T) *fakes.Cluster {
	return installCluster(&fakes.Cluster{Builds: []idpbuilder.Localbuild{{Name: "localdev", Protocol: "https", Host: "ghcr.io", Port: "443",
		UsePathRouting: true, SelfSignedCert: selfSignedPEM(t)}}})
}

func TestClassifyAuth(t *testing.T) {
	creds := idpbuilder.Credentials{Username: "giteaAdmin", Password: "pw:with:colons"}
	tests := []struct {
		entry string
		want  authState
	}{
		{`{}`, authNone},
		{`null`, authNone},
		{`{"auth":""}`, authNone},
		{`{"auth":"` + b64("giteaAdmin:pw:with:colons") + `"}`, authCluster},
		{`{"auth":"` + strings.TrimRight(b64("giteaAdmin:pw:with:colons"), "=") + `"}`, authCluster},
		{`{"auth":"` + b64("giteaAdmin:pw:with:colons") + `","email":""}`, authCluster},
		{`{"auth":"` + b64("giteaAdmin:pw:with:colons") + `","identitytoken":"t"}`, authOther},
		{`{"auth":"` + b64("giteaAdmin:old") + `"}`, authOther},
		{`{"auth":"` + b64("alice:pw:with:colons") + `"}`, authOther},
		{`{"auth":"` + b64("giteaAdmin") + `"}`, authOther},
		{`{"auth":"not base64!"}`, authOther},
		{`{"auth":1}`, authOther},
		{`{"identitytoken":"t"}`, authOther},
		{`{"username":"giteaAdmin","password":"pw:with:colons"}`, authOther},
		{`"a string"`, authOther},
	}
	for _, tt := range tests {
		if got := classifyAuth(json.RawMessage(tt.entry), creds); got != tt.want {
			t.Errorf("classifyAuth(%s) = %d, want %d", tt.entry, got, tt.want)
		}
	}
	if classifyAuth(json.RawMessage(`{"auth":"`+b64(":")+`"}`), idpbuilder.Credentials{}) != authOther {
		t.Error("empty cluster credentials matched an empty user:password")
	}
}

func TestInstallDoesNotTakeOverAnotherRegistry(t *testing.T) {
	requireGit(t)
	tests := []struct {
		name                string
		docker, podman, why string
	}{
		{"docker login to ghcr.io", `{"auths":{"ghcr.io":{"auth":"` + b64("me:my-token") + `"}}}`, "", "auths[ghcr.io], a credential that is not the cluster's"},
		{"identity token", `{"auths":{"ghcr.io":{"identitytoken":"tok"}}}`, "", "auths[ghcr.io]"},
		{"the cluster's password with a token", `{"auths":{"ghcr.io":{"auth":"` + clusterAuth + `","identitytoken":"tok"}}}`, "", "auths[ghcr.io]"},
		{"another helper", `{"credHelpers":{"ghcr.io":"gcloud"}}`, "", `credHelpers[ghcr.io] = "gcloud"`},
		{"podman login", "", `{"auths":{"ghcr.io":{"auth":"` + b64("me:my-token") + `"}}}`, "auths[ghcr.io]"},
		{"podman with a helper", "", `{"credHelpers":{"ghcr.io":"ecr-login"}}`, `credHelpers[ghcr.io] = "ecr-login"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, pathRoutingGHCR(t))
			if tt.docker != "" {
				writeFile(t, r.dockerConfig(), tt.docker)
			}
			if tt.podman != "" {
				writeFile(t, r.podmanAuth(), tt.podman)
			}
			before := r.snapshot(t)
			err := r.in.Install(Options{TrustCA: true, Git: true})
			if err == nil || !strings.Contains(err.Error(), "no registry left to install") {
				t.Fatalf("Install = %v\n%s", err, r.out)
			}
			out := r.out.String()
			if !strings.Contains(out, "ghcr.io: skipped") || !strings.Contains(out, tt.why) || !strings.Contains(out, "install --registry ghcr.io") {
				t.Fatalf("no warning saying why:\n%s", out)
			}
			sameSnapshot(t, before, r.snapshot(t))
			if len(r.cache.Entries) != 0 {
				t.Fatalf("cached %v", r.cache.Entries)
			}
			if strings.Contains(out, "install-secret") || strings.Contains(out, "my-token") {
				t.Fatal("install printed a credential")
			}
		})
	}
}

func TestInstallTakesOverANamedRegistry(t *testing.T) {
	r := newRig(t, pathRoutingGHCR(t))
	mine := `{"auth":"` + b64("me:my-token") + `"}`
	writeFile(t, r.dockerConfig(), `{"auths":{"ghcr.io":`+mine+`},"credHelpers":{"ghcr.io":"gcloud"}}`)
	if err := r.in.Install(Options{Registries: []string{"ghcr.io"}}); err != nil {
		t.Fatalf("Install: %v\n%s", err, r.out)
	}
	var cfg struct {
		Auths       map[string]json.RawMessage
		CredHelpers map[string]string
	}
	json.Unmarshal([]byte(read(t, r.dockerConfig())), &cfg)
	if cfg.CredHelpers["ghcr.io"] != HelperName || !sameJSON(cfg.Auths["ghcr.io"], json.RawMessage(mine)) {
		t.Fatalf("docker config: %s", read(t, r.dockerConfig()))
	}
	if out := r.out.String(); !strings.Contains(out, "taking the registry over, as --registry asks") || !strings.Contains(out, `(was "gcloud")`) {
		t.Fatalf("output:\n%s", out)
	}
}

// With two hosts found and one of them someone else's, the other is
// installed and the claimed one gets nothing: no table entry, no
// credHelpers entry, no CA, no git config, no cache entry.
func TestInstallSkipsOnlyTheClaimedHost(t *testing.T) {
	requireGit(t)
	const ours, theirs = "gitea.cnoe.localtest.me:8443", "gitea.other.example:8443"
	r := newRig(t, installCluster(&fakes.Cluster{Builds: []idpbuilder.Localbuild{{Name: "localdev", Protocol: "https", Host: "cnoe.localtest.me",
		IngressHost: "other.example", Port: "8443", SelfSignedCert: selfSignedPEM(t)}}}))
	writeFile(t, r.dockerConfig(), `{"auths":{"`+theirs+`":{"auth":"`+b64("alice:hers")+`"},"`+ours+`":{"auth":"`+clusterAuth+`"}}}`)
	if err := r.in.Install(Options{TrustCA: true, Git: true}); err != nil {
		t.Fatalf("Install: %v\n%s", err, r.out)
	}
	cfg := read(t, r.dockerConfig())
	if !strings.Contains(cfg, `"`+ours+`": "idpbuilder"`) || strings.Contains(cfg, `"`+theirs+`": "idpbuilder"`) ||
		!strings.Contains(cfg, b64("alice:hers")) || strings.Contains(cfg, clusterAuth) {
		t.Fatalf("docker config: %s", cfg)
	}
	tbl, err := config.Load(r.helperConfig())
	if err != nil || len(tbl.Registries) != 1 || tbl.Hosts()[0] != ours {
		t.Fatalf("table %+v, %v", tbl, err)
	}
	for _, p := range tbl.Installed {
		if strings.Contains(p, theirs) {
			t.Errorf("CA written for %s: %s", theirs, p)
		}
	}
	if _, ok := r.cache.Entries[theirs]; ok {
		t.Error("cached for the skipped host")
	}
	if got := r.gitGlobal(t, "--get-regexp", "other"); got != "" {
		t.Errorf("git configured for the skipped host: %q", got)
	}
}

// sameJSON reports whether two JSON values are equal, whatever their layout.
func sameJSON(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}
