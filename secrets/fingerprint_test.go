package secrets

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
)

// TestReadSecretFingerprintIsWhatWasContacted: the fingerprint the read
// returns is that of the configuration client-go used, which is the
// resolved cluster's.
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

	// The kubeconfig changes after it was resolved (a recreate writes a
	// new CA while a get runs): the ID the helper keeps no longer matches.
	path := filepath.Join(dir, "changing")
	if err := os.WriteFile(path, []byte(clusterWith("    insecure-skip-tls-verify: true\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Resolve(path, "")
	if err != nil {
		t.Fatal(err)
	}
	id := c.ID()
	if !id.Matches(id.Inputs) {
		t.Fatalf("a fresh ID does not match its files: %+v", id)
	}
	if err := os.WriteFile(path, []byte(clusterWith("    certificate-authority-data: "+b64(caOf(srv))+"\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	if id.Matches(id.Inputs) {
		t.Fatal("the ID still matches a rewritten kubeconfig")
	}
}

// TestFingerprintFormulaIsStable: the fingerprint keys every cached answer
// and every login; these values are what every release has computed, so a
// change of formula (which would drop every user's `docker login`) fails here.
func TestFingerprintFormulaIsStable(t *testing.T) {
	dir := t.TempDir()
	ca := b64([]byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"))
	for _, tt := range []struct{ cluster, want string }{
		{"    server: https://127.0.0.1:6443\n    insecure-skip-tls-verify: true\n", "d61d9461152428cad71e3fa8a89ca32f"},
		{"    server: https://127.0.0.1:6443\n    tls-server-name: example.com\n    certificate-authority-data: " + ca + "\n", "082ddd5e5dd7e246f0e54f02352d25fd"},
	} {
		path := filepath.Join(dir, "kubeconfig")
		kc := "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n" + tt.cluster +
			"contexts:\n- name: kind-localdev\n  context: {cluster: c, user: u}\nusers:\n- name: u\n  user: {token: t}\n"
		if err := os.WriteFile(path, []byte(kc), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := Resolve(path, "")
		if err != nil {
			t.Fatal(err)
		}
		if c.Fingerprint() != tt.want {
			t.Errorf("fingerprint %s, want %s (the formula every release keyed logins by)", c.Fingerprint(), tt.want)
		}
	}
}
