// Package lockfile serialises work across processes with an exclusive lock
// on a file (flock on Unix, LockFileEx on Windows). The system drops the
// lock when its holder dies, so a crashed process never blocks the others;
// a symbolic link at the lock path is refused, never followed.
package lockfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/cli"
)

// ErrTimeout means another process held the lock for the whole wait.
var ErrTimeout = errors.New("timed out waiting for the lock")

// ErrUnsafe means the lock folder or file could be controlled by someone
// else: the folder belongs to another user or others can write to it
// (Unix), or a symbolic link sits at the lock path. Callers go on unlocked.
var ErrUnsafe = errors.New("unsafe lock location")

// Dir is where the helper keeps its per-host lock files: the user's runtime
// folder (tmpfs, per user) when there is one, else the user cache folder.
func Dir(getenv func(string) string) (string, error) {
	if d := getenv("XDG_RUNTIME_DIR"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, cli.Name), nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, cli.Name, "locks"), nil
}

// FileName turns a registry host into a lock file name.
func FileName(host string) string {
	return strings.NewReplacer(":", "_", "/", "_", "\\", "_", "[", "", "]", "").Replace(host) + ".lock"
}

// AcquireInPrivateDir takes the lock on path, whose folder is the helper's
// own: it is created 0700 and must be the user's and writable by nobody
// else (CheckDir), since whoever can write there can hold the lock forever.
func AcquireInPrivateDir(path string, timeout time.Duration) (release func(), err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if err := CheckDir(dir); err != nil {
		return nil, err
	}
	return Acquire(path, timeout)
}

// Acquire takes the exclusive lock on path (created 0600), waiting at most
// timeout; its folder must exist.
func Acquire(path string, timeout time.Duration) (release func(), err error) {
	f, err := open(path)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(timeout)
	// Sixty-four gets waiting on one read must not keep two cores busy
	// polling: the wait doubles up to 50 ms.
	wait := time.Millisecond
	for {
		ok, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, err
		}
		if ok {
			return func() { unlock(f); f.Close() }, nil
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, ErrTimeout
		}
		time.Sleep(min(wait, time.Until(deadline)+time.Millisecond))
		wait = min(2*wait, 50*time.Millisecond)
	}
}

func linkRefused(path string) error {
	return fmt.Errorf("%w: lock file %s is a symbolic link; not following it (remove it)", ErrUnsafe, path)
}
