package kubeconfig

import "testing"

// Only a server reached directly on a loopback address gets a probe
// address: a refused connect there means the cluster is stopped. A
// proxy-url (an SSH tunnel to another machine's loopback) gets none.
func TestResolveLoopback(t *testing.T) {
	tests := []struct {
		name, cluster, want string
	}{
		{"kind", "    server: https://127.0.0.1:40123\n", "127.0.0.1:40123"},
		{"localhost, default port", "    server: https://localhost\n", "localhost:443"},
		{"IPv6 loopback", "    server: https://[::1]:6443\n", "[::1]:6443"},
		{"http", "    server: http://127.0.0.2\n", "127.0.0.2:80"},
		{"with a path", "    server: https://127.0.0.1:6443/prefix\n", "127.0.0.1:6443"},
		{"another machine", "    server: https://10.0.0.1:6443\n", ""},
		{"a name", "    server: https://kind.example:6443\n", ""},
		{"through a proxy", "    server: https://127.0.0.1:6443\n    proxy-url: socks5://localhost:1080\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := write(t, t.TempDir(), "config", kubeconfigYAML("c", map[string]string{"c": tt.cluster}, map[string]string{"c": "c"}))
			ref, err := Resolve(path, "", func(string) string { return "" })
			if err != nil {
				t.Fatal(err)
			}
			if ref.Loopback != tt.want {
				t.Fatalf("Loopback = %q, want %q", ref.Loopback, tt.want)
			}
		})
	}
}
