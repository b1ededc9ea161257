package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestWriteThroughSymlinkKeepsMode(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real.json")
	os.WriteFile(target, []byte("old"), 0o640)
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink("real.json", link); err != nil {
		t.Fatal(err)
	}
	if err := Write(link, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatal("the symlink was replaced by a file")
	}
	data, _ := os.ReadFile(target)
	fi, _ := os.Stat(target)
	if string(data) != "new" || fi.Mode().Perm() != 0o640 {
		t.Fatalf("target = %q mode %v; want new, 0640 kept", data, fi.Mode().Perm())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
}

func TestWriteNewFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "config.json")
	if err := Write(path, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{path: 0o600, filepath.Dir(path): 0o700} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != want {
			t.Fatalf("%s: mode %v, %v; want %v", p, fi.Mode().Perm(), err, want)
		}
	}
}

func TestWriteDanglingSymlink(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "link")
	os.Symlink("target", link)
	if err := Write(link, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(filepath.Join(dir, "target")); err != nil || string(data) != "x" {
		t.Fatalf("target = %q, %v", data, err)
	}
}

func TestReplaceDetectsAConcurrentWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.json")
	os.WriteFile(path, []byte("v1"), 0o600)
	// Someone else wrote v2 after we read v1.
	os.WriteFile(path, []byte("v2"), 0o600)
	if err := Replace(path, []byte("v1"), []byte("ours"), 0o600); !errors.Is(err, ErrChanged) {
		t.Fatalf("Replace = %v, want ErrChanged", err)
	}
	if data, _ := os.ReadFile(path); string(data) != "v2" {
		t.Fatalf("the other writer's content was lost: %q", data)
	}
	if err := Replace(path, []byte("v2"), []byte("ours"), 0o600); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
}

func TestWriteFailureLeavesTheFile(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root ignores folder permissions; the read-only case is covered in test/e2e")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "config.json")
	os.WriteFile(path, []byte("keep"), 0o600)
	os.Chmod(dir, 0o500)
	defer os.Chmod(dir, 0o700)
	if err := Write(path, []byte("x"), 0o600); err == nil {
		t.Fatal("write into a read-only folder succeeded")
	}
	if data, _ := os.ReadFile(path); string(data) != "keep" {
		t.Fatalf("failed write changed the file: %q", data)
	}
}

func TestAbandonedTemporaryFilesAreRemoved(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.json")
	old := filepath.Join(dir, ".config.json.tmp-111")
	fresh := filepath.Join(dir, ".config.json.tmp-222")
	other := filepath.Join(dir, ".other.json.tmp-333")
	for _, f := range []string{old, fresh, other} {
		os.WriteFile(f, []byte("{"), 0o600)
	}
	long := time.Now().Add(-time.Hour)
	os.Chtimes(old, long, long)
	os.Chtimes(other, long, long)
	if err := Write(path, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Error("an hour-old temporary file was kept")
	}
	for _, f := range []string{fresh, other} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("%s was removed: a live writer's or another file's", f)
		}
	}
}

// Edits of one file at once take turns: each one reads what the one before
// wrote, so none is lost.
func TestConcurrentEditsLoseNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "list")
	const writers = 20
	errs := make(chan error, writers)
	for i := range writers {
		go func() {
			_, err := Edit(path, 0o600, false, func(data []byte, _ bool) ([]byte, bool, error) {
				time.Sleep(time.Millisecond) // widen the window a lost update needs
				return append(data, byte('a'+i)), true, nil
			})
			errs <- err
		}()
	}
	for range writers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil || len(data) != writers {
		t.Fatalf("the file holds %q (%v); want one byte from each of %d edits", data, err, writers)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode().Perm())
	}
}

// A dry run, and an edit that changes nothing, create no folder or file.
func TestEditWithoutChangeCreatesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "missing")
	for _, dryRun := range []bool{true, false} {
		changed, err := Edit(filepath.Join(dir, "f"), 0o600, dryRun, func([]byte, bool) ([]byte, bool, error) {
			return []byte("x"), dryRun, nil
		})
		if err != nil || changed != dryRun {
			t.Fatalf("dryRun %v: Edit = %v, %v", dryRun, changed, err)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Fatalf("dryRun %v: the folder was created", dryRun)
		}
	}
}
