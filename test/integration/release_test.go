//go:build integration

package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const versionPkg = "github.com/cnoe-io/docker-credential-idpbuilder/internal/version"

// buildRelease builds program stamped as release v into dir, as GoReleaser
// does (-X into internal/version).
func buildRelease(t *testing.T, dir, program, v string) string {
	t.Helper()
	ldflags := "-X " + versionPkg + ".version=" + v + " -X " + versionPkg + ".commit=c0ffee -X " + versionPkg + ".date=2026-11-28T10:00:00Z"
	build := exec.Command("go", "build", "-trimpath", "-ldflags="+ldflags, "-o", dir+string(os.PathSeparator), "github.com/cnoe-io/docker-credential-idpbuilder/cmd/"+program)
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building %s %s: %v\n%s", program, v, err, out)
	}
	return filepath.Join(dir, program)
}

// A user who upgraded only one of the two programs: the first call that
// needs the companion (a cache miss, a forwarded command) fails with one
// line naming both versions and the fix, before the companion reads the
// cluster; version warns. The same release works.
func TestHelperAndCompanionOfDifferentReleases(t *testing.T) {
	const helper, companion = "docker-credential-idpbuilder", "docker-credential-idpbuilder-cluster"
	api := newFakeAPI(t, "release-pw-0123456789")
	// No keyring: every get needs the companion.
	env := append(baseEnv(t, api.kubeconfig(t)), "IDPBUILDER_HELPER_NO_CACHE=1")

	mixed, same := t.TempDir(), t.TempDir()
	buildRelease(t, mixed, helper, "v1.0.0")
	mixedCompanion := buildRelease(t, mixed, companion, "v1.1.0")
	buildRelease(t, same, helper, "v1.0.0")
	buildRelease(t, same, companion, "v1.0.0")

	run := func(dir, stdin string, args ...string) result {
		t.Helper()
		cmd := exec.Command(filepath.Join(dir, helper), args...)
		cmd.Env, cmd.Stdin = env, strings.NewReader(stdin)
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		r := result{stdout: stdout.String(), stderr: stderr.String()}
		if exitErr, ok := err.(*exec.ExitError); ok {
			r.code = exitErr.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return r
	}
	mismatch := "docker-credential-idpbuilder v1.0.0 cannot use docker-credential-idpbuilder-cluster v1.1.0 at " + mixedCompanion +
		": they come from different releases; install both again from one release"
	oneLine := func(what, s string) {
		t.Helper()
		if strings.Count(s, "\n") != 1 || !strings.Contains(s, mismatch) {
			t.Errorf("%s: %q; want one line saying %q", what, s, mismatch)
		}
	}

	t.Run("get", func(t *testing.T) {
		r := run(mixed, registry, "get")
		if r.code != 1 || r.stderr != "" {
			t.Errorf("get: %+v; want exit 1, the error on stdout as the protocol says", r)
		}
		oneLine("get's stdout", r.stdout)
		if strings.Contains(r.stdout, "release-pw") || api.reads.Load() != 0 {
			t.Errorf("the companion of another release read the cluster (%d reads): %q", api.reads.Load(), r.stdout)
		}
	})
	t.Run("git get", func(t *testing.T) {
		r := run(mixed, "protocol=https\nhost="+registry+"\n\n", "git", "get")
		if r.code != 1 || r.stdout != "" {
			t.Errorf("git get: %+v; want exit 1 and nothing for git on stdout", r)
		}
		oneLine("git get's stderr", r.stderr)
	})
	for _, args := range [][]string{{"status"}, {"install", "--dry-run"}, {"help", "install"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r := run(mixed, "", args...)
			if r.code != 1 || r.stdout != "" {
				t.Errorf("%v: %+v; want exit 1 before the command ran", args, r)
			}
			oneLine(strings.Join(args, " ")+"'s stderr", r.stderr)
		})
	}
	t.Run("version", func(t *testing.T) {
		r := run(mixed, "", "version")
		want := "docker-credential-idpbuilder (github.com/cnoe-io/docker-credential-idpbuilder) v1.0.0\ncommit: c0ffee\nbuilt: 2026-11-28T10:00:00Z\ncompanion: " + mixedCompanion + " v1.1.0\n"
		if r.code != 0 || r.stdout != want {
			t.Errorf("version: code %d stdout\n%s\nwant\n%s", r.code, r.stdout, want)
		}
		if !strings.HasPrefix(r.stderr, "docker-credential-idpbuilder: warning: ") {
			t.Errorf("version's stderr %q; want a warning", r.stderr)
		}
		oneLine("version's stderr", r.stderr)
	})
	t.Run("the same release", func(t *testing.T) {
		if r := run(same, registry, "get"); r.code != 0 || !strings.Contains(r.stdout, `"Secret":"release-pw-0123456789"`) {
			t.Errorf("get: %+v", r)
		}
		r := run(same, "", "version")
		if r.code != 0 || r.stderr != "" || !strings.HasSuffix(r.stdout, "companion: "+filepath.Join(same, companion)+" v1.0.0\n") {
			t.Errorf("version: %+v", r)
		}
	})
}
