//go:build unix

package lockfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A lock folder someone else controls, or a symbolic link at the lock path,
// is refused: the helper then goes on unlocked rather than let another user
// hold its lock or make it create and truncate a file it points to.
func TestAcquireRefusesUnsafeLocations(t *testing.T) {
	const secret = "the user's own file\n"
	tests := []struct {
		name string
		// setup prepares dir (the lock folder's parent) and returns the lock
		// path; outside is a folder the lock must never touch.
		setup func(t *testing.T, dir, outside string) string
		want  string // "" means Acquire succeeds; else a part of the error
	}{
		{"own folder 0700", func(t *testing.T, dir, _ string) string {
			return filepath.Join(dir, "locks", "h.lock")
		}, ""},
		{"own folder 0755", func(t *testing.T, dir, _ string) string {
			mkdir(t, filepath.Join(dir, "locks"), 0o755)
			return filepath.Join(dir, "locks", "h.lock")
		}, ""},
		{"folder of another user", func(t *testing.T, dir, _ string) string {
			if os.Getuid() != 0 {
				t.Skip("needs root to give a folder to another user")
			}
			locks := filepath.Join(dir, "locks")
			mkdir(t, locks, 0o700)
			if err := os.Chown(locks, 65534, 65534); err != nil {
				t.Fatal(err)
			}
			return filepath.Join(locks, "h.lock")
		}, "belongs to uid 65534"},
		{"folder writable by the group", func(t *testing.T, dir, _ string) string {
			mkdir(t, filepath.Join(dir, "locks"), 0o770)
			return filepath.Join(dir, "locks", "h.lock")
		}, "writable by others (mode 0770)"},
		{"folder writable by all, sticky", func(t *testing.T, dir, _ string) string {
			mkdir(t, filepath.Join(dir, "locks"), 0o1777)
			return filepath.Join(dir, "locks", "h.lock")
		}, "writable by others (mode 0777)"},
		{"folder is a symbolic link", func(t *testing.T, dir, outside string) string {
			symlink(t, outside, filepath.Join(dir, "locks"))
			return filepath.Join(dir, "locks", "h.lock")
		}, "is not a folder"},
		{"lock file is a symbolic link to a file", func(t *testing.T, dir, outside string) string {
			symlink(t, filepath.Join(outside, "precious"), filepath.Join(dir, "h.lock"))
			return filepath.Join(dir, "h.lock")
		}, "is a symbolic link; not following it"},
		{"lock file is a dangling symbolic link", func(t *testing.T, dir, outside string) string {
			symlink(t, filepath.Join(outside, "created"), filepath.Join(dir, "h.lock"))
			return filepath.Join(dir, "h.lock")
		}, "is a symbolic link; not following it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, outside := t.TempDir(), t.TempDir()
			if err := os.Chmod(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			precious := filepath.Join(outside, "precious")
			if err := os.WriteFile(precious, []byte(secret), 0o644); err != nil {
				t.Fatal(err)
			}
			path := tt.setup(t, dir, outside)

			release, err := AcquireInPrivateDir(path, time.Second)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Acquire = %v", err)
				}
				release()
			} else {
				if err == nil {
					release()
					t.Fatalf("Acquire succeeded; want an error with %q", tt.want)
				}
				if !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), tt.want) || strings.Count(err.Error(), "\n") != 0 {
					t.Fatalf("Acquire = %v; want ErrUnsafe with %q", err, tt.want)
				}
			}
			// Nothing outside was created, truncated or re-moded.
			entries, err := os.ReadDir(outside)
			if err != nil || len(entries) != 1 || entries[0].Name() != "precious" {
				t.Fatalf("outside folder holds %v (%v); want only precious", entries, err)
			}
			if got, err := os.ReadFile(precious); err != nil || string(got) != secret {
				t.Fatalf("target now holds %q (%v)", got, err)
			}
			if fi, _ := os.Stat(precious); fi.Mode().Perm() != 0o644 {
				t.Fatalf("target mode now %v", fi.Mode().Perm())
			}
		})
	}
}

func mkdir(t *testing.T, dir string, mode os.FileMode) {
	t.Helper()
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	// Chmod, not Mkdir's mode: the umask would mask the bits under test.
	if err := os.Chmod(dir, mode); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}
