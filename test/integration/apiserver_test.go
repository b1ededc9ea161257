//go:build integration

package integration

import (
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeAPI is an HTTPS server that checks a bearer token and serves the one
// secret idpbuilder creates, counting reads. It stands in for the API server
// where the test must count or delay requests; test/e2e uses the real one.
type fakeAPI struct {
	srv      *httptest.Server
	token    string
	mu       sync.Mutex
	password string
	reads    atomic.Int64
	// delay holds every answer, to make concurrent callers overlap.
	delay time.Duration
	// down makes every answer 503, as an API server that is not up.
	down atomic.Bool
}

func newFakeAPI(t *testing.T, password string) *fakeAPI {
	f := &fakeAPI{token: "it-token", password: password}
	f.srv = httptest.NewTLSServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	if f.down.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+f.token {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if r.Method == http.MethodGet && r.URL.Path == "/api/v1/secrets" {
		// refresh looks for the Secrets export wrote, as it does on a real
		// API server, which answers an empty list when there are none.
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"kind":"SecretList","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[]}`)
		return
	}
	if r.URL.Path != "/api/v1/namespaces/gitea/secrets/gitea-credential" {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	f.reads.Add(1)
	time.Sleep(f.delay)
	f.mu.Lock()
	pw := f.password
	f.mu.Unlock()
	enc := base64.StdEncoding.EncodeToString
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"kind":"Secret","apiVersion":"v1","data":{"username":%q,"password":%q}}`, enc([]byte("giteaAdmin")), enc([]byte(pw)))
}

func (f *fakeAPI) setPassword(pw string) {
	f.mu.Lock()
	f.password = pw
	f.mu.Unlock()
}

// kubeconfig writes a kubeconfig whose kind-localdev context points at f.
func (f *fakeAPI) kubeconfig(t *testing.T) string {
	t.Helper()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.srv.Certificate().Raw})
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: kind-localdev
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: kind-localdev
  user:
    token: %s
contexts:
- name: kind-localdev
  context: {cluster: kind-localdev, user: kind-localdev}
current-context: kind-localdev
`, f.srv.URL, base64.StdEncoding.EncodeToString(ca), f.token)
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	// A kubeconfig written this very moment is read again by the next
	// get (clusterid's racy window, 50 ms): tests that count reads start
	// past it, as a user's kubeconfig is.
	time.Sleep(60 * time.Millisecond)
	return path
}
