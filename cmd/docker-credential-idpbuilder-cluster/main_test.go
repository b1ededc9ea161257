package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/companion"
)

func TestRun(t *testing.T) {
	env := map[string]string{
		"IDPBUILDER_HELPER_CONFIG":   "/nonexistent/config.json",
		"KUBECONFIG":                 "/nonexistent/kubeconfig",
		"IDPBUILDER_HELPER_NO_CACHE": "1",
	}
	// client-go and package cluster read KUBECONFIG from the process.
	t.Setenv("KUBECONFIG", env["KUBECONFIG"])
	tests := []struct {
		name      string
		args      []string
		wantCode  int
		stdoutHas string
		stderrHas string
	}{
		{name: "no command", wantCode: exitUsage, stderrHas: "a command is required"},
		{name: "help", args: []string{"help"}, wantCode: exitOK, stdoutHas: "Run its commands through docker-credential-idpbuilder"},
		{name: "unknown", args: []string{"get"}, wantCode: exitUsage, stderrHas: `unknown command "get"`},
		{name: "help refresh", args: []string{"help", "refresh"}, wantCode: exitOK, stdoutHas: "-registry"},
		{name: "help install", args: []string{"install", "--help"}, wantCode: exitOK, stdoutHas: "-trust-ca"},
		{name: "install -h", args: []string{"install", "-h"}, wantCode: exitOK, stdoutHas: "Usage: docker-credential-idpbuilder install [flags]\n\nWires docker"},
		{name: "help status", args: []string{"help", "status"}, wantCode: exitOK, stdoutHas: "  -o, --output format"},
		{name: "help read-secret", args: []string{"help", "read-secret"}, wantCode: exitOK, stdoutHas: "Usage: docker-credential-idpbuilder-cluster read-secret"},
		{name: "install single-dash flag", args: []string{"install", "-trust-ca"}, wantCode: exitUsage, stderrHas: "install: flags take two dashes: --trust-ca, not -trust-ca"},
		{name: "uninstall single-dash flag", args: []string{"uninstall", "-dry-run"}, wantCode: exitUsage, stderrHas: "uninstall: flags take two dashes: --dry-run, not -dry-run"},
		{name: "status single-dash flag", args: []string{"status", "-docker-config=/x"}, wantCode: exitUsage, stderrHas: "status: flags take two dashes: --docker-config, not -docker-config=/x"},
		{name: "refresh bad flag", args: []string{"refresh", "--nope"}, wantCode: exitUsage, stderrHas: "unknown flag: --nope"},
		{name: "refresh single-dash flag", args: []string{"refresh", "-context", "x"}, wantCode: exitUsage, stderrHas: "flags take two dashes: --context, not -context"},
		{name: "refresh stray argument", args: []string{"refresh", "now"}, wantCode: exitUsage, stderrHas: "flags only"},
		{name: "refresh without a cluster", args: []string{"refresh"}, wantCode: exitError, stderrHas: "is the idpbuilder cluster created?"},
		{name: "help export", args: []string{"help", "export"}, wantCode: exitOK, stdoutHas: "WARNING: this copies the Gitea admin credential into those namespaces"},
		{name: "export without a namespace", args: []string{"export"}, wantCode: exitUsage, stderrHas: "name the namespaces with --namespace NAME"},
		{name: "export bad namespace", args: []string{"export", "--namespace", "Not_A_Namespace"}, wantCode: exitUsage, stderrHas: `--namespace "Not_A_Namespace" is not a valid namespace name`},
		{name: "export selector alone", args: []string{"export", "--namespace", "a", "--selector", "x=y"}, wantCode: exitUsage, stderrHas: "add --all-namespaces"},
		{name: "export --delete with a service account", args: []string{"export", "--delete", "--namespace", "a", "--service-account", "b"}, wantCode: exitUsage, stderrHas: "--delete takes --name and the namespaces only"},
		{name: "export without a cluster", args: []string{"export", "--namespace", "a"}, wantCode: exitError, stderrHas: "is the idpbuilder cluster created?"},
		{name: "status bad output", args: []string{"status", "-o", "yaml"}, wantCode: exitUsage, stderrHas: "text or json"},
		{name: "read-secret with no context: kind-localdev, else the current one", args: []string{"read-secret"}, wantCode: exitError,
			stdoutHas: `"error":"no context \"kind-localdev\" and no current context`},
		{name: "read-secret without a cluster", args: []string{"read-secret", "--context", "kind-localdev"}, wantCode: exitError,
			stdoutHas: `"error":"context \"kind-localdev\" not found`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tt.args, strings.NewReader(""), &stdout, &stderr, func(k string) string { return env[k] })
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d (stdout %q, stderr %q)", code, tt.wantCode, stdout.String(), stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.stdoutHas) || !strings.Contains(stderr.String(), tt.stderrHas) {
				t.Errorf("stdout %q, stderr %q; want %q, %q", stdout.String(), stderr.String(), tt.stdoutHas, tt.stderrHas)
			}
			if tt.stderrHas != "" && strings.Count(stderr.String(), "\n") != 1 {
				t.Errorf("error is not one line: %q", stderr.String())
			}
		})
	}
}

func TestReadSecretReplyIsOneJSONObject(t *testing.T) {
	t.Setenv("KUBECONFIG", "/nonexistent/kubeconfig")
	var stdout, stderr bytes.Buffer
	code := run([]string{"read-secret", "--context", "x"}, strings.NewReader(""), &stdout, &stderr, func(string) string { return "" })
	var reply companion.Reply
	if err := json.Unmarshal(stdout.Bytes(), &reply); err != nil || code != exitError || reply.Error == "" || reply.Unreachable || stderr.Len() != 0 {
		t.Fatalf("reply %q (%v), code %d, stderr %q", stdout.String(), err, code, stderr.String())
	}
}

// The helper forwards these commands here; each must exist, or the user
// gets "unknown command" from a program they never named.
func TestEveryForwardedCommandExists(t *testing.T) {
	cmds := map[string]bool{}
	for _, c := range app().Commands {
		cmds[c.Name] = true
	}
	for _, name := range append(companion.ForwardedNames(), companion.ReadSecretCommand) {
		if !cmds[name] {
			t.Errorf("the helper forwards %q, which the companion does not have", name)
		}
	}
}
