package companion

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/version"
)

// envRelease is the version the test binary acting as the companion has.
const envRelease = "COMPANION_TEST_RELEASE"

const fakeCompanionPath = "/opt/bin/docker-credential-idpbuilder-cluster"

func TestHandshakeRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		helperVersion string
		args          []string
	}{
		{"v1.2.3", []string{"read-secret", "--context=x"}},
		{version.Devel, []string{"install", "--help"}},
		{"v1.0.0", nil},
		{"0.0.0-SNAPSHOT-abc1234", []string{"--helper-version=v9", "status"}},
	} {
		args := WithHelperVersion(tc.helperVersion, tc.args)
		got, rest, ok := TakeHelperVersion(args)
		if !ok || got != tc.helperVersion || !slices.Equal(rest, tc.args) {
			t.Errorf("TakeHelperVersion(%q) = %q, %q, %v; want %q, %q", args, got, rest, ok, tc.helperVersion, tc.args)
		}
	}
	// A person running the companion sends no handshake.
	for _, args := range [][]string{nil, {"status"}, {"read-secret", "--helper-version=v1"}, {"--helper-version"}} {
		if _, rest, ok := TakeHelperVersion(args); ok || !slices.Equal(rest, args) {
			t.Errorf("TakeHelperVersion(%q) found a handshake", args)
		}
	}
}

func TestAcceptHelper(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		own    string
		rest   []string
		stdout string // a Reply's Error, for read-secret
		stderr string
	}{
		{name: "the same release", args: []string{"--helper-version=v1.2.3", "status", "-o", "json"}, own: "v1.2.3", rest: []string{"status", "-o", "json"}},
		{name: "a devel helper", args: []string{"--helper-version=(devel)", "read-secret"}, own: "v1.2.3", rest: []string{"read-secret"}},
		{name: "a devel companion", args: []string{"--helper-version=v1.2.3", "install"}, own: version.Devel, rest: []string{"install"}},
		{name: "no handshake: run by a person", args: []string{"status"}, own: "v1.2.3", rest: []string{"status"}},
		{name: "read-secret for another release", args: []string{"--helper-version=v1.2.3", "read-secret", "--context=x"}, own: "v1.3.0",
			stdout: "docker-credential-idpbuilder v1.2.3 cannot use docker-credential-idpbuilder-cluster v1.3.0 at " + fakeCompanionPath + ": they come from different releases; " + ReinstallBoth},
		{name: "a forwarded command for another release", args: []string{"--helper-version=v1.3.0", "install", "--trust-ca"}, own: "v1.2.3",
			stderr: "docker-credential-idpbuilder: docker-credential-idpbuilder v1.3.0 cannot use docker-credential-idpbuilder-cluster v1.2.3 at " + fakeCompanionPath + ": they come from different releases; " + ReinstallBoth + "\n"},
		{name: "help for another release", args: []string{"--helper-version=v2.0.0"}, own: "v1.2.3",
			stderr: "docker-credential-idpbuilder: docker-credential-idpbuilder v2.0.0 cannot use docker-credential-idpbuilder-cluster v1.2.3 at " + fakeCompanionPath + ": they come from different releases; " + ReinstallBoth + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			rest, ok := AcceptHelper(tc.args, tc.own, fakeCompanionPath, &stdout, &stderr)
			refused := tc.stdout != "" || tc.stderr != ""
			if ok == refused || !slices.Equal(rest, tc.rest) {
				t.Errorf("got %q, %v; want %q, %v", rest, ok, tc.rest, !refused)
			}
			if stderr.String() != tc.stderr {
				t.Errorf("stderr %q\nwant %q", stderr.String(), tc.stderr)
			}
			if tc.stdout == "" {
				if stdout.Len() > 0 {
					t.Errorf("stdout %q; want nothing", stdout.String())
				}
				return
			}
			var reply Reply
			if err := json.Unmarshal(stdout.Bytes(), &reply); err != nil || reply.Error != tc.stdout || reply.Password != "" || reply.Unreachable {
				t.Errorf("stdout %q (%v); want a Reply whose error is %q", stdout.String(), err, tc.stdout)
			}
		})
	}
}

// The helper of one release and the companion of another, as real
// processes: the first read gives the one line that says so, never a
// stale answer in its place.
func TestReadSecretFromAnotherRelease(t *testing.T) {
	for _, tc := range []struct {
		name, helper, companion string
		want                    string // empty: the read works
	}{
		{"same release", "v1.2.3", "v1.2.3", ""},
		{"devel builds", version.Devel, version.Devel, ""},
		{"only the helper upgraded", "v1.3.0", "v1.2.3", "docker-credential-idpbuilder v1.3.0 cannot use docker-credential-idpbuilder-cluster v1.2.3 at " + fakeCompanionPath},
		{"only the companion upgraded", "v1.2.3", "v1.3.0", "docker-credential-idpbuilder v1.2.3 cannot use docker-credential-idpbuilder-cluster v1.3.0 at " + fakeCompanionPath},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := testClient(t, "ok")
			c.HelperVersion = tc.helper
			t.Setenv(envRelease, tc.companion)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			creds, _, err := c.ReadSecret(ctx, "", "kind-localdev", idpbuilder.SecretRef{Namespace: "gitea", Name: "gitea-credential"})
			if tc.want == "" {
				if err != nil || creds.Password == "" {
					t.Fatalf("got %+v, %v; want the credentials", creds, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), ReinstallBoth) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("got %+v, %v; want one line saying %q and how to reinstall both", creds, err, tc.want)
			}
			if errors.Is(err, idpbuilder.ErrUnreachable) {
				t.Errorf("a mismatch is not an unreachable cluster (a stale answer would hide it): %v", err)
			}
		})
	}
}

// ProgramVersion reads the first line of `PROGRAM version`, whichever
// release the program is; a program that cannot answer is an error.
func TestProgramVersion(t *testing.T) {
	dir := t.TempDir()
	script := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name, body, want, wantErr string
	}{
		{"stamped", `[ "$1" = version ] && printf '%s\n' "docker-credential-idpbuilder-cluster (github.com/cnoe-io/docker-credential-idpbuilder) v1.2.3" "commit: abc" "built: now"`, "v1.2.3", ""},
		{"devel", `echo "docker-credential-idpbuilder-cluster (github.com/cnoe-io/docker-credential-idpbuilder) (devel)"`, version.Devel, ""},
		{"no version command", `echo "unknown command" >&2; exit 2`, "", "exit status 2"},
		{"another program", `echo "docker-credential-pass (github.com/docker/docker-credential-helpers) v0.9.0"`, "", "is not a version line of docker-credential-idpbuilder-cluster"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := os.Stat("/bin/sh"); err != nil {
				t.Skip("no /bin/sh")
			}
			v, err := ProgramVersion(context.Background(), script(strings.ReplaceAll(tc.name, " ", "-"), tc.body+"\n"))
			if tc.wantErr == "" && (err != nil || v != tc.want) || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("got %q, %v; want %q, error %q", v, err, tc.want, tc.wantErr)
			}
		})
	}
}
