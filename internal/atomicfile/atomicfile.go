// Package atomicfile replaces files so that a reader, or a crash, never sees
// a partial one, and so that a concurrent writer's change is not silently
// overwritten.
package atomicfile

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// ErrChanged means the file changed between reading and replacing it.
var ErrChanged = errors.New("the file changed while it was being edited")

// Write replaces path with data: a temporary file in the same folder is
// written, synced and renamed over the target. A symlink at path is followed
// so the link itself survives. A new file gets perm; an existing file keeps
// its mode. Missing parent folders are created 0700.
func Write(path string, data []byte, perm fs.FileMode) error {
	return Replace(path, nil, data, perm)
}

// Replace is Write that first checks the file still holds expect (nil: any
// content, or no file), returning ErrChanged otherwise. Callers re-read and
// retry: a writer that does not take part (docker itself) is caught in all
// but a window of a few microseconds.
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
