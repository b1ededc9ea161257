package buildx

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func testCA(t *testing.T, name string) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// instance is a builder file as buildx v0.38 writes it.
func instance(name, driver, endpoint, opts, flags string, files map[string][]byte) string {
	f := "null"
	if files != nil {
		var parts []string
		for k, v := range files {
			parts = append(parts, `"`+k+`":"`+base64.StdEncoding.EncodeToString(v)+`"`)
		}
		f = "{" + strings.Join(parts, ",") + "}"
	}
	return `{"Name":"` + name + `","Driver":"` + driver + `","Nodes":[{"Name":"` + name + `0","Endpoint":"` + endpoint +
		`","Platforms":null,"DriverOpts":` + opts + `,"Flags":` + flags + `,"Files":` + f + `}],"Dynamic":false}`
}

func TestReadAndAssessBuilders(t *testing.T) {
	ca, oldCA := testCA(t, "cluster"), testCA(t, "old cluster")
	// What buildx copies from a default config that trusts a CA.
	copied := func(pemData []byte) map[string][]byte {
		return map[string][]byte{
			"buildkitd.toml": []byte("[registry.\"" + host + "\"]\n  ca = [\"/etc/buildkit/certs/gitea.cnoe.localtest.me_8443/ca.crt\"]\n"),
			"certs/gitea.cnoe.localtest.me_8443/ca.crt": pemData,
		}
	}
	dir := t.TempDir()
	hostNet := `{"image":"moby/buildkit:buildx-stable-1","network":"host"}`
	files := map[string]string{
		"healthy":  instance("healthy", "docker-container", "unix:///var/run/docker.sock", hostNet, `["--allow-insecure-entitlement=network.host"]`, copied(ca)),
		"noca":     instance("noca", "docker-container", "default", hostNet, `["--allow-insecure-entitlement=network.host","--debug"]`, nil),
		"nonet":    instance("nonet", "docker-container", "unix:///var/run/docker.sock", `{}`, `["--allow-insecure-entitlement=network.host"]`, copied(ca)),
		"stale":    instance("stale", "docker-container", "unix:///var/run/docker.sock", hostNet, `null`, copied(oldCA)),
		"insecure": instance("insecure", "docker-container", "unix:///var/run/docker.sock", hostNet, `null`, map[string][]byte{"buildkitd.toml": []byte("[registry.\"" + host + "\"]\ninsecure = true\n")}),
		"far":      instance("far", "remote", "unix:///run/buildkit/buildkitd.sock", `{}`, `null`, nil),
		"broken":   "{not json",
	}
	if err := os.MkdirAll(filepath.Join(dir, "instances"), 0o700); err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, "instances", name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(dir, "current"), []byte(`{"Key":"unix:///var/run/docker.sock","Name":"noca","Global":false}`), 0o600)

	builders, err := ReadBuilders(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(builders) != len(files) {
		t.Fatalf("read %d builders, want %d", len(builders), len(files))
	}
	reg := Registry{Host: host, CA: ca, Loopback: true, CAFile: caFile, DefaultTrusts: true, ClientTrusts: true, Bundle: "/home/u/b.pem"}
	tests := []struct {
		builder      string
		ok, unknown  bool
		problem, fix string
		// noDefault: buildkitd.default.toml does not trust the CA yet.
		noDefault bool
	}{
		{builder: "healthy", ok: true},
		{builder: "insecure", ok: true},
		{builder: "noca", problem: "does not trust the registry's CA",
			fix: "docker buildx rm noca && docker buildx create --name noca --driver docker-container --driver-opt image=moby/buildkit:buildx-stable-1 --driver-opt network=host --buildkitd-flags --debug --use default"},
		{builder: "noca", problem: "does not trust", noDefault: true,
			fix: "run 'docker-credential-idpbuilder install --trust-ca', then docker buildx rm noca"},
		{builder: "nonet", problem: "it needs --driver-opt network=host",
			fix: "docker buildx rm nonet && docker buildx create --name nonet --driver docker-container --driver-opt network=host"},
		{builder: "stale", problem: "trusts another CA", fix: "docker buildx rm stale && docker buildx create --name stale"},
		{builder: "far", unknown: true, fix: "add the lines below to that daemon's buildkitd.toml"},
		{builder: "broken", problem: "reading builder broken"},
	}
	byName := map[string]Builder{}
	for _, b := range builders {
		byName[b.Name] = b
	}
	for _, tt := range tests {
		t.Run(tt.builder, func(t *testing.T) {
			r := reg
			r.DefaultTrusts = !tt.noDefault
			v := Assess(byName[tt.builder], r)
			if v.OK != tt.ok || v.Unknown != tt.unknown {
				t.Fatalf("OK=%v Unknown=%v, want %v %v: %+v", v.OK, v.Unknown, tt.ok, tt.unknown, v)
			}
			if tt.problem != "" && !strings.Contains(strings.Join(v.Problems, "\n"), tt.problem) {
				t.Errorf("problems %q, want %q", v.Problems, tt.problem)
			}
			if !strings.HasPrefix(v.Fix, tt.fix) {
				t.Errorf("fix\n%q\nwant prefix\n%q", v.Fix, tt.fix)
			}
		})
	}
	if v := Assess(byName["far"], reg); v.Snippet != Snippet(host, caFile) {
		t.Errorf("remote snippet = %q", v.Snippet)
	}
	// buildx's own token fetch must trust the CA too, for every builder
	// that is not dockerd.
	untrusted := reg
	untrusted.ClientTrusts = false
	for name, fix := range map[string]string{
		"healthy": "export SSL_CERT_FILE=/home/u/b.pem (in your shell profile too)",
		"nonet":   "export SSL_CERT_FILE=/home/u/b.pem && docker buildx rm nonet && ",
		"far":     "export SSL_CERT_FILE=/home/u/b.pem (in your shell profile too); add the lines below",
	} {
		v := Assess(byName[name], untrusted)
		if v.OK || v.Unknown || !strings.Contains(strings.Join(v.Problems, " "), "buildx fetches the registry's token itself") || !strings.HasPrefix(v.Fix, fix) {
			t.Errorf("%s, the shell not trusting the CA: %+v", name, v)
		}
	}
	// Not loopback: a builder off the host network reaches the registry.
	far := reg
	far.Loopback = false
	if v := Assess(byName["nonet"], far); !v.OK {
		t.Errorf("a non-loopback registry needs no host network: %+v", v)
	}
}

func TestReadBuildersWithoutFolder(t *testing.T) {
	b, err := ReadBuilders(filepath.Join(t.TempDir(), "none"))
	if err != nil || len(b) != 0 {
		t.Fatalf("ReadBuilders = %v, %v", b, err)
	}
}

func TestConfigDir(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	if got := ConfigDir(getenv, "/h/.docker"); got != "/h/.docker/buildx" {
		t.Errorf("ConfigDir = %q", got)
	}
	env["BUILDX_CONFIG"] = "/bx"
	if got := DefaultConfigFile(getenv, "/h/.docker"); got != "/bx/buildkitd.default.toml" {
		t.Errorf("DefaultConfigFile = %q", got)
	}
}
