package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// install and status read the cluster through client-go, which hands an
// exec credential plugin the process's stderr: a plugin that fails printing
// its token must not reach the user's terminal. Their own report stays on
// stdout and their error is one line on stderr. This test binary is the
// companion (see TestCompanionProcess), so the real file descriptors are
// what is checked.
func TestInstallAndStatusKeepExecPluginsQuiet(t *testing.T) {
	const canary = "kubecanary-5d1f0b2e"
	dir := t.TempDir()
	plugin := filepath.Join(dir, "kube-login")
	if err := os.WriteFile(plugin, []byte("#!/bin/sh\necho "+canary+"\necho "+canary+" >&2\nexit 3\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	kc := filepath.Join(dir, "kubeconfig")
	// A server nobody listens on: client-go runs the plugin before it
	// connects.
	config := "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:1\n" +
		"contexts:\n- name: kind-localdev\n  context: {cluster: c, user: u}\ncurrent-context: kind-localdev\n" +
		"users:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: " + plugin + "\n      interactiveMode: Never\n"
	if err := os.WriteFile(kc, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	for _, tt := range []struct {
		args   []string
		stdout string // what the command's own report says
		stderr string // in the one error line; empty for none
	}{
		{[]string{"install", "--kubeconfig", kc, "--git=false"}, "", "exit status 3"},
		{[]string{"status"}, "exit status 3", ""},
	} {
		t.Run(tt.args[0], func(t *testing.T) {
			cmd := exec.Command(os.Args[0], append([]string{"-test.run=^TestCompanionProcess$", "--"}, tt.args...)...)
			cmd.Env = append(os.Environ(), runAsCompanion+"=1", "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
				"KUBECONFIG="+kc, "IDPBUILDER_HELPER_NO_CACHE=1", "IDPBUILDER_HELPER_TIMEOUT=2s", "DOCKER_CONFIG="+filepath.Join(home, ".docker"))
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if strings.Contains(stdout.String()+stderr.String(), canary) {
				t.Fatalf("the plugin's output reached the terminal:\nstdout %q\nstderr %q", stdout.String(), stderr.String())
			}
			if err == nil || !strings.Contains(stdout.String(), tt.stdout) {
				t.Fatalf("exit %v, stdout %q: want a failure saying %q", err, stdout.String(), tt.stdout)
			}
			if tt.stderr == "" && stderr.Len() != 0 || tt.stderr != "" && (strings.Count(stderr.String(), "\n") != 1 || !strings.Contains(stderr.String(), tt.stderr)) {
				t.Fatalf("stderr %q: want %q in one line", stderr.String(), tt.stderr)
			}
		})
	}
}
