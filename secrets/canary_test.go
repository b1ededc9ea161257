package secrets

import (
	"context"
	"errors"
	"fmt"
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

// canary stands for a token, password or client key in a kubeconfig, in
// what an exec plugin prints, and in the API server's error bodies.
const canary = "kubecanary-8d3f61c2"

// canaryCase is one way reading the secret fails.
type canaryCase struct {
	name string
	// kubeconfig returns the file's content for the API server at server
	// with CA data ca (base64) and the plugin folder dir.
	kubeconfig func(server, ca, dir string) string
	// status and body are the API server's answer; 0 means the secret.
	status int
	// want is in the one-line error; wantDown: it allows a cached answer.
	want     string
	wantDown bool
}

const (
	canaryUser    = "users:\n- name: u\n  user:\n    token: " + canary + "\n"
	canaryContext = "contexts:\n- name: kind-localdev\n  context: {cluster: c, user: u}\ncurrent-context: kind-localdev\n"
)

func canaryCluster(server, ca string) string {
	return "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: " + server + "\n    certificate-authority-data: " + ca + "\n"
}

// canaryPlugin writes an exec plugin running body, and returns the users
// section naming it.
func canaryPlugin(dir, body string) string {
	plugin := filepath.Join(dir, "kube-login")
	if err := os.WriteFile(plugin, []byte("#!/bin/sh\n"+body), 0o700); err != nil {
		panic(err)
	}
	return "users:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: " + plugin + "\n      interactiveMode: Never\n"
}

// canaryCases are every way the companion's read-secret can fail, each
// with the canary where a careless error would print it.
func canaryCases() []canaryCase {
	cert := b64([]byte("-----BEGIN CERTIFICATE-----\n" + canary + "\n-----END CERTIFICATE-----\n"))
	key := b64([]byte("-----BEGIN EC PRIVATE KEY-----\n" + canary + "\n-----END EC PRIVATE KEY-----\n"))
	secretAnswer := `{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"` + testToken + `"}}`
	withUser := func(user string) func(server, ca, dir string) string {
		return func(server, ca, dir string) string { return canaryCluster(server, ca) + canaryContext + user }
	}
	withPlugin := func(body string) func(server, ca, dir string) string {
		return func(server, ca, dir string) string {
			return canaryCluster(server, ca) + canaryContext + canaryPlugin(dir, body)
		}
	}
	return []canaryCase{
		// Malformed YAML: the reader refuses, by line.
		{name: "bad indentation", kubeconfig: withUser("users:\n- name: u\n  user:\n    token: " + canary + "\n   password: " + canary + "\n"), want: "not valid YAML (line"},
		{name: "a map as a key", kubeconfig: withUser("? {token: " + canary + "}\n: x\n"), want: "not valid YAML"},
		{name: "a tagged value", kubeconfig: withUser("users:\n- name: u\n  user:\n    token: !!float " + canary + "\n"), want: "not valid YAML"},
		{name: "a tab", kubeconfig: withUser(canaryUser + "\tpassword: " + canary + "\n"), want: "not valid YAML"},
		{name: "an unterminated quote", kubeconfig: withUser("users:\n- name: u\n  user:\n    token: \"" + canary + "\n"), want: "not valid YAML"},
		{name: "a bad escape", kubeconfig: withUser("users:\n- name: u\n  user:\n    token: \"" + canary + "\\q\"\n"), want: "not valid YAML"},
		// A name twice in one file: client-go prints the whole list.
		{name: "two users of one name", kubeconfig: withUser(canaryUser + "- name: u\n  user:\n    username: a\n    password: " + canary + "\n" +
			"- name: u\n  user:\n    client-certificate-data: " + cert + "\n    client-key-data: " + key + "\n"), want: "user, context or extension name appears twice"},
		{name: "two clusters of one name", kubeconfig: func(server, ca, dir string) string {
			return canaryCluster(server, ca) + "- name: c\n  cluster:\n    server: https://" + canary + ".example\n" + canaryContext + canaryUser
		}, want: "a cluster, user, context or extension name appears twice"},
		{name: "two contexts of one name", kubeconfig: withUser("contexts:\n- name: kind-localdev\n  context: {cluster: c, user: u}\n- name: kind-localdev\n  context: {cluster: " + canary + ", user: u}\n" + canaryUser),
			want: "context or extension name appears twice"},
		{name: "no such context", kubeconfig: func(server, ca, dir string) string {
			return canaryCluster(server, ca) + "contexts:\n- name: other\n  context: {cluster: c, user: u}\n" + canaryUser
		}, want: "no current context"},
		{name: "both CAs", kubeconfig: func(server, ca, dir string) string {
			return canaryCluster(server, ca) + "    certificate-authority: ca.crt\n" + canaryContext + canaryUser
		}, want: "it sets both a file and its *-data field"},
		// client-go refuses what the reader accepts.
		{name: "a token of the wrong type", kubeconfig: withUser("users:\n- name: u\n  user:\n    token: [" + canary + "]\n"), want: "field users.user.token has a value of the wrong type"},
		{name: "a proxy URL that does not parse", kubeconfig: func(server, ca, dir string) string {
			return canaryCluster(server, ca) + "    proxy-url: http://u:" + canary + "@[::1\n" + canaryContext + canaryUser
		}, want: "proxy-url is not a valid URL"},
		{name: "a client key that is no key", kubeconfig: withUser("users:\n- name: u\n  user:\n    client-certificate-data: " + cert + "\n    client-key-data: " + key + "\n"),
			want: "client certificate or key cannot be used"},
		{name: "token and password", kubeconfig: withUser(canaryUser + "    username: a\n    password: " + canary + "\n"), want: "more than one of token"},
		{name: "an auth provider", kubeconfig: withUser("users:\n- name: u\n  user:\n    auth-provider:\n      name: oidc\n      config: {id-token: " + canary + "}\n"),
			want: "auth-provider"},
		// Unknown keys are ignored, as by client-go: no token is sent.
		{name: "unknown keys", kubeconfig: withUser("users:\n- name: u\n  user:\n    Token: " + canary + "\n    tokne: " + canary + "\n"), want: "401"},
		{name: "a password in the server URL", kubeconfig: func(server, ca, dir string) string {
			return canaryCluster(strings.Replace(closedPort(), "https://", "https://u:"+canary+"@", 1), ca) + canaryContext + canaryUser
		}, want: "is the idpbuilder cluster running?", wantDown: true},
		// Exec plugins: only the command's name and the exit status.
		{name: "plugin fails printing the canary", kubeconfig: withPlugin("echo " + canary + "\necho " + canary + " >&2\nexit 3\n"),
			want: `plugin "kube-login" of context "kind-localdev" failed (exit status 3)`},
		{name: "plugin prints a malformed answer", kubeconfig: withPlugin("echo '{\"kind\":\"" + canary + "\"'\n"), want: "printed a malformed answer"},
		{name: "plugin prints text", kubeconfig: withPlugin("echo " + canary + "\n"), want: "printed a malformed answer"},
		{name: "plugin answers another version", kubeconfig: withPlugin(`echo '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"` + canary + `"}}'` + "\n"),
			want: "another apiVersion"},
		{name: "plugin answers no status", kubeconfig: withPlugin(`echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"x":"` + canary + `"}}'` + "\n"),
			want: "no usable credentials"},
		{name: "plugin answers a bad key", kubeconfig: withPlugin(`echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"clientCertificateData":"` + canary + `","clientKeyData":"` + canary + `"}}'` + "\n"),
			want: "cannot be parsed"},
		{name: "plugin missing", kubeconfig: func(server, ca, dir string) string {
			return canaryCluster(server, ca) + canaryContext + "users:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: " +
				filepath.Join(dir, "none") + "\n      interactiveMode: Never\n      installHint: " + canary + "\n"
		}, want: "was not found"},
		{name: "plugin hangs", kubeconfig: withPlugin("echo " + canary + " >&2\nexec sleep 3\n"), want: "timed out", wantDown: true},
		// The API server's answers: the body is never quoted.
		{name: "401", kubeconfig: withPlugin("echo '" + secretAnswer + "'\n"), status: 401, want: "401 Unauthorized"},
		{name: "403", kubeconfig: withUser("users:\n- name: u\n  user:\n    token: " + testToken + "\n"), status: 403, want: "forbidden"},
		{name: "404", kubeconfig: withUser("users:\n- name: u\n  user:\n    token: " + testToken + "\n"), status: 404, want: "not found"},
		{name: "500", kubeconfig: withUser("users:\n- name: u\n  user:\n    token: " + testToken + "\n"), status: 500, want: "answered 500", wantDown: true},
		{name: "a secret that is not JSON", kubeconfig: withUser("users:\n- name: u\n  user:\n    token: " + testToken + "\n"), status: 200, want: "has no username"},
	}
}

// leaksCanary reports whether s holds the canary as text, base64, or the
// decimal bytes fmt prints for a []byte (client-go's duplicate-name error
// printed client keys so).
func leaksCanary(s string) bool {
	for _, form := range []string{canary, b64([]byte(canary)), strings.Trim(fmt.Sprint([]byte(canary)), "[]")} {
		if strings.Contains(s, form) {
			return true
		}
	}
	return false
}

// closedPort is an https URL where nothing listens.
func closedPort() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return "https://" + l.Addr().String()
}

// canaryServer answers every request with status and the canary in the
// body; it checks the token like the API server.
func canaryServer(t *testing.T, status int) *httptest.Server {
	return apiServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"kind":"Status","message":"%s","data":{"password":"%s"}}`, canary, b64([]byte(canary)))
	})
}

// quietStderr points os.Stderr at a file while the test runs: client-go
// hands it to exec plugins, and what they print is the read-secret
// program's to keep out of its output (see its tests), not this package's.
func quietStderr(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stderr
	os.Stderr = f
	t.Cleanup(func() { os.Stderr = saved; f.Close() })
}

// setUp starts the case's API server and writes its kubeconfig (and the
// CA beside it), returning the kubeconfig's path; $KUBECONFIG names a file
// that does not exist, so only that path is read.
func (tc canaryCase) setUp(t *testing.T) string {
	t.Helper()
	status := tc.status
	if status == 0 {
		status = http.StatusUnauthorized
	}
	srv := canaryServer(t, status)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ca.crt"), caOf(srv), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(path, []byte(tc.kubeconfig(srv.URL, b64(caOf(srv)), dir)), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KUBECONFIG", filepath.Join(dir, "none"))
	return path
}

// TestNoSecretInAnyError runs every failing read the companion's
// read-secret can meet: the canary token, password and client key never
// appear in the error, which is one line.
func TestNoSecretInAnyError(t *testing.T) {
	quietStderr(t)
	for _, tc := range canaryCases() {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.setUp(t)
			ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
			defer cancel()
			start := time.Now()
			c, err := Resolve(path, "")
			if err == nil {
				_, err = c.ReadSecret(ctx, idpbuilder.SecretRef{Namespace: "gitea", Name: "gitea-credential"})
			}
			if err == nil {
				t.Fatal("the read succeeded")
			}
			if took := time.Since(start); took > 2*time.Second {
				t.Errorf("the read took %s past a 700ms deadline", took)
			}
			msg := err.Error()
			if leaksCanary(msg) {
				t.Fatalf("the canary is in the error: %q", msg)
			}
			if strings.ContainsAny(msg, "\r\n") || !strings.Contains(msg, tc.want) {
				t.Fatalf("error %q: want one line with %q", msg, tc.want)
			}
			if errors.Is(err, idpbuilder.ErrUnreachable) != tc.wantDown {
				t.Errorf("errors.Is(err, ErrUnreachable) = %v, want %v", !tc.wantDown, tc.wantDown)
			}
			t.Logf("%s", msg)
		})
	}
}
