//go:build integration

package integration

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// silentAPIServer accepts connections and never says a byte, as an API
// server behind a hung proxy does. Its kubeconfig is returned.
func silentAPIServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var held []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range held {
			c.Close()
		}
	})
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	cfg := "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: \"https://" + ln.Addr().String() + "\", insecure-skip-tls-verify: true}\n" +
		"users:\n- name: u\n  user: {token: t}\ncontexts:\n- name: kind-localdev\n  context: {cluster: c, user: u}\ncurrent-context: kind-localdev\n"
	if err := os.WriteFile(kubeconfig, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return kubeconfig
}

// TestExportTakesTheUsersDeadline (issue 21 item 7): export against a
// server that never answers gives up at IDPBUILDER_HELPER_TIMEOUT; it
// ignored it before (10.1 s with it at 2 s: client-go's TLS handshake
// timeout, under export's own minute).
func TestExportTakesTheUsersDeadline(t *testing.T) {
	env := append(baseEnv(t, silentAPIServer(t)), "IDPBUILDER_HELPER_TIMEOUT=1s", "IDPBUILDER_HELPER_NO_CACHE=1")
	r := runHelper(t, env, "", "export", "--namespace", "default", "--registry", registry)
	t.Logf("FIGURE export against a silent API server, IDPBUILDER_HELPER_TIMEOUT=1s: exit %d in %s", r.code, r.elapsed.Round(time.Millisecond))
	if r.code == 0 || strings.Count(r.stderr, "\n") != 1 {
		t.Fatalf("export: exit %d, stdout %q, stderr %q; want one error line", r.code, r.stdout, r.stderr)
	}
	// Well under the 10 s handshake timeout, with room for a busy machine.
	if r.elapsed > 6*time.Second {
		t.Fatalf("export took %s with a 1 s deadline", r.elapsed.Round(time.Millisecond))
	}
}
