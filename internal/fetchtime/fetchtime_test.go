package fetchtime

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

var rec = Record{Fingerprint: "fp1", Revision: "r1", FetchedAt: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)}

func TestPutGet(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	s := New(dir)
	if _, err := s.Get("gitea.cnoe.localtest.me:8443"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Get with no file = %v; want not exist", err)
	}
	if err := s.Put("gitea.cnoe.localtest.me:8443", rec); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get("gitea.cnoe.localtest.me:8443")
	if err != nil || !got.FetchedAt.Equal(rec.FetchedAt) || got.Revision != rec.Revision || got.Fingerprint != rec.Fingerprint {
		t.Fatalf("Get = %+v, %v; want %+v", got, err, rec)
	}
	if _, err := s.Get("other:8443"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("another host's record = %v; want none", err)
	}
	path := s.Path("gitea.cnoe.localtest.me:8443")
	if filepath.Base(path) != "gitea.cnoe.localtest.me_8443.fetched" {
		t.Fatalf("path %s", path)
	}
	if runtime.GOOS == "windows" {
		return
	}
	fi, _ := os.Stat(path)
	di, _ := os.Stat(dir)
	if fi.Mode().Perm() != 0o600 || di.Mode().Perm() != 0o700 {
		t.Fatalf("modes %v %v; want 0600 in 0700", fi.Mode().Perm(), di.Mode().Perm())
	}
}

// Anything that is not a record the user's helper wrote is no record, and
// a link at the path is neither followed for reading nor written through.
func TestGetRefusesWhatIsNotARecord(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("owner and link checks are Unix")
	}
	const host = "h:1"
	tests := []struct {
		name  string
		setup func(t *testing.T, s *Store, outside string)
		want  string
	}{
		{"not JSON", func(t *testing.T, s *Store, _ string) { write(t, s.Path(host), "garbage", 0o600) }, "not a record"},
		{"empty", func(t *testing.T, s *Store, _ string) { write(t, s.Path(host), "", 0o600) }, "not a record"},
		{"incomplete", func(t *testing.T, s *Store, _ string) {
			write(t, s.Path(host), `{"fingerprint":"fp1","fetchedAt":"2026-11-28T12:00:00Z"}`, 0o600)
		}, "incomplete"},
		{"too large", func(t *testing.T, s *Store, _ string) {
			write(t, s.Path(host), `{"fingerprint":"`+strings.Repeat("a", 5000)+`"}`, 0o600)
		}, "larger than"},
		{"writable by others", func(t *testing.T, s *Store, _ string) {
			put(t, s, host)
			if err := os.Chmod(s.Path(host), 0o666); err != nil {
				t.Fatal(err)
			}
		}, "only you can write"},
		{"a folder", func(t *testing.T, s *Store, _ string) {
			if err := os.Mkdir(s.Path(host), 0o700); err != nil {
				t.Fatal(err)
			}
		}, "not a regular file"},
		{"symbolic link to a valid record", func(t *testing.T, s *Store, outside string) {
			other := New(outside)
			put(t, other, host)
			if err := os.Symlink(other.Path(host), s.Path(host)); err != nil {
				t.Fatal(err)
			}
		}, "symbolic link"},
		{"another user's file", func(t *testing.T, s *Store, _ string) {
			if os.Getuid() != 0 {
				t.Skip("needs root to give a file to another user")
			}
			put(t, s, host)
			if err := os.Chown(s.Path(host), 65534, 65534); err != nil {
				t.Fatal(err)
			}
		}, "not a regular file of yours"},
		{"folder writable by others", func(t *testing.T, s *Store, _ string) {
			put(t, s, host)
			if err := os.Chmod(s.dir, 0o777); err != nil {
				t.Fatal(err)
			}
		}, "writable by others"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := t.TempDir()
			s := New(filepath.Join(base, "state"))
			if err := os.Mkdir(s.dir, 0o700); err != nil {
				t.Fatal(err)
			}
			tt.setup(t, s, filepath.Join(base, "outside"))
			_, err := s.Get(host)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Get = %v; want an error with %q", err, tt.want)
			}
		})
	}
}

func TestPutNeverWritesThroughALink(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no symbolic links for users there")
	}
	base := t.TempDir()
	s := New(filepath.Join(base, "state"))
	if err := os.Mkdir(s.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	precious := filepath.Join(base, "precious")
	write(t, precious, "the user's own file\n", 0o644)
	if err := os.Symlink(precious, s.Path("h:1")); err != nil {
		t.Fatal(err)
	}
	if err := s.Put("h:1", rec); !errors.Is(err, ErrUnsafe) {
		t.Fatalf("Put through a link = %v; want ErrUnsafe", err)
	}
	if data, _ := os.ReadFile(precious); string(data) != "the user's own file\n" {
		t.Fatalf("the link's target changed: %q", data)
	}
}

// A file others could write (left by an older tool, or chmod) is replaced
// by a 0600 one, not rewritten keeping its mode.
func TestPutReplacesAFileOthersCanWrite(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix modes")
	}
	s := New(filepath.Join(t.TempDir(), "state"))
	put(t, s, "h:1")
	if err := os.Chmod(s.Path("h:1"), 0o666); err != nil {
		t.Fatal(err)
	}
	put(t, s, "h:1")
	if fi, _ := os.Stat(s.Path("h:1")); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v; want 0600", fi.Mode().Perm())
	}
	if _, err := s.Get("h:1"); err != nil {
		t.Fatal(err)
	}
}

func put(t *testing.T, s *Store, host string) {
	t.Helper()
	if err := s.Put(host, rec); err != nil {
		t.Fatal(err)
	}
}

func write(t *testing.T, path, data string, perm os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil {
		t.Fatal(err)
	}
}
