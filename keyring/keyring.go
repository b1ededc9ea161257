// Package keyring caches registry credentials in the OS keyring (Secret
// Service on Linux, Keychain on macOS, Credential Manager on Windows). It never
// falls back to a file: when the keyring cannot be used the cache is simply
// off and the caller reads the cluster.
package keyring

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"time"

	gokeyring "github.com/zalando/go-keyring"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/clusterid"
)

// Service is the keyring service name of every entry the helper writes; the
// account is the registry host. `secret-tool search service docker-credential-idpbuilder`
// shows them on Linux.
const Service = "docker-credential-idpbuilder"

// ErrUnavailable means the keyring could not be used (no D-Bus, no Secret
// Service, locked, or too slow); callers carry on without a cache.
var ErrUnavailable = errors.New("OS keyring unavailable")

// Entry is everything the helper keeps for one registry host, in one
// keyring item, so a cache hit costs one keyring read.
//
// The top-level fields are the cluster's answer (the cache). An entry from an
// older version ({..., "override": true} without a fingerprint) decodes as a
// cluster answer with an empty fingerprint: it matches no cluster, so the
// next get reads the cluster again and the old pinned override is gone.
type Entry struct {
	Username string `json:"username,omitempty"`
	Secret   string `json:"secret,omitempty"`
	// Fingerprint identifies the cluster the answer was read from.
	Fingerprint string `json:"fingerprint,omitempty"`
	// FetchedAt is when this answer was read from the cluster.
	FetchedAt time.Time `json:"fetchedAt,omitzero"`
	// Cluster is the kubeconfig state the answer was read with: while it
	// is unchanged, the kubeconfig names the cluster of Fingerprint.
	Cluster *clusterid.ID `json:"cluster,omitempty"`
	// Login is what `docker login` (or git, for the cluster's own user)
	// stored for the cluster of Login.Fingerprint; it answers instead of
	// the cluster's credentials while that cluster is the one in use.
	Login *Credential `json:"login,omitempty"`
	// Users holds credentials git stored for user names other than the
	// cluster's (git clone https://alice@HOST/...), keyed by the lower-case
	// user name. They answer only git requests naming that user, never
	// docker.
	Users map[string]Credential `json:"users,omitempty"`
}

// Credential is one credential the user gave, for one cluster.
type Credential struct {
	Username string `json:"username"`
	Secret   string `json:"secret"`
	// Fingerprint is the cluster's the credential was stored for: another
	// cluster (a recreated one) has another Gitea, where it means nothing.
	Fingerprint string    `json:"fingerprint"`
	StoredAt    time.Time `json:"storedAt,omitzero"`
	// Unverified marks a login stored while the cluster could not be read
	// to compare: the next read tells whether it is the cluster's own.
	Unverified bool `json:"unverified,omitempty"`
}

// HasCluster reports whether the entry holds a cluster answer.
func (e Entry) HasCluster() bool { return e.Username != "" }

// ClearCluster removes the cluster answer, keeping what the user stored.
func (e *Entry) ClearCluster() {
	e.Username, e.Secret, e.Fingerprint, e.FetchedAt, e.Cluster = "", "", "", time.Time{}, nil
}

// Empty reports whether nothing is left in the entry; such an entry is
// deleted from the keyring rather than written.
func (e Entry) Empty() bool { return !e.HasCluster() && e.Login == nil && len(e.Users) == 0 }

// UserKey is the key of Users for a user name: Gitea's user names are
// case-insensitive.
func UserKey(username string) string { return strings.ToLower(username) }

// Clone returns a copy that shares nothing with e.
func (e Entry) Clone() Entry {
	if e.Login != nil {
		l := *e.Login
		e.Login = &l
	}
	e.Users = maps.Clone(e.Users)
	return e
}

// Backend is the raw keyring; go-keyring's functions in production.
type Backend interface {
	Get(service, user string) (string, error)
	Set(service, user, password string) error
	Delete(service, user string) error
}

// System is the OS keyring through go-keyring. Where that means D-Bus, a
// call with no session bus to find fails at once (the cache then reads the
// cluster) instead of letting godbus launch a dbus-daemon that outlives the
// call (sessionbus_unix.go).
type System struct{}

func (System) Get(service, user string) (string, error) {
	if err := checkSessionBus(); err != nil {
		return "", err
	}
	return gokeyring.Get(service, user)
}

func (System) Set(service, user, pw string) error {
	if err := checkSessionBus(); err != nil {
		return err
	}
	return gokeyring.Set(service, user, pw)
}

func (System) Delete(service, user string) error {
	if err := checkSessionBus(); err != nil {
		return err
	}
	return gokeyring.Delete(service, user)
}

// Cache is the credential cache over a Backend. Every call is bounded by a
// deadline, and after the first failure the cache stays off for the rest of
// the process so one broken keyring costs one timeout, not one per call.
type Cache struct {
	backend Backend
	timeout time.Duration
	debugf  func(format string, args ...any)
	mu      sync.Mutex // guards broken: status checks hosts at once
	broken  error
}

// New returns a cache; debugf may be nil.
func New(backend Backend, timeout time.Duration, debugf func(string, ...any)) *Cache {
	if debugf == nil {
		debugf = func(string, ...any) {}
	}
	return &Cache{backend: backend, timeout: timeout, debugf: debugf}
}

// Get returns the entry for host; ok is false when there is none.
func (c *Cache) Get(host string) (e Entry, ok bool, err error) {
	var raw string
	err = c.call("read", func() (err error) { raw, err = c.backend.Get(Service, host); return err })
	if errors.Is(err, gokeyring.ErrNotFound) {
		return Entry{}, false, nil
	}
	if err != nil {
		return Entry{}, false, err
	}
	if err := json.Unmarshal([]byte(raw), &e); err != nil {
		// Not ours: treat as a miss, it is overwritten on the next write.
		c.debugf("keyring entry for %s is unreadable; ignoring it", host)
		return Entry{}, false, nil
	}
	if e.Empty() {
		return Entry{}, false, nil
	}
	return e, true, nil
}

// Put stores the entry for host.
func (c *Cache) Put(host string, e Entry) error {
	data, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return c.call("write", func() error { return c.backend.Set(Service, host, string(data)) })
}

// Delete removes the entry for host; a missing entry is not an error.
func (c *Cache) Delete(host string) (existed bool, err error) {
	err = c.call("delete", func() error { return c.backend.Delete(Service, host) })
	if errors.Is(err, gokeyring.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// call runs fn under the deadline and turns any failure other than "not
// found" into ErrUnavailable.
func (c *Cache) call(op string, fn func() error) error {
	c.mu.Lock()
	broken := c.broken
	c.mu.Unlock()
	if broken != nil {
		return broken
	}
	done := make(chan error, 1)
	go func() { done <- fn() }()
	timer := time.NewTimer(c.timeout)
	defer timer.Stop()
	var err error
	select {
	case err = <-done:
	case <-timer.C:
		// The goroutine is abandoned: go-keyring has no cancellation, and
		// the process is short-lived.
		err = fmt.Errorf("no answer within %s (locked keyring waiting for an unlock prompt?)", c.timeout)
	}
	if err == nil || errors.Is(err, gokeyring.ErrNotFound) {
		return err
	}
	if errors.Is(err, gokeyring.ErrSetDataTooBig) {
		return fmt.Errorf("keyring %s: %w", op, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken == nil {
		c.broken = fmt.Errorf("%w: %s failed: %v", ErrUnavailable, op, err)
		c.debugf("keyring off for this call: %v", c.broken)
	}
	return c.broken
}
