// Package clusterid tells, with stat calls only, whether a registry's
// kubeconfig still names the cluster the companion last read: the helper
// docker runs links no kubeconfig reader. The companion fills an ID with
// every read (client-go chose the context and read the files); the helper
// keeps it with the cached answer and trusts the answer only while the ID
// is Unchanged.
package clusterid

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// ID is one resolved kubeconfig context and the state of every file that
// chose it.
type ID struct {
	// Context is the context client-go used.
	Context string `json:"context"`
	// Server is the API server URL for messages (a password in it masked).
	Server string `json:"server,omitempty"`
	// Fingerprint changes when the API server URL, its CA or the TLS
	// settings change, as they do when the cluster is recreated.
	Fingerprint string `json:"fingerprint"`
	// Loopback is the API server's host:port when it is a loopback address
	// reached directly, as kind's is: a refused connection there means the
	// cluster is stopped.
	Loopback string `json:"loopback,omitempty"`
	// Inputs is what picked the files (see Inputs).
	Inputs string `json:"inputs"`
	// Files are every file client-go read or would have read for the
	// context, missing ones included, stamped before they were read.
	Files []Stamp `json:"files"`
	// At is when the files were stamped.
	At time.Time `json:"at"`
}

// Stamp is a file's stat signature; Size is -1 for a missing file.
type Stamp struct {
	Path  string `json:"path"`
	Size  int64  `json:"size"`
	MTime int64  `json:"mtime"`
	// CTime and Inode are zero where the platform has none (Windows).
	CTime int64  `json:"ctime,omitempty"`
	Inode uint64 `json:"ino,omitempty"`
}

// A file written this close before it was stamped may be written again
// within the same tick of the file system's clock without its stamp
// changing, so an ID holding one proves nothing until restamped: 50 ms
// where timestamps carry fractions of a second (Linux's file clock ticks
// every 1 to 10 ms), 2 s where they are whole seconds (FAT, some network
// file systems).
const (
	racyFine   = 50 * time.Millisecond
	racyCoarse = 2 * time.Second
)

func (id *ID) racy(ns int64) bool {
	window := racyFine
	if ns%int64(time.Second) == 0 {
		window = racyCoarse
	}
	return ns >= id.At.Add(-window).UnixNano()
}

// Inputs is everything besides the files' contents that chooses the
// kubeconfig files and context: the table's kubeconfig and context, the
// environment client-go reads for the file list and home folder, and the
// working folder when $KUBECONFIG names a relative path.
func Inputs(kubeconfig, context string, getenv func(string) string) string {
	parts := []string{kubeconfig, context}
	for _, env := range []string{"KUBECONFIG", "HOME", "USERPROFILE", "HOMEDRIVE", "HOMEPATH"} {
		parts = append(parts, env+"="+getenv(env))
	}
	if slices.ContainsFunc(filepath.SplitList(getenv("KUBECONFIG")), func(p string) bool { return p != "" && !filepath.IsAbs(p) }) {
		wd, _ := os.Getwd()
		parts = append(parts, "wd="+wd)
	}
	return strings.Join(parts, "\x00")
}

// StampFiles stamps paths (made absolute) as they are now.
func StampFiles(paths []string) []Stamp {
	stamps := make([]Stamp, 0, len(paths))
	for _, p := range paths {
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		stamps = append(stamps, stampOf(p))
	}
	return stamps
}

func stampOf(path string) Stamp {
	fi, err := os.Stat(path)
	if err != nil {
		return Stamp{Path: path, Size: -1}
	}
	s := Stamp{Path: path, Size: fi.Size(), MTime: fi.ModTime().UnixNano()}
	s.CTime, s.Inode = platformStat(fi)
	return s
}

// Unchanged reports whether a get with inputs would read the same cluster
// as id: Matches, and no file written so close before it was stamped that
// a second write could have kept its stamp (see racy). It proves nothing
// where a tool writes a file keeping its size, times and inode (README.md,
// "The keyring").
func (id *ID) Unchanged(inputs string) bool {
	if !id.Matches(inputs) {
		return false
	}
	for _, s := range id.Files {
		if s.Size >= 0 && (id.racy(s.MTime) || id.racy(s.CTime)) {
			return false
		}
	}
	return true
}

// Matches reports whether inputs and every file's stamp are as in id.
func (id *ID) Matches(inputs string) bool {
	if id == nil || id.Inputs != inputs || len(id.Files) == 0 {
		return false
	}
	for _, s := range id.Files {
		if stampOf(s.Path) != s {
			return false
		}
	}
	return true
}

// probeTimeout bounds the connect to a loopback API server: it answers in
// microseconds, or refuses at once.
const probeTimeout = 200 * time.Millisecond

// Refused reports whether id's API server is on loopback and refuses
// connections, as a stopped kind cluster's does. It costs one connection
// to a running server, so the helper asks only when a stale answer could
// be served.
func (id *ID) Refused(ctx context.Context) bool {
	if id == nil || id.Loopback == "" {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", id.Loopback)
	if err != nil {
		return errors.Is(err, syscall.ECONNREFUSED)
	}
	conn.Close()
	return false
}
