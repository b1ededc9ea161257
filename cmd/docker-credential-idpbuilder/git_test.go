package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestGitCommand(t *testing.T) {
	// No companion to find: an installed one would read the real kubeconfig.
	t.Setenv("PATH", t.TempDir())
	env := map[string]string{
		"IDPBUILDER_HELPER_CONFIG":   "/nonexistent/config.json",
		"KUBECONFIG":                 "/nonexistent/kubeconfig",
		"IDPBUILDER_HELPER_NO_CACHE": "1",
	}
	t.Setenv("KUBECONFIG", env["KUBECONFIG"])
	tests := []struct {
		name                 string
		args                 []string
		stdin                string
		wantCode             int
		wantStdout           string
		stdoutHas, stderrHas string
	}{
		{name: "help", args: []string{"help", "git"}, stdoutHas: "credential.https://HOST.helper"},
		{name: "--help", args: []string{"git", "--help"}, stdoutHas: "Usage: docker-credential-idpbuilder git <get|store|erase>\n\ngit's credential helper"},
		{name: "-h", args: []string{"git", "-h"}, stdoutHas: "credential.https://HOST.helper"},
		{name: "help operation", args: []string{"git", "help"}, stdoutHas: "credential.https://HOST.helper"},
		{name: "no operation", args: []string{"git"}, wantCode: exitUsage, stderrHas: "one operation"},
		{name: "two operations", args: []string{"git", "get", "store"}, wantCode: exitUsage, stderrHas: "one operation"},
		{name: "unknown operation", args: []string{"git", "capabilities"}, stdin: "\x00"},
		{name: "foreign host", args: []string{"git", "get"}, stdin: "protocol=https\nhost=github.com\n\n"},
		{name: "malformed", args: []string{"git", "get"}, stdin: "host\n", wantCode: exitError, stderrHas: "malformed"},
		{name: "our host without the companion", args: []string{"git", "get"}, stdin: "protocol=https\nhost=gitea.cnoe.localtest.me:8443\n\n",
			wantCode: exitError, stderrHas: "docker-credential-idpbuilder-cluster not found beside docker-credential-idpbuilder or on PATH"},
		{name: "erase without a keyring", args: []string{"git", "erase"}, stdin: "protocol=https\nhost=gitea.cnoe.localtest.me:8443\nusername=u\npassword=hunter2\n\n"},
		{name: "store without a keyring", args: []string{"git", "store"}, stdin: "protocol=https\nhost=gitea.cnoe.localtest.me:8443\nusername=u\npassword=hunter2\n\n",
			wantCode: exitError, stderrHas: "passwords are never written to a file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tt.args, strings.NewReader(tt.stdin), &stdout, &stderr, func(k string) string { return env[k] })
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d (stdout %q, stderr %q)", code, tt.wantCode, stdout.String(), stderr.String())
			}
			if tt.stdoutHas == "" && stdout.Len() > 0 {
				t.Errorf("stdout = %q, want nothing", stdout.String())
			}
			if !strings.Contains(stdout.String(), tt.stdoutHas) || !strings.Contains(stderr.String(), tt.stderrHas) {
				t.Errorf("stdout %q, stderr %q; want %q, %q", stdout.String(), stderr.String(), tt.stdoutHas, tt.stderrHas)
			}
			if tt.stderrHas == "" && stderr.Len() > 0 {
				t.Errorf("unexpected stderr %q", stderr.String())
			}
			if strings.Count(stderr.String(), "\n") > 1 || strings.Contains(stdout.String()+stderr.String(), "hunter2") {
				t.Errorf("stderr is not one line, or holds a secret: %q", stderr.String())
			}
		})
	}
}
