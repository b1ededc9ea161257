package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/version"
)

// version prints the helper's stamp, then the companion it found on PATH
// (none is beside the test binary) and that one's version; a companion that
// is missing or cannot say its version is a warning on stderr, and stdout
// keeps the version lines only. A companion of another release is
// TestHelperAndCompanionOfDifferentReleases's (test/integration): it needs
// binaries stamped with -X.
func TestVersionNamesTheCompanion(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the fake companion is a shell script")
	}
	own := version.Get()
	var stamp bytes.Buffer
	own.Write(&stamp, name)
	for _, tc := range []struct {
		name      string
		companion string // the script's body; empty: no companion
		stdout    string // after the stamp; %s is the companion's path
		stderr    string
	}{
		{"a devel companion", `echo "docker-credential-idpbuilder-cluster (github.com/cnoe-io/docker-credential-idpbuilder) (devel)"`,
			"companion: %s (devel)\n", ""},
		{"a companion of a release", `printf '%s\n' "docker-credential-idpbuilder-cluster (github.com/cnoe-io/docker-credential-idpbuilder) v1.2.3" "commit: abc" "built: today"`,
			"companion: %s v1.2.3\n", ""},
		{"a companion without a version command", `echo 'unknown command "version"' >&2; exit 2`,
			"companion: %s (version unknown)\n", "docker-credential-idpbuilder: warning: cannot tell the companion's version"},
		{"no companion", "", "companion: not found\n", "docker-credential-idpbuilder: warning: docker-credential-idpbuilder-cluster not found beside docker-credential-idpbuilder or on PATH"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Setenv("PATH", dir)
			program := filepath.Join(dir, "docker-credential-idpbuilder-cluster")
			if tc.companion != "" {
				if err := os.WriteFile(program, []byte("#!/bin/sh\n"+tc.companion+"\n"), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			var stdout, stderr bytes.Buffer
			if code := run([]string{"version"}, strings.NewReader(""), &stdout, &stderr, func(string) string { return "" }); code != exitOK {
				t.Errorf("exit code %d", code)
			}
			want := stamp.String() + strings.ReplaceAll(tc.stdout, "%s", program)
			if stdout.String() != want {
				t.Errorf("stdout\n%s\nwant\n%s", stdout.String(), want)
			}
			if !strings.HasPrefix(stderr.String(), tc.stderr) || (tc.stderr == "") != (stderr.Len() == 0) || strings.Count(stderr.String(), "\n") > 1 {
				t.Errorf("stderr %q; want one line starting %q", stderr.String(), tc.stderr)
			}
		})
	}
}
