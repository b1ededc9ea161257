//go:build integration

package integration

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestFlagsThroughTheHelper runs the user commands the way a user does,
// through the helper, which hands them to its companion: --flag style, -h,
// and a one-line error naming the flag for an old script's -context.
func TestFlagsThroughTheHelper(t *testing.T) {
	env := baseEnv(t, filepath.Join(t.TempDir(), "no-kubeconfig"))
	const usageTail = "; run 'docker-credential-idpbuilder help' for usage\n"
	for _, tc := range []struct {
		args       []string
		code       int
		stdoutHas  []string
		wantStderr string // exact
	}{
		{args: []string{"install", "--help"}, stdoutHas: []string{"Usage: docker-credential-idpbuilder install [flags]\n", "      --trust-ca ", "  -h, --help "}},
		{args: []string{"help", "status"}, stdoutHas: []string{"Usage: docker-credential-idpbuilder status [flags]\n", "  -o, --output format "}},
		{args: []string{"refresh", "-h"}, stdoutHas: []string{"      --registry host[:port] "}},
		{args: []string{"uninstall", "--dry-run", "--docker-config", filepath.Join(t.TempDir(), "docker")}},
		{args: []string{"install", "-context", "kind-localdev"}, code: 2,
			wantStderr: "docker-credential-idpbuilder: install: flags take two dashes: --context, not -context" + usageTail},
		{args: []string{"refresh", "-registry=gitea.cnoe.localtest.me:8443"}, code: 2,
			wantStderr: "docker-credential-idpbuilder: refresh: flags take two dashes: --registry, not -registry=gitea.cnoe.localtest.me:8443" + usageTail},
		{args: []string{"status", "--nope"}, code: 2, wantStderr: "docker-credential-idpbuilder: status: unknown flag: --nope" + usageTail},
		{args: []string{"status", "-o", "yaml"}, code: 2, wantStderr: `docker-credential-idpbuilder: status: --output (-o) takes text or json, not "yaml"` + usageTail},
		// The protocol verbs take stdin only.
		{args: []string{"get", "--help"}, code: 2, wantStderr: `docker-credential-idpbuilder: "get" takes no arguments (it reads standard input)` + usageTail},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := runHelper(t, env, "", tc.args...)
			if r.code != tc.code || r.stderr != tc.wantStderr {
				t.Errorf("exit %d, stderr %q; want %d, %q", r.code, r.stderr, tc.code, tc.wantStderr)
			}
			for _, s := range tc.stdoutHas {
				if !strings.Contains(r.stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, r.stdout)
				}
			}
		})
	}
}
