package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/companion"
)

// runAsCompanion makes this test binary the companion program when the test
// below runs it, so that its real stdout and stderr (file descriptors,
// which exec plugins inherit) are what is checked.
const runAsCompanion = "IDPBUILDER_TEST_RUN_AS_COMPANION"

func TestCompanionProcess(t *testing.T) {
	if os.Getenv(runAsCompanion) != "1" {
		t.Skip("run by TestReadSecretOutputHoldsNoSecret")
	}
	args := os.Args
	for i, a := range args {
		if a == "--" {
			args = args[i+1:]
			break
		}
	}
	// main, as the helper runs it: with os.Stderr quiet for the process.
	os.Args = append([]string{os.Args[0]}, args...)
	main()
}

// TestReadSecretOutputHoldsNoSecret runs read-secret as a process over
// kubeconfigs and exec plugins that put a canary token, password and client
// key where a careless program would print them (plugins print it on stdout
// and stderr, the API server in its error bodies): stdout is one JSON reply
// with no canary, and stderr stays empty. A good read replies with the
// fingerprint of what it read and the cluster ID the helper keeps.
func TestReadSecretOutputHoldsNoSecret(t *testing.T) {
	const canary = "kubecanary-0c4e9a77"
	const token = "good-token"
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.Header.Get("Authorization") {
		case "Bearer " + token:
			fmt.Fprintf(w, `{"data":{"username":%q,"password":%q}}`, b64("giteaAdmin"), b64("pw"))
		case "Bearer server-error":
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprintf(w, `{"message":%q}`, canary)
		default:
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `{"message":%q}`, canary)
		}
	}))
	defer srv.Close()
	ca := b64(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})))
	dir := t.TempDir()
	head := "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: " + srv.URL + "\n    certificate-authority-data: " + ca + "\n"
	ctx := "contexts:\n- name: kind-localdev\n  context: {cluster: c, user: u}\ncurrent-context: kind-localdev\n"
	plugin := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o700); err != nil {
			t.Fatal(err)
		}
		return "users:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: " + p + "\n      interactiveMode: Never\n"
	}
	cred := func(tok string) string {
		return `echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"` + tok + `"}}'` + "\n"
	}
	key := b64("-----BEGIN EC PRIVATE KEY-----\n" + canary + "\n-----END EC PRIVATE KEY-----\n")
	counter := filepath.Join(dir, "runs")

	tests := []struct {
		name, users, want string
		cluster           string // replaces head
	}{
		{name: "good", users: "users:\n- name: u\n  user:\n    token: " + token + "\n"},
		{name: "two users of one name", users: "users:\n- name: u\n  user:\n    token: " + canary + "\n- name: u\n  user:\n    password: " + canary +
			"\n    client-key-data: " + key + "\n", want: "appears twice"},
		{name: "a proxy URL client-go refuses", cluster: head + "    proxy-url: http://u:" + canary + "@[::1\n",
			users: "users:\n- name: u\n  user:\n    token: " + canary + "\n", want: "proxy-url"},
		{name: "plugin fails printing the canary", users: plugin("fails", "echo "+canary+"\necho "+canary+" >&2\nexit 3\n"), want: "exit status 3"},
		{name: "plugin prints a malformed answer", users: plugin("malformed", "echo '{\"kind\":\""+canary+"\"'\necho "+canary+" >&2\n"), want: "malformed"},
		{name: "plugin hangs", users: plugin("hangs", "echo "+canary+" >&2\nexec sleep 5\n"), want: "timed out"},
		// After a 401, client-go runs the plugin again and logs its
		// failure with klog, on stderr.
		{name: "plugin fails on the second run", users: plugin("second", "if [ -e "+counter+" ]; then echo "+canary+" >&2; echo '{\""+canary+"\"'; exit 0; fi\ntouch "+counter+"\n"+cred("stale")),
			want: "401"},
		{name: "API server error", users: "users:\n- name: u\n  user:\n    token: server-error\n", want: "answered 500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kc := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".yaml")
			c := tt.cluster
			if c == "" {
				c = head
			}
			if err := os.WriteFile(kc, []byte(c+ctx+tt.users), 0o600); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(os.Args[0], "-test.run=^TestCompanionProcess$", "--",
				"read-secret", "--context", "kind-localdev", "--kubeconfig", kc, "--timeout", "1s")
			cmd.Env = append(os.Environ(), runAsCompanion+"=1", "IDPBUILDER_HELPER_DEBUG=1")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			all := stdout.String() + stderr.String()
			for _, form := range []string{canary, b64(canary), strings.Trim(fmt.Sprint([]byte(canary)), "[]")} {
				if strings.Contains(all, form) {
					t.Fatalf("the canary is in the output:\nstdout %q\nstderr %q", stdout.String(), stderr.String())
				}
			}
			if stderr.Len() != 0 || strings.Count(stdout.String(), "\n") != 1 {
				t.Fatalf("stdout %q, stderr %q: want one reply and nothing else", stdout.String(), stderr.String())
			}
			var reply companion.Reply
			if jerr := json.Unmarshal(stdout.Bytes(), &reply); jerr != nil {
				t.Fatalf("reply %q: %v", stdout.String(), jerr)
			}
			if tt.want == "" {
				if err != nil || reply.Password != "pw" || reply.Cluster == nil || reply.Fingerprint == "" ||
					reply.Fingerprint != reply.Cluster.Fingerprint || reply.Cluster.Context != "kind-localdev" || len(reply.Cluster.Files) == 0 {
					t.Fatalf("reply %+v (%v); want the password and the cluster it was read from", reply, err)
				}
				return
			}
			if err == nil || !strings.Contains(reply.Error, tt.want) {
				t.Fatalf("exit %v, error %q: want a failure with %q", err, reply.Error, tt.want)
			}
			t.Logf("%s", reply.Error)
		})
	}
}

// read-secret's command line is companion.Request's: help on -h and
// --help, and a one-line usage error, with nothing on stdout, for what the
// helper never writes.
func TestReadSecretCommandLine(t *testing.T) {
	t.Setenv("KUBECONFIG", "/nonexistent/kubeconfig")
	for _, tc := range []struct {
		name      string
		args      []string
		wantCode  int
		stdoutHas string
		stderrHas string
	}{
		{"help", []string{"--help"}, exitOK, "--context=NAME", ""},
		{"short help", []string{"-h"}, exitOK, "--context=NAME", ""},
		{"help after a flag", []string{"--context=x", "--help"}, exitOK, "--context=NAME", ""},
		{"no context: kind-localdev, else the current one", []string{"--namespace", "gitea"}, exitError, "no current context", ""},
		{"a flag twice", []string{"--context=a", "--context=b"}, exitUsage, "", "given twice"},
		{"a stray argument", []string{"--context=a", "now"}, exitUsage, "", `unexpected argument "now"`},
		{"a bad timeout", []string{"--context=a", "--timeout=5"}, exitUsage, "", "not a positive duration"},
		{"a bad password key", []string{"--context=a", "--password-key=a/b"}, exitUsage, "", "secret password key"},
		{"a bad namespace", []string{"--context=a", "--namespace=../x"}, exitUsage, "", "secret namespace"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(append([]string{companion.ReadSecretCommand}, tc.args...), strings.NewReader(""), &stdout, &stderr, func(string) string { return "" })
			if code != tc.wantCode || !strings.Contains(stdout.String(), tc.stdoutHas) || !strings.Contains(stderr.String(), tc.stderrHas) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want %d, %q, %q", code, stdout.String(), stderr.String(), tc.wantCode, tc.stdoutHas, tc.stderrHas)
			}
			if tc.stderrHas != "" && (stdout.Len() != 0 || strings.Count(stderr.String(), "\n") != 1) {
				t.Errorf("stdout %q, stderr %q: want one line on stderr only", stdout.String(), stderr.String())
			}
		})
	}
}
