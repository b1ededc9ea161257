package secrets

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
)

const testToken = "test-bearer-token"

// apiServer is an HTTPS server that checks the bearer token like the API
// server does and answers GET of secrets from a map.
func apiServer(t *testing.T, handler http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+testToken {
			http.Error(w, `{"kind":"Status","code":401}`, http.StatusUnauthorized)
			return
		}
		handler(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func secretJSON(data map[string]string) string {
	var parts []string
	for k, v := range data {
		parts = append(parts, fmt.Sprintf("%q:%q", k, v))
	}
	return `{"kind":"Secret","apiVersion":"v1","metadata":{"name":"gitea-credential","namespace":"gitea"},"data":{` + strings.Join(parts, ",") + `}}`
}

// writeKubeconfig writes a kubeconfig with context kind-localdev for server.
func writeKubeconfig(t *testing.T, server, token string, caPEM []byte) string {
	t.Helper()
	ca := ""
	if caPEM != nil {
		ca = "    certificate-authority-data: " + b64(caPEM) + "\n"
	}
	cfg := "apiVersion: v1\nkind: Config\nclusters:\n- name: kind-localdev\n  cluster:\n    server: " + server + "\n" + ca +
		"users:\n- name: admin\n  user:\n    token: " + token + "\n" +
		"contexts:\n- name: kind-localdev\n  context:\n    cluster: kind-localdev\n    user: admin\n" +
		"- name: other\n  context:\n    cluster: kind-localdev\n    user: admin\n" +
		"current-context: other\n"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func caOf(srv *httptest.Server) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
}

func TestReadSecret(t *testing.T) {
	const path = "/api/v1/namespaces/gitea/secrets/gitea-credential"
	tests := []struct {
		name     string
		status   int
		body     string
		delay    time.Duration
		token    string
		want     idpbuilder.Credentials
		wantErr  string
		wantDown bool
	}{
		{name: "found", status: 200, body: secretJSON(map[string]string{"username": b64([]byte("giteaAdmin")), "password": b64([]byte("pw-123")), "token": b64([]byte("tok"))}),
			want: idpbuilder.Credentials{Username: "giteaAdmin", Password: "pw-123"}},
		{name: "missing secret", status: 404, body: `{"kind":"Status","code":404}`, wantErr: "secret gitea/gitea-credential not found in context \"kind-localdev\""},
		{name: "forbidden", status: 403, body: `{"kind":"Status","code":403}`, wantErr: "forbidden: the user of context \"kind-localdev\" may not read secret gitea/gitea-credential"},
		{name: "bad token", status: 200, token: "wrong", wantErr: "401 Unauthorized"},
		{name: "wrong keys", status: 200, body: secretJSON(map[string]string{"user": b64([]byte("x"))}), wantErr: "has no username or password key"},
		{name: "no password", status: 200, body: secretJSON(map[string]string{"username": b64([]byte("giteaAdmin"))}), wantErr: "has no password key"},
		{name: "not a secret", status: 200, body: `<html>`, wantErr: "is not a valid Secret object"},
		{name: "server error", status: 503, body: `{}`, wantErr: "answered 503", wantDown: true},
		{name: "slow server", status: 200, body: secretJSON(nil), delay: 2 * time.Second, wantErr: "no answer before the deadline", wantDown: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := apiServer(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodGet || r.URL.Path != path {
					http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusTeapot)
					return
				}
				if tt.delay > 0 {
					select {
					case <-time.After(tt.delay):
					case <-r.Context().Done():
						return
					}
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			})
			token := testToken
			if tt.token != "" {
				token = tt.token
			}
			c, err := Resolve(writeKubeconfig(t, srv.URL, token, caOf(srv)), "")
			if err != nil {
				t.Fatal(err)
			}
			if c.Context() != "kind-localdev" {
				t.Fatalf("context = %q, want kind-localdev preferred over the current context", c.Context())
			}
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			start := time.Now()
			got, err := c.ReadSecret(ctx, idpbuilder.SecretRef{Namespace: "gitea", Name: "gitea-credential"})
			if elapsed := time.Since(start); elapsed > time.Second {
				t.Errorf("ReadSecret took %s, the deadline was 300ms", elapsed)
			}
			if tt.wantErr == "" {
				// The fingerprint of what client-go contacted is the
				// reader's, or cache hits would be lost.
				tt.want.Fingerprint = c.Fingerprint()
				if err != nil || got != tt.want {
					t.Fatalf("ReadSecret = %+v, %v; want %+v", got, err, tt.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("ReadSecret error = %v, want %q", err, tt.wantErr)
			}
			if errors.Is(err, idpbuilder.ErrUnreachable) != tt.wantDown {
				t.Fatalf("errors.Is(err, idpbuilder.ErrUnreachable) = %v, want %v", !tt.wantDown, tt.wantDown)
			}
			if strings.Contains(err.Error(), "pw-123") || strings.Contains(err.Error(), testToken) {
				t.Fatalf("error leaks a secret: %v", err)
			}
		})
	}
}

func TestReadSecretServerDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now: connection refused
	c, err := Resolve(writeKubeconfig(t, "https://"+addr, testToken, nil), "kind-localdev")
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ReadSecret(context.Background(), idpbuilder.SecretRef{Namespace: "gitea", Name: "gitea-credential"})
	if !errors.Is(err, idpbuilder.ErrUnreachable) || !strings.Contains(err.Error(), "is the idpbuilder cluster running?") {
		t.Fatalf("error = %v", err)
	}
}

func TestReadSecretUntrustedCA(t *testing.T) {
	srv := apiServer(t, func(w http.ResponseWriter, r *http.Request) {})
	c, err := Resolve(writeKubeconfig(t, srv.URL, testToken, otherCA(t)), "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ReadSecret(context.Background(), idpbuilder.SecretRef{Namespace: "gitea", Name: "gitea-credential"})
	if err == nil || errors.Is(err, idpbuilder.ErrUnreachable) || !strings.Contains(err.Error(), "certificate the kubeconfig's CA does not trust") {
		t.Fatalf("error = %v", err)
	}
}

// otherCA is a CA that did not sign the test server's certificate (every
// httptest server shares one certificate, so another server will not do).
func otherCA(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "other"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func TestResolve(t *testing.T) {
	kc := writeKubeconfig(t, "https://127.0.0.1:6443", testToken, []byte("ca-1"))
	tests := []struct {
		name, context, want, wantErr string
	}{
		{name: "default prefers kind-localdev", want: "kind-localdev"},
		{name: "explicit context", context: "other", want: "other"},
		{name: "missing context", context: "kind-nope", wantErr: `context "kind-nope" not found in kubeconfig`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Resolve(kc, tt.context)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Resolve error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || c.Context() != tt.want || c.Server() != "https://127.0.0.1:6443" {
				t.Fatalf("Resolve = %+v, %v", c, err)
			}
		})
	}
}

func TestResolveKUBECONFIG(t *testing.T) {
	kc := writeKubeconfig(t, "https://127.0.0.1:6443", testToken, []byte("ca-1"))
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "missing")+string(os.PathListSeparator)+kc)
	c, err := Resolve("", "")
	if err != nil || c.Context() != "kind-localdev" {
		t.Fatalf("Resolve via KUBECONFIG = %v, %v", c, err)
	}
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "missing"))
	if _, err := Resolve("", ""); err == nil || !strings.Contains(err.Error(), "no current context") {
		t.Fatalf("Resolve with empty kubeconfig: %v", err)
	}
}

func TestFingerprintFollowsServerAndCA(t *testing.T) {
	fp := func(server string, ca []byte) string {
		c, err := Resolve(writeKubeconfig(t, server, testToken, ca), "")
		if err != nil {
			t.Fatal(err)
		}
		return c.Fingerprint()
	}
	a := fp("https://127.0.0.1:6443", []byte("ca-1"))
	if a != fp("https://127.0.0.1:6443", []byte("ca-1")) {
		t.Fatal("fingerprint is not stable")
	}
	if a == fp("https://127.0.0.1:6443", []byte("ca-2")) {
		t.Fatal("fingerprint ignores the CA")
	}
	if a == fp("https://127.0.0.1:7443", []byte("ca-1")) {
		t.Fatal("fingerprint ignores the server")
	}
}

func TestLocalbuilds(t *testing.T) {
	const list = `{"apiVersion":"idpbuilder.cnoe.io/v1alpha1","kind":"LocalbuildList","items":[{"metadata":{"name":"localdev"},
	  "spec":{"buildCustomization":{"protocol":"https","host":"cnoe.localtest.me","ingressHost":"other.example","port":"8443","usePathRouting":true,"selfSignedCert":"PEM"}},
	  "status":{"gitea":{"externalURL":"https://gitea.cnoe.localtest.me:8443"}}}]}`
	found := true
	srv := apiServer(t, func(w http.ResponseWriter, r *http.Request) {
		if !found || r.URL.Path != "/apis/idpbuilder.cnoe.io/v1alpha1/localbuilds" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, list)
	})
	c, err := Resolve(writeKubeconfig(t, srv.URL, testToken, caOf(srv)), "")
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Localbuilds(context.Background())
	want := idpbuilder.Localbuild{Name: "localdev", Protocol: "https", Host: "cnoe.localtest.me", IngressHost: "other.example", Port: "8443",
		UsePathRouting: true, SelfSignedCert: "PEM", ExternalURL: "https://gitea.cnoe.localtest.me:8443"}
	if err != nil || len(got) != 1 || got[0] != want {
		t.Fatalf("Localbuilds = %+v, %v", got, err)
	}
	found = false
	if _, err := c.Localbuilds(context.Background()); !errors.Is(err, idpbuilder.ErrNoLocalbuildResource) {
		t.Fatalf("without the resource: %v", err)
	}
}

// execKubeconfig writes a kubeconfig whose user gets its token from an exec
// credential plugin (a shell script), with the given interactiveMode.
func execKubeconfig(t *testing.T, server string, caPEM []byte, mode string) string {
	t.Helper()
	dir := t.TempDir()
	plugin := filepath.Join(dir, "plugin.sh")
	// The plugin proves it did not get the protocol's stdin: it fails if
	// stdin has data.
	script := "#!/bin/sh\nif [ -t 0 ] || read -r line 2>/dev/null; then echo 'stdin was given' >&2; exit 3; fi\n" +
		`echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"` + testToken + `"}}'` + "\n"
	if err := os.WriteFile(plugin, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: " + server + "\n    certificate-authority-data: " + b64(caPEM) + "\n" +
		"users:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: " + plugin + "\n      interactiveMode: " + mode + "\n" +
		"contexts:\n- name: kind-localdev\n  context: {cluster: c, user: u}\ncurrent-context: kind-localdev\n"
	path := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestExecPluginRunsWithoutStdin(t *testing.T) {
	srv := apiServer(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, secretJSON(map[string]string{"username": b64([]byte("giteaAdmin")), "password": b64([]byte("via-exec"))}))
	})
	c, err := Resolve(execKubeconfig(t, srv.URL, caOf(srv), "IfAvailable"), "")
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.ReadSecret(context.Background(), idpbuilder.SecretRef{Namespace: "gitea", Name: "gitea-credential"})
	if err != nil || got.Password != "via-exec" {
		t.Fatalf("ReadSecret with an exec plugin = %+v, %v", got, err)
	}
	// A plugin that insists on a terminal is refused with a clear reason.
	c, err = Resolve(execKubeconfig(t, srv.URL, caOf(srv), "Always"), "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ReadSecret(context.Background(), idpbuilder.SecretRef{Namespace: "gitea", Name: "gitea-credential"})
	if err == nil || !strings.Contains(err.Error(), "exec credential plugin") || !strings.Contains(err.Error(), "interactive mode") || errors.Is(err, idpbuilder.ErrUnreachable) {
		t.Fatalf("ReadSecret with an interactive plugin: %v", err)
	}
}
