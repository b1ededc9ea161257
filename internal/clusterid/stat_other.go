//go:build !linux && !darwin && !freebsd && !netbsd && !openbsd

package clusterid

import "os"

// Windows has neither a change time nor an inode in os.FileInfo: size and
// modification time are the signature there.
func platformStat(os.FileInfo) (ctime int64, inode uint64) { return 0, 0 }
