//go:build !unix

package fetchtime

import "os"

// Elsewhere there is no O_NOFOLLOW and no owner to check: the folder is
// under the user's profile.
func openSafe(path string) (*os.File, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, ErrUnsafe
	}
	return os.Open(path)
}

func owned(fi os.FileInfo) bool { return fi.Mode().IsRegular() }
