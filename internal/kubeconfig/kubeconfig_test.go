package kubeconfig

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
)

// clientcmdView loads context with client-go's own loading rules and client
// configuration, as the companion does, and fingerprints the rest.Config it
// ends with: Resolve must agree.
func clientcmdView(t *testing.T, explicit, context string) (host, fingerprint string, err error) {
	t.Helper()
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = explicit
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: context}).ClientConfig()
	if err != nil {
		return "", "", err
	}
	fp, err := ConfigFingerprint(cfg.Host, cfg.Insecure, cfg.ServerName, cfg.CAData, cfg.CAFile)
	return cfg.Host, fp, err
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

	// raw writes a kubeconfig as given, with the user u every context uses.
	raw := func(name, body string) string {
		return write(t, dir, name, body+"users:\n- name: u\n  user:\n    token: t\n")
	}
	const localdev = "contexts:\n- name: kind-localdev\n  context: {cluster: kind-localdev, user: u}\n"
	right := raw("right", "clusters:\n- name: kind-localdev\n  cluster: {server: \"https://right.example\", insecure-skip-tls-verify: true}\n"+localdev)
	list := func(files ...string) string { return strings.Join(files, string(os.PathListSeparator)) }
	oneCluster := func(name, cluster string) string {
		return raw(name, "clusters:\n- name: kind-localdev\n  cluster:\n"+cluster+localdev)
	}

	tests := []struct {
		name, kubeconfigEnv, explicit, context string
		// wantContext is the context Resolve picks, and the one client-go
		// is asked for.
		wantContext string
		// wantErr: both refuse.
		wantErr bool
		chdir   bool
	}{
		{name: "default prefers kind-localdev, first file wins", kubeconfigEnv: list(first, second), wantContext: "kind-localdev"},
		{name: "first file's context and cluster win", kubeconfigEnv: list(first, second), context: "work", wantContext: "work"},
		{name: "context only in the second file", kubeconfigEnv: list(first, second), context: "mine", wantContext: "mine"},
		{name: "order reversed", kubeconfigEnv: list(second, first), wantContext: "kind-localdev"},
		{name: "current context from the second file", kubeconfigEnv: list(filepath.Join(dir, "missing"), second), wantContext: "kind-localdev"},
		{name: "explicit file", kubeconfigEnv: second, explicit: first, context: "work", wantContext: "work"},

		// Keys are case-sensitive: a capitalised key is not the field.
		{name: "Name: is not name:", wantContext: "kind-localdev", kubeconfigEnv: list(
			raw("capname", "clusters:\n- Name: kind-localdev\n  cluster: {server: \"https://wrong.example\"}\n"+localdev), right)},
		{name: "Server: is not server:", wantContext: "kind-localdev", wantErr: true, kubeconfigEnv: list(
			oneCluster("capserver", "    Server: https://wrong.example\n    insecure-skip-tls-verify: true\n"), right)},
		{name: "context Name: is not name:", wantContext: "kind-localdev", kubeconfigEnv: list(
			raw("capctx", "clusters:\n- name: wrong\n  cluster: {server: \"https://wrong.example\"}\ncontexts:\n- Name: kind-localdev\n  context: {cluster: wrong, user: u}\n"),
			raw("ctx2", "contexts:\n- name: kind-localdev\n  context: {cluster: kind-localdev, user: u}\n"), right)},
		{name: "Current-Context: is not current-context:", wantContext: "mine", kubeconfigEnv: list(
			raw("capcurrent", "Current-Context: wrong\nclusters:\n- name: wrong\n  cluster: {server: \"https://wrong.example\"}\ncontexts:\n- name: wrong\n  context: {cluster: wrong, user: u}\n"),
			raw("current", "current-context: mine\nclusters:\n- name: c\n  cluster: {server: \"https://right.example\"}\ncontexts:\n- name: mine\n  context: {cluster: c, user: u}\n"))},
		{name: "Clusters: is not clusters:", wantContext: "kind-localdev", kubeconfigEnv: list(
			raw("caplist", "Clusters:\n- name: kind-localdev\n  cluster: {server: \"https://wrong.example\"}\n"+localdev), right)},
		{name: "a later file defines the name with other case", wantContext: "kind-localdev", kubeconfigEnv: list(
			raw("othercase", "clusters:\n- name: Kind-Localdev\n  cluster: {server: \"https://wrong.example\"}\n"+localdev), right)},
		{name: "the same user name in two files", wantContext: "kind-localdev", kubeconfigEnv: list(oneCluster("user1", "    server: https://right.example\n"), right)},

		// A name twice in one list: client-go refuses the file, so the
		// whole configuration.
		{name: "cluster twice in one file", wantContext: "kind-localdev", wantErr: true, kubeconfigEnv: raw("dupcluster",
			"clusters:\n- name: kind-localdev\n  cluster: {server: \"https://a.example\"}\n- name: kind-localdev\n  cluster: {server: \"https://b.example\"}\n"+localdev)},
		{name: "user twice in one file", wantContext: "kind-localdev", wantErr: true, kubeconfigEnv: list(
			write(t, dir, "dupuser", "clusters:\n- name: kind-localdev\n  cluster: {server: \"https://a.example\"}\n"+localdev+
				"users:\n- name: u\n  user: {token: t1}\n- name: u\n  user: {token: t2}\n"))},
		{name: "context twice in one file", wantContext: "kind-localdev", wantErr: true, kubeconfigEnv: list(
			raw("dupctx", localdev+"- name: kind-localdev\n  context: {cluster: x, user: u}\n"), right)},
		{name: "a bad file later in the list", wantContext: "kind-localdev", wantErr: true, kubeconfigEnv: list(right,
			raw("dupctx2", localdev+"- name: kind-localdev\n  context: {cluster: x, user: u}\n"))},
		{name: "Name: twice is the empty name twice", wantContext: "kind-localdev", wantErr: true, kubeconfigEnv: list(
			raw("dupempty", "clusters:\n- Name: a\n  cluster: {server: \"https://a.example\"}\n- Name: b\n  cluster: {server: \"https://b.example\"}\n"), right)},
		{name: "extension twice in one list", wantContext: "kind-localdev", wantErr: true, kubeconfigEnv: list(right,
			raw("dupext", "extensions:\n- name: x\n  extension: {a: 1}\n- name: x\n  extension: {a: 2}\n"))},
		{name: "an empty extension may be named again", wantContext: "kind-localdev", kubeconfigEnv: list(right,
			raw("dupnullext", "extensions:\n- name: x\n- name: x\n  extension: {a: 2}\n"))},

		// Certificate authorities.
		{name: "both certificate-authority and -data", wantContext: "kind-localdev", wantErr: true, kubeconfigEnv: oneCluster("bothca",
			"    server: https://127.0.0.1:6443\n    certificate-authority: pki/ca.crt\n    certificate-authority-data: Y2EtZGF0YQ==\n")},
		{name: "relative certificate-authority, relative file", wantContext: "kind-localdev", chdir: true, explicit: filepath.Join("sub", "kc"),
			kubeconfigEnv: second},
		{name: "certificate-authority that cannot be read", wantContext: "kind-localdev", wantErr: true, kubeconfigEnv: oneCluster("noca",
			"    server: https://127.0.0.1:6443\n    certificate-authority: pki/none.crt\n")},

		// What the file is, and value types, as client-go's decoder sees them.
		{name: "apiVersion v2", wantContext: "kind-localdev", wantErr: true, kubeconfigEnv: list(right, raw("v2", "apiVersion: v2\n"))},
		{name: "kind Pod", wantContext: "kind-localdev", wantErr: true, kubeconfigEnv: list(right, raw("pod", "kind: Pod\n"))},
		{name: "apiVersion /v1", wantContext: "kind-localdev", kubeconfigEnv: list(right, raw("slashv1", "apiVersion: /v1\nkind: Config\n"))},
		{name: "server is a number", wantContext: "kind-localdev", wantErr: true, kubeconfigEnv: oneCluster("numserver", "    server: 6443\n")},
		{name: "insecure is a string", wantContext: "kind-localdev", wantErr: true, kubeconfigEnv: oneCluster("strbool",
			"    server: https://a.example\n    insecure-skip-tls-verify: \"true\"\n")},
		{name: "proxy-url is a number", wantContext: "kind-localdev", wantErr: true, kubeconfigEnv: oneCluster("numproxy",
			"    server: https://a.example\n    proxy-url: 5\n")},
		{name: "CA data not base64", wantContext: "kind-localdev", wantErr: true, kubeconfigEnv: oneCluster("badb64",
			"    server: https://a.example\n    certificate-authority-data: \"%%%\"\n")},
		{name: "YAML 1.1 yes is true", wantContext: "kind-localdev", kubeconfigEnv: oneCluster("yes",
			"    server: https://a.example\n    insecure-skip-tls-verify: yes\n")},
		{name: "a list, not a mapping", wantContext: "kind-localdev", wantErr: true, kubeconfigEnv: list(right, write(t, dir, "alist", "- a\n- b\n"))},
		{name: "not YAML", wantContext: "kind-localdev", wantErr: true, kubeconfigEnv: list(right, write(t, dir, "garbage", "clusters: [unclosed\n"))},
		{name: "an empty file in the list", wantContext: "kind-localdev", kubeconfigEnv: list(write(t, dir, "empty", ""), write(t, dir, "comment", "# nothing\n"), right)},

		// What client-go does with the server URL.
		{name: "plain http ignores the CA", wantContext: "kind-localdev", kubeconfigEnv: oneCluster("http",
			"    server: http://127.0.0.1:8080\n    certificate-authority-data: Y2EtZGF0YQ==\n    tls-server-name: x\n")},
		{name: "host:port without a scheme is http", wantContext: "kind-localdev", kubeconfigEnv: oneCluster("noscheme",
			"    server: 127.0.0.1:8080\n    certificate-authority-data: Y2EtZGF0YQ==\n")},
		{name: "query of a URL with a path is dropped", wantContext: "kind-localdev", kubeconfigEnv: oneCluster("query",
			"    server: https://a.example/prefix?x=1#f\n    certificate-authority-data: Y2EtZGF0YQ==\n")},
	}
	write(t, dir, "sub/kc", kubeconfigYAML("", map[string]string{
		"kind-localdev": "    server: https://127.0.0.1:6443\n    certificate-authority: ../pki/ca.crt\n",
	}, map[string]string{"kind-localdev": "kind-localdev"}))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.chdir {
				t.Chdir(dir)
			}
			t.Setenv("KUBECONFIG", tt.kubeconfigEnv)
			ref, err := Resolve(tt.explicit, tt.context, os.Getenv)
			host, fp, goErr := clientcmdView(t, tt.explicit, tt.wantContext)
			if tt.wantErr {
				if err == nil || goErr == nil {
					t.Fatalf("Resolve = %+v, %v; client-go: %v; want both to refuse", ref, err, goErr)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Fatalf("Resolve error is not one line: %q", err)
				}
				return
			}
			if err != nil || goErr != nil {
				t.Fatalf("Resolve: %v; client-go: %v", err, goErr)
			}
			if ref.Context != tt.wantContext {
				t.Fatalf("context = %q, want %q", ref.Context, tt.wantContext)
			}
			if restHost(ref.Server) != host || ref.Fingerprint != fp {
				t.Fatalf("Resolve = %s %s; client-go uses %s %s", ref.Server, ref.Fingerprint, host, fp)
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
		{name: "not YAML", explicit: garbage, want: "is not valid YAML (line 1)"},
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

// TestResolveErrorsCarryNoValues: a kubeconfig that does not load is
// described by file, line and field, never by a value from it: the file
// holds tokens, passwords and keys, and the error reaches docker's stdout.
func TestResolveErrorsCarryNoValues(t *testing.T) {
	const canary = "kubecanary-5f0e1d"
	dir := t.TempDir()
	user := "users:\n- name: u\n  user:\n    token: " + canary + "\n    password: " + canary + "\n    client-key-data: " + canary + "\n"
	ctx := "contexts:\n- name: kind-localdev\n  context: {cluster: c, user: u}\n"
	cl := "clusters:\n- name: c\n  cluster: {server: \"https://a.example\"}\n"
	tests := []struct{ name, content, want string }{
		{"bad indentation", cl + ctx + "users:\n- name: u\n  user:\n    token: " + canary + "\n   password: " + canary + "\n", "not valid YAML (line 10)"},
		{"map as a key", "? {token: " + canary + "}\n: x\n", "not valid YAML"},
		{"tagged value", cl + ctx + "users:\n- name: u\n  user:\n    token: !!int " + canary + "\n", "not valid YAML"},
		{"tab", cl + ctx + user + "\tpassword: " + canary + "\n", "not valid YAML"},
		{"unterminated quote", cl + ctx + "users:\n- name: u\n  user:\n    token: '" + canary + "\n", "not valid YAML"},
		{"two users of one name", cl + ctx + user + "- name: u\n  user:\n    token: " + canary + "\n", `user name "u" appears twice`},
		{"two clusters of one name", cl + "- name: c\n  cluster: {server: \"https://" + canary + ".example\"}\n" + ctx + user, `cluster name "c" appears twice`},
		{"wrong type", "clusters:\n- name: c\n  cluster: {server: [\"" + canary + "\"]}\n" + ctx + user, "field clusters.cluster.server has a value of the wrong type"},
		{"bad base64", "clusters:\n- name: c\n  cluster: {server: \"https://a\", certificate-authority-data: \"" + canary + "%\"}\n" + ctx + user, "not valid base64"},
		{"a list", "- " + canary + "\n", "top level is not a mapping"},
		{"another kind", "kind: " + canary + "\n" + cl + ctx + user, "not apiVersion v1, kind Config"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := write(t, dir, strings.ReplaceAll(tt.name, " ", "-"), tt.content)
			_, err := Resolve(path, "", os.Getenv)
			if err == nil {
				t.Fatal("Resolve accepted it")
			}
			msg := err.Error()
			if strings.Contains(msg, canary) || strings.Contains(msg, "\n") || !strings.Contains(msg, path) || !strings.Contains(msg, tt.want) {
				t.Fatalf("error %q: want one line naming %s with %q and no value", msg, path, tt.want)
			}
		})
	}
}
