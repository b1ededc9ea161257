package secrets

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/clusterid"
)

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// configWith is a kubeconfig of one context ctx, its cluster and user
// named as it is (the cluster's lines given).
func configWith(ctx, cluster string) string {
	return "apiVersion: v1\nkind: Config\nclusters:\n- name: " + ctx + "\n  cluster:\n" + cluster +
		"users:\n- name: " + ctx + "\n  user:\n    token: t\ncontexts:\n- name: " + ctx + "\n  context: {cluster: " + ctx + ", user: " + ctx + "}\ncurrent-context: " + ctx + "\n"
}

// Only a server reached directly on a loopback address gets a probe
// address: a refused connect there means the cluster is stopped. A
// proxy-url (an SSH tunnel to another machine's loopback) gets none.
func TestResolveLoopback(t *testing.T) {
	for _, tt := range []struct{ name, cluster, want string }{
		{"kind", "    server: https://127.0.0.1:40123\n", "127.0.0.1:40123"},
		{"localhost, default port", "    server: https://localhost\n", "localhost:443"},
		{"IPv6 loopback", "    server: https://[::1]:6443\n", "[::1]:6443"},
		{"http", "    server: http://127.0.0.2\n", "127.0.0.2:80"},
		{"with a path", "    server: https://127.0.0.1:6443/prefix\n", "127.0.0.1:6443"},
		{"another machine", "    server: https://10.0.0.1:6443\n", ""},
		{"a name", "    server: https://kind.example:6443\n", ""},
		{"through a proxy", "    server: https://127.0.0.1:6443\n    proxy-url: socks5://localhost:1080\n", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Resolve(writeFile(t, t.TempDir(), "config", configWith("kind-localdev", tt.cluster)), "")
			if err != nil {
				t.Fatal(err)
			}
			if c.ID().Loopback != tt.want {
				t.Fatalf("Loopback = %q, want %q", c.ID().Loopback, tt.want)
			}
		})
	}
}

// The context is client-go's choice over the file list ($KUBECONFIG, else
// the explicit file), and the ID stamps every file that made it, missing
// ones and the CA file the cluster names included, so a change to any of
// them shows to the helper; and no other (the file client-go migrates
// from matters only where ~/.kube/config is read).
func TestResolveChoosesAndStamps(t *testing.T) {
	dir := t.TempDir()
	ca := writeFile(t, dir, "ca.crt", "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n")
	first := writeFile(t, dir, "first", configWith("work", "    server: https://first.example\n    certificate-authority: "+ca+"\n"))
	second := writeFile(t, dir, "second", configWith("kind-localdev", "    server: https://second.example\n    insecure-skip-tls-verify: true\n"))
	missing := filepath.Join(dir, "missing")
	list := func(paths ...string) string {
		return filepath.Join(paths[0]) + string(os.PathListSeparator) + filepath.Join(paths[1:]...)
	}
	for _, tt := range []struct {
		name, env, explicit, context string
		wantContext, wantServer      string
		wantFiles                    []string
	}{
		{name: "kind-localdev preferred over the first file's current context", env: list(first, second),
			wantContext: "kind-localdev", wantServer: "https://second.example", wantFiles: []string{first, second}},
		{name: "a named context", env: list(first, second), context: "work",
			wantContext: "work", wantServer: "https://first.example", wantFiles: []string{first, second, ca}},
		{name: "a missing file is stamped too", env: list(missing, first), context: "work",
			wantContext: "work", wantServer: "https://first.example", wantFiles: []string{missing, first, ca}},
		{name: "the explicit file only", env: list(first, second), explicit: first,
			wantContext: "work", wantServer: "https://first.example", wantFiles: []string{first, ca}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("KUBECONFIG", tt.env)
			c, err := Resolve(tt.explicit, tt.context)
			if err != nil {
				t.Fatal(err)
			}
			id := c.ID()
			if c.Context() != tt.wantContext || id.Context != tt.wantContext || c.Server() != tt.wantServer {
				t.Fatalf("resolved %q at %s, want %q at %s", c.Context(), c.Server(), tt.wantContext, tt.wantServer)
			}
			var files []string
			for _, s := range id.Files {
				files = append(files, s.Path)
				if want := clusterid.StampFiles([]string{s.Path})[0]; s != want {
					t.Errorf("stamp %+v, the file is %+v", s, want)
				}
			}
			if !slices.Equal(files, tt.wantFiles) {
				t.Errorf("stamped %q, want %q", files, tt.wantFiles)
			}
			if id.Inputs != clusterid.Inputs(tt.explicit, tt.context, os.Getenv) || id.At.IsZero() {
				t.Errorf("ID inputs %q at %s: want the helper's for the same request", id.Inputs, id.At)
			}
		})
	}
}
