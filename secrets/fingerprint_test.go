package secrets

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/kubeconfig"
)

// TestReadSecretFingerprintIsWhatWasContacted: the fingerprint the read
// returns is that of the configuration client-go used. It equals the
// reader's for every kubeconfig both read alike, or every cache hit would be
// lost; when the file changed between the two, it is the new one's.
func TestReadSecretFingerprintIsWhatWasContacted(t *testing.T) {
	srv := apiServer(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, secretJSON(map[string]string{"username": b64([]byte("giteaAdmin")), "password": b64([]byte("pw"))}))
	})
	user := "users:\n- name: u\n  user:\n    token: " + testToken + "\n"
	ctxs := "contexts:\n- name: kind-localdev\n  context: {cluster: c, user: u}\n"
	clusterWith := func(lines string) string {
		return "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: " + srv.URL + "\n" + lines + ctxs + user
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ca.crt"), caOf(srv), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, kubeconfig string }{
		{"CA data", clusterWith("    certificate-authority-data: " + b64(caOf(srv)) + "\n")},
		{"CA file, relative", clusterWith("    certificate-authority: ca.crt\n")},
		{"tls-server-name", clusterWith("    certificate-authority-data: " + b64(caOf(srv)) + "\n    tls-server-name: example.com\n")},
		{"insecure", clusterWith("    insecure-skip-tls-verify: true\n")},
		{"capitalised keys beside", clusterWith("    certificate-authority-data: " + b64(caOf(srv)) + "\n    Server: https://wrong.example\n    Insecure-Skip-TLS-Verify: true\n")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, "kubeconfig")
			if err := os.WriteFile(path, []byte(tt.kubeconfig), 0o600); err != nil {
				t.Fatal(err)
			}
			c, err := Resolve(path, "")
			if err != nil {
				t.Fatal(err)
			}
			creds, err := c.ReadSecret(context.Background(), idpbuilder.SecretRef{Namespace: "gitea", Name: "gitea-credential"})
			if err != nil {
				t.Fatal(err)
			}
			if creds.Fingerprint == "" || creds.Fingerprint != c.Fingerprint() {
				t.Fatalf("read with %q, the reader says %q", creds.Fingerprint, c.Fingerprint())
			}
		})
	}

	// The kubeconfig changes between the reader and client-go (a recreate
	// writes a new CA while a get runs): the read reports what it used.
	path := filepath.Join(dir, "changing")
	if err := os.WriteFile(path, []byte(clusterWith("    insecure-skip-tls-verify: true\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Resolve(path, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(clusterWith("    certificate-authority-data: "+b64(caOf(srv))+"\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	creds, err := c.ReadSecret(context.Background(), idpbuilder.SecretRef{Namespace: "gitea", Name: "gitea-credential"})
	if err != nil {
		t.Fatal(err)
	}
	now, err := kubeconfig.Resolve(path, "", os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	if creds.Fingerprint == c.Fingerprint() || creds.Fingerprint != now.Fingerprint {
		t.Fatalf("read with %q; the reader said %q before the change, %q after", creds.Fingerprint, c.Fingerprint(), now.Fingerprint)
	}
}
