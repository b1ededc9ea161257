//go:build unix

package lockfile

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// CheckDir refuses a lock folder that is not a real folder of the user's,
// writable by nobody else: whoever can write there can plant the lock file
// (a symbolic link to one of the user's files, or a lock they hold forever).
func CheckDir(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%w: %s is not a folder (a symbolic link?); remove it and the helper makes its own", ErrUnsafe, dir)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("%w: cannot read the owner of %s", ErrUnsafe, dir)
	}
	if uid := os.Getuid(); int(st.Uid) != uid {
		return fmt.Errorf("%w: lock folder %s belongs to uid %d, not to you (uid %d); remove it and the helper makes its own", ErrUnsafe, dir, st.Uid, uid)
	}
	if perm := fi.Mode().Perm(); perm&0o022 != 0 {
		return fmt.Errorf("%w: lock folder %s is writable by others (mode %#o); run chmod 700 %s", ErrUnsafe, dir, perm, dir)
	}
	return nil
}

// open opens the lock file; O_NOFOLLOW makes a symbolic link there an error
// instead of a file created or truncated wherever it points.
func open(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		// The errno for a link under O_NOFOLLOW differs across systems
		// (ELOOP, EMLINK, EFTYPE): ask the file system what is there.
		if fi, lerr := os.Lstat(path); lerr == nil && fi.Mode()&os.ModeSymlink != 0 {
			return nil, linkRefused(path)
		}
		return nil, err
	}
	return f, nil
}

func tryLock(f *os.File) (bool, error) {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return false, nil
	}
	return err == nil, err
}

func unlock(f *os.File) { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }
