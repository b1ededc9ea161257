//go:build unix

package fetchtime

import (
	"fmt"
	"os"
	"syscall"
)

// openSafe opens path for reading without following a symbolic link, and
// only when it is a regular file of the user's that nobody else can write.
func openSafe(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() || !owned(fi) {
		f.Close()
		return nil, fmt.Errorf("%w: %s is not a regular file of yours that only you can write", ErrUnsafe, path)
	}
	return f, nil
}

// owned reports whether fi is the user's and writable by nobody else.
func owned(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Getuid() && fi.Mode().Perm()&0o022 == 0
}
