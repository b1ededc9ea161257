package cluster

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
)

// clientcmdView resolves the same context with client-go's own loading
// rules and computes the fingerprint from what it sees: Resolve must agree.
func clientcmdView(t *testing.T, explicit, context string) (server, fingerprint string) {
	t.Helper()
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = explicit
	raw, err := rules.Load()
	if err != nil {
		t.Fatal(err)
	}
	c := raw.Clusters[raw.Contexts[context].Cluster]
	ca := c.CertificateAuthorityData
	if len(ca) == 0 && c.CertificateAuthority != "" {
		if ca, err = os.ReadFile(c.CertificateAuthority); err != nil {
			t.Fatal(err)
		}
	}
	h := sha256.New()
	fmt.Fprintf(h, "server=%s\x00insecure=%t\x00tls-server-name=%s\x00ca=", c.Server, c.InsecureSkipTLSVerify, c.TLSServerName)
	h.Write(ca)
	return c.Server, hex.EncodeToString(h.Sum(nil)[:16])
}

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	os.MkdirAll(filepath.Dir(p), 0o700)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func kubeconfigYAML(current string, clusters map[string]string, contexts map[string]string) string {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: Config\n")
	if current != "" {
		b.WriteString("current-context: " + current + "\n")
	}
	b.WriteString("clusters:\n")
	for name, body := range clusters {
		b.WriteString("- name: " + name + "\n  cluster:\n" + body)
	}
	b.WriteString("contexts:\n")
	for name, cl := range contexts {
		b.WriteString("- name: " + name + "\n  context:\n    cluster: " + cl + "\n    user: u\n")
	}
	b.WriteString("users:\n- name: u\n  user:\n    token: t\n")
	return b.String()
}

func TestResolveAgreesWithClientcmd(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "pki/ca.crt", "ca-from-file")
	first := write(t, dir, "first", kubeconfigYAML("", map[string]string{
		"kind-localdev": "    server: https://127.0.0.1:6443\n    certificate-authority: pki/ca.crt\n",
		"shared":        "    server: https://first.example\n    insecure-skip-tls-verify: true\n",
	}, map[string]string{"kind-localdev": "kind-localdev", "work": "shared"}))
	second := write(t, dir, "second", kubeconfigYAML("work", map[string]string{
		"shared": "    server: https://second.example\n    certificate-authority-data: " + "Y2EtZGF0YQ==" + "\n    tls-server-name: api.internal\n",
		"other":  "    server: https://other.example\n",
	}, map[string]string{"work": "other", "mine": "other", "kind-localdev": "other"}))

	tests := []struct {
		name, kubeconfigEnv, explicit, context string
		wantContext                            string
	}{
		{name: "default prefers kind-localdev, first file wins", kubeconfigEnv: first + ":" + second, wantContext: "kind-localdev"},
		{name: "first file's context and cluster win", kubeconfigEnv: first + ":" + second, context: "work", wantContext: "work"},
		{name: "context only in the second file", kubeconfigEnv: first + ":" + second, context: "mine", wantContext: "mine"},
		{name: "order reversed", kubeconfigEnv: second + ":" + first, wantContext: "kind-localdev"},
		{name: "current context from the second file", kubeconfigEnv: filepath.Join(dir, "missing") + ":" + second, context: "", wantContext: "kind-localdev"},
		{name: "explicit file", kubeconfigEnv: second, explicit: first, context: "work", wantContext: "work"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("KUBECONFIG", tt.kubeconfigEnv)
			ref, err := Resolve(tt.explicit, tt.context, os.Getenv)
			if err != nil {
				t.Fatal(err)
			}
			if ref.Context != tt.wantContext {
				t.Fatalf("context = %q, want %q", ref.Context, tt.wantContext)
			}
			server, fp := clientcmdView(t, tt.explicit, ref.Context)
			if ref.Server != server || ref.Fingerprint != fp {
				t.Fatalf("Resolve = %s %s; client-go sees %s %s", ref.Server, ref.Fingerprint, server, fp)
			}
		})
	}
}

func TestResolveErrors(t *testing.T) {
	dir := t.TempDir()
	noServer := write(t, dir, "noserver", kubeconfigYAML("a", map[string]string{"c": "    insecure-skip-tls-verify: true\n"}, map[string]string{"a": "c"}))
	badCA := write(t, dir, "badca", kubeconfigYAML("a", map[string]string{"c": "    server: https://x\n    certificate-authority: /nonexistent/ca.crt\n"}, map[string]string{"a": "c"}))
	garbage := write(t, dir, "garbage", "clusters: [unclosed")
	tests := []struct{ name, explicit, context, kubeconfigEnv, want string }{
		{name: "no file at all", kubeconfigEnv: filepath.Join(dir, "none"), want: "no current context"},
		{name: "explicit file missing", explicit: filepath.Join(dir, "none"), want: "cannot load kubeconfig"},
		{name: "unknown context", explicit: noServer, context: "zzz", want: `context "zzz" not found`},
		{name: "cluster without server", explicit: noServer, want: "which has no server"},
		{name: "CA file missing", explicit: badCA, want: "reading the cluster CA"},
		{name: "not YAML", explicit: garbage, want: "error loading config file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("KUBECONFIG", tt.kubeconfigEnv)
			_, err := Resolve(tt.explicit, tt.context, os.Getenv)
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("Resolve error = %v, want one line with %q", err, tt.want)
			}
		})
	}
}

func TestFilesFollowsKubectl(t *testing.T) {
	env := map[string]string{"HOME": "/home/u"}
	get := func(k string) string { return env[k] }
	if got := Files("", get); len(got) != 1 || got[0] != "/home/u/.kube/config" {
		t.Fatalf("Files = %v", got)
	}
	env["KUBECONFIG"] = "/a:/b::/a"
	if got := strings.Join(Files("", get), ","); got != "/a,/b" {
		t.Fatalf("Files = %v", got)
	}
	if got := Files("/explicit", get); len(got) != 1 || got[0] != "/explicit" {
		t.Fatalf("Files = %v", got)
	}
}
