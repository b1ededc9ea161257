// Package atomicfile is the one way the programs change a file: read,
// change, write atomically, under a lock file beside it, so that a reader or
// a crash never sees a partial file and two of our processes editing one
// file at once lose nothing.
package atomicfile

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/lockfile"
)

// ErrChanged means the file changed between reading and replacing it.
var ErrChanged = errors.New("the file changed while it was being edited")

// lockWait bounds the wait for another of our processes editing the same
// file: an edit holds the lock for milliseconds.
const lockWait = 10 * time.Second

// attempts bounds the re-reads when a writer that takes no lock (docker
// login rewriting config.json, buildx) replaces the file during an edit.
const attempts = 10

// Edit changes the file at path: change gets its content (exists is false
// when there is none) and returns the new content and whether it changed,
// which is then written with Replace. The read, the change and the write run
// under an exclusive lock on the hidden file .NAME.lock beside it, so that our own processes take
// turns: the second reads what the first wrote. A writer that takes no lock
// is caught by Replace's comparison and change is run again on its content.
// With dryRun, change runs once and nothing is locked or written. A new file
// gets perm, a missing folder 0700 (only when there is something to write).
func Edit(path string, perm fs.FileMode, dryRun bool, change func(data []byte, exists bool) ([]byte, bool, error)) (bool, error) {
	path, err := resolve(path)
	if err != nil {
		return false, err
	}
	var release func()
	defer func() {
		if release != nil {
			release()
		}
	}()
	lock := func() (err error) {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return err
		}
		if release, err = lockfile.Acquire(lockPath(path), lockWait); err != nil {
			return fmt.Errorf("locking %s for the edit: %w", path, err)
		}
		return nil
	}
	if _, err := os.Stat(filepath.Dir(path)); err == nil && !dryRun {
		if err := lock(); err != nil {
			return false, err
		}
	}
	for range attempts {
		data, err := os.ReadFile(path)
		exists := err == nil
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return false, err
		}
		out, changed, err := change(data, exists)
		if err != nil || !changed || dryRun {
			return changed, err
		}
		if release == nil {
			// The folder was missing: make it, lock, and read again.
			if err := lock(); err != nil {
				return false, err
			}
			continue
		}
		expect := data
		if !exists {
			expect = []byte{} // must still be absent (or empty) when we write
		}
		err = Replace(path, expect, out, perm)
		if !errors.Is(err, ErrChanged) {
			return err == nil, err
		}
	}
	return false, fmt.Errorf("%s kept changing while it was being edited; run the command again", path)
}

func lockPath(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".lock")
}

// RemoveLock removes the lock file Edit left beside path, for uninstall,
// which leaves nothing behind. An edit of the file running at that moment
// would lose its exclusion, so only a command that undoes every edit calls
// it.
func RemoveLock(path string) error {
	path, err := resolve(path)
	if err == nil {
		err = os.Remove(lockPath(path))
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// Write replaces path with data: a temporary file in the same folder is
// written, synced and renamed over the target. A symlink at path is followed
// so the link itself survives. A new file gets perm; an existing file keeps
// its mode. Missing parent folders are created 0700.
func Write(path string, data []byte, perm fs.FileMode) error {
	return Replace(path, nil, data, perm)
}

// Replace is Write that first checks the file still holds expect (nil: any
// content, or no file), returning ErrChanged otherwise: a writer that takes
// no lock (docker itself) is caught in all but a window of a few
// microseconds.
func Replace(path string, expect, data []byte, perm fs.FileMode) error {
	path, err := resolve(path)
	if err != nil {
		return err
	}
	if fi, err := os.Stat(path); err == nil {
		perm = fi.Mode().Perm()
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	committed := false
	defer func() {
		if !committed {
			_ = os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if expect != nil {
		current, err := os.ReadFile(path)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if !bytes.Equal(current, expect) {
			return ErrChanged
		}
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	committed = true
	removeAbandoned(dir, filepath.Base(path), tmp.Name())
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// abandonedAge is how old a temporary file must be before it counts as left
// by a writer that was killed; a live writer finishes in milliseconds.
const abandonedAge = 10 * time.Minute

// removeAbandoned deletes old temporary files of base in dir, left when a
// writer was killed between creating and renaming its file.
func removeAbandoned(dir, base, ours string) {
	matches, _ := filepath.Glob(filepath.Join(dir, "."+base+".tmp-*"))
	for _, m := range matches {
		if fi, err := os.Lstat(m); err == nil && m != ours && fi.Mode().IsRegular() && time.Since(fi.ModTime()) > abandonedAge {
			_ = os.Remove(m)
		}
	}
}

// resolve follows symlinks, including a dangling one, to the file to write.
func resolve(path string) (string, error) {
	target, err := filepath.EvalSymlinks(path)
	if err == nil {
		return target, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	link, lerr := os.Readlink(path)
	if lerr != nil {
		return path, nil
	}
	if !filepath.IsAbs(link) {
		link = filepath.Join(filepath.Dir(path), link)
	}
	return link, nil
}

// CheckWritable says whether Edit could write path: it makes and removes
// a file in path's folder, or in the nearest folder above it that exists
// (Edit would make the rest). A check, so that a command can stop before
// its first write rather than halfway.
func CheckWritable(path string) error {
	path, err := resolve(path)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	for {
		if _, err := os.Stat(dir); err == nil || filepath.Dir(dir) == dir {
			break
		}
		dir = filepath.Dir(dir)
	}
	f, err := os.CreateTemp(dir, ".write-check-*")
	if err != nil {
		return fmt.Errorf("cannot write in %s: %w", dir, err)
	}
	f.Close()
	return os.Remove(f.Name())
}
