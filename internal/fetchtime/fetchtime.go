// Package fetchtime records, in a small file of the user's per registry
// host, when the cluster last confirmed the answer cached in the keyring, so
// a refresh that reads the same credential again costs no keyring write.
package fetchtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/atomicfile"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/lockfile"
)

// Record says that the keyring's cluster answer of revision Revision, read
// from the cluster of Fingerprint, was what the cluster answered at
// FetchedAt. It holds no secret.
type Record struct {
	Fingerprint string    `json:"fingerprint"`
	Revision    string    `json:"revision"`
	FetchedAt   time.Time `json:"fetchedAt"`
}

// ErrUnsafe means the state file or its folder could be controlled by
// someone else, or a symbolic link sits at the file's path: it is neither
// read nor written.
var ErrUnsafe = errors.New("unsafe state file")

// maxSize bounds what is read: a record is about 150 bytes.
const maxSize = 4096

// Store keeps one record per host in dir (the lock folder: 0700, the
// user's). The zero value is not usable; use New.
type Store struct{ dir string }

// New returns a store of records in dir.
func New(dir string) *Store { return &Store{dir: dir} }

// Path is the file holding host's record.
func (s *Store) Path(host string) string {
	return filepath.Join(s.dir, strings.TrimSuffix(lockfile.FileName(host), ".lock")+".fetched")
}

// Get returns host's record. Any problem (no file, not ours, a link, not
// JSON) is an error: callers treat it as "no fetch time".
func (s *Store) Get(host string) (Record, error) {
	if err := lockfile.CheckDir(s.dir); err != nil {
		return Record{}, err
	}
	path := s.Path(host)
	f, err := openSafe(path)
	if err != nil {
		return Record{}, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSize+1))
	if err != nil {
		return Record{}, err
	}
	if len(data) > maxSize {
		return Record{}, fmt.Errorf("state file %s is larger than %d bytes: not ours", path, maxSize)
	}
	var r Record
	if err := json.Unmarshal(data, &r); err != nil {
		return Record{}, fmt.Errorf("state file %s is not a record: %w", path, err)
	}
	if r.Fingerprint == "" || r.Revision == "" || r.FetchedAt.IsZero() {
		return Record{}, fmt.Errorf("state file %s is incomplete", path)
	}
	return r, nil
}

// Put replaces host's record atomically (0600 file, 0700 folder). A
// symbolic link at the path is refused, never written through; a file
// others could write is replaced by a new one.
func (s *Store) Put(host string, r Record) error {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return err
	}
	if err := lockfile.CheckDir(s.dir); err != nil {
		return err
	}
	path := s.Path(host)
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSymlink != 0 || !fi.Mode().IsRegular() {
			return fmt.Errorf("%w: %s is not a regular file; not writing through it (remove it)", ErrUnsafe, path)
		}
		if !owned(fi) {
			// atomicfile keeps an existing file's mode: start afresh.
			if err := os.Remove(path); err != nil {
				return err
			}
		}
	}
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return atomicfile.Write(path, data, 0o600)
}
