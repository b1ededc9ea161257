//go:build release

package release

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A `make build` from a tagged checkout is stamped as a release is: both
// programs print the tag, the commit and its date.
func TestMakeBuildIsStamped(t *testing.T) {
	clone := filepath.Join(t.TempDir(), "checkout")
	run := func(dir string, args ...string) string {
		t.Helper()
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	run("../..", "git", "clone", "--quiet", "--no-hardlinks", ".", clone)
	run(clone, "git", "-c", "user.name=t", "-c", "user.email=t@example.com", "tag", "-a", "-m", "test", "v9.8.7")
	commit := run(clone, "git", "rev-parse", "HEAD")
	date := run(clone, "git", "log", "-1", "--format=%cI")
	run(clone, "make", "build")
	for _, program := range []string{helper, companion} {
		got := run(clone, filepath.Join(clone, "bin", program), "version")
		want := program + " (github.com/cnoe-io/docker-credential-idpbuilder) v9.8.7\ncommit: " + commit + "\nbuilt: " + date
		if !strings.HasPrefix(got, want) {
			t.Errorf("%s version:\n%s\nwant it to start with:\n%s", program, got, want)
		}
	}
	// One commit past the tag, with a change not committed.
	run(clone, "git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "--allow-empty", "-m", "next")
	if err := os.WriteFile(filepath.Join(clone, "README.md"), []byte("changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run(clone, "make", "build")
	got := run(clone, filepath.Join(clone, "bin", helper), "version")
	if first, _, _ := strings.Cut(got, "\n"); !strings.HasPrefix(first, helper+" (github.com/cnoe-io/docker-credential-idpbuilder) v9.8.7-1-g") || !strings.HasSuffix(first, "-dirty") {
		t.Errorf("version past the tag, tree changed: %q", first)
	}
}
