package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/companion"
)

func TestRun(t *testing.T) {
	// No companion to find: an installed one would read the real kubeconfig.
	t.Setenv("PATH", t.TempDir())
	env := map[string]string{
		// Point everything at nothing: no test may reach a real config.
		"IDPBUILDER_HELPER_CONFIG": "/nonexistent/config.json",
		"KUBECONFIG":               "/nonexistent/kubeconfig",
		// Unit tests never touch the user's keyring.
		"IDPBUILDER_HELPER_NO_CACHE": "1",
	}
	// client-go reads KUBECONFIG from the process environment.
	t.Setenv("KUBECONFIG", env["KUBECONFIG"])
	tests := []struct {
		name       string
		args       []string
		stdin      string
		env        map[string]string
		wantCode   int
		wantStdout string // exact, when set
		stdoutHas  string
		stderrHas  string
	}{
		{name: "no command", wantCode: exitUsage, stderrHas: "a command is required"},
		{name: "unknown verb", args: []string{"fetch"}, wantCode: exitUsage, stderrHas: `unknown command "fetch"`},
		{name: "extra argument", args: []string{"get", "x"}, wantCode: exitUsage, stderrHas: "takes no arguments"},
		// version_test.go checks the companion lines; here there is none.
		{name: "version", args: []string{"version"}, wantCode: exitOK, stdoutHas: "docker-credential-idpbuilder (github.com/cnoe-io/docker-credential-idpbuilder) ",
			stderrHas: "warning: docker-credential-idpbuilder-cluster not found"},
		{name: "--version", args: []string{"--version"}, wantCode: exitOK, stdoutHas: "docker-credential-idpbuilder (", stderrHas: "warning: docker-credential-idpbuilder-cluster not found"},
		{name: "help", args: []string{"--help"}, wantCode: exitOK, stdoutHas: "credHelpers"},
		{name: "help get", args: []string{"help", "get"}, wantCode: exitOK, stdoutHas: "\n  docker-credential-idpbuilder <get|store|erase|list>  credential-helper protocol"},
		{name: "get --help", args: []string{"get", "--help"}, wantCode: exitUsage, stderrHas: `"get" takes no arguments (it reads standard input)`},
		// Forwarded as given: the companion parses, and says what is wrong.
		{name: "help install without the cluster program", args: []string{"help", "install"}, wantCode: exitError, stderrHas: "docker-credential-idpbuilder-cluster not found"},
		// The test binary has no companion program beside it.
		{name: "install without the cluster program", args: []string{"install"}, wantCode: exitError, stderrHas: "docker-credential-idpbuilder-cluster not found"},
		{name: "foreign host is not found", args: []string{"get"}, stdin: "quay.io\n", wantCode: exitError,
			wantStdout: "credentials not found in native keychain\n"},
		{name: "empty stdin", args: []string{"get"}, stdin: "", wantCode: exitError, stdoutHas: "no credentials server URL"},
		{name: "garbage store", args: []string{"store"}, stdin: "\x00\xff{", wantCode: exitError, stdoutHas: "docker-credential-idpbuilder: "},
		{name: "store without username", args: []string{"store"}, stdin: `{"ServerURL":"gitea.cnoe.localtest.me:8443"}`, wantCode: exitError, stdoutHas: "no credentials username"},
		{name: "store for foreign host", args: []string{"store"}, stdin: `{"ServerURL":"quay.io","Username":"u","Secret":"hunter2"}`, wantCode: exitError, stdoutHas: "not an idpbuilder registry"},
		{name: "erase foreign host", args: []string{"erase"}, stdin: "quay.io", wantCode: exitError, wantStdout: "credentials not found in native keychain\n"},
		// The companion resolves the kubeconfig; none is beside this test
		// (test/integration runs both programs).
		{name: "our host without the companion", args: []string{"get"}, stdin: "gitea.cnoe.localtest.me:8443", wantCode: exitError,
			stdoutHas: "docker-credential-idpbuilder-cluster not found beside docker-credential-idpbuilder or on PATH"},
		{name: "bad duration", args: []string{"get"}, stdin: "quay.io", env: map[string]string{"IDPBUILDER_HELPER_TIMEOUT": "fast"}, wantCode: exitError,
			stdoutHas: "IDPBUILDER_HELPER_TIMEOUT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			getenv := func(k string) string {
				if v, ok := tt.env[k]; ok {
					return v
				}
				return env[k]
			}
			code := run(tt.args, strings.NewReader(tt.stdin), &stdout, &stderr, getenv)
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d (stdout %q, stderr %q)", code, tt.wantCode, stdout.String(), stderr.String())
			}
			if tt.wantStdout != "" && stdout.String() != tt.wantStdout {
				t.Errorf("stdout = %q, want exactly %q", stdout.String(), tt.wantStdout)
			}
			if !strings.Contains(stdout.String(), tt.stdoutHas) {
				t.Errorf("stdout = %q, want %q", stdout.String(), tt.stdoutHas)
			}
			if !strings.Contains(stderr.String(), tt.stderrHas) {
				t.Errorf("stderr = %q, want %q", stderr.String(), tt.stderrHas)
			}
			if tt.stderrHas == "" && stderr.Len() > 0 {
				t.Errorf("unexpected stderr %q", stderr.String())
			}
			if strings.Count(strings.TrimSuffix(stdout.String()+stderr.String(), "\n"), "\n") > 0 && !strings.HasPrefix(tt.name, "help") && !strings.HasSuffix(tt.name, "version") {
				t.Errorf("error is not one line: %q %q", stdout.String(), stderr.String())
			}
			if strings.Contains(stdout.String()+stderr.String(), "hunter2") {
				t.Error("a secret reached the output")
			}
		})
	}
}

// Every command the helper forwards has its line in the helper's usage: a
// command added to the contract is not left out of help.
func TestUsageListsEveryForwardedCommand(t *testing.T) {
	var stdout bytes.Buffer
	if code := run([]string{"help"}, strings.NewReader(""), &stdout, &bytes.Buffer{}, func(string) string { return "" }); code != exitOK {
		t.Fatalf("help: exit %d", code)
	}
	for _, c := range companion.Forwarded() {
		if line := "\n  " + name + " " + c.Name + " " + c.Args + " "; !strings.Contains(stdout.String(), line) {
			t.Errorf("help does not list %q:\n%s", line, stdout.String())
		}
	}
}
