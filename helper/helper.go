// Package helper answers the docker credential-helper protocol for idpbuilder
// registries: from the keyring cache when it is fresh and from the same
// cluster, otherwise from the cluster's secret.
package helper

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/docker/docker-credential-helpers/credentials"

	"github.com/cnoe-io/docker-credential-idpbuilder/cluster"
	"github.com/cnoe-io/docker-credential-idpbuilder/config"
	"github.com/cnoe-io/docker-credential-idpbuilder/keyring"
)

// Cache is where answers are kept between calls.
type Cache interface {
	Get(host string) (keyring.Entry, bool, error)
	Put(host string, e keyring.Entry) error
	Delete(host string) (existed bool, err error)
}

// Cluster is one resolved kubeconfig context.
type Cluster interface {
	Context() string
	// Fingerprint identifies the cluster without a network call.
	Fingerprint() string
	ReadSecret(ctx context.Context, namespace, name string) (cluster.Credentials, error)
}

// Resolver finds the cluster of a kubeconfig and context, with no network
// call; empty strings mean kubectl's defaults.
type Resolver func(kubeconfig, context string) (Cluster, error)

// Helper implements credentials.Helper.
type Helper struct {
	Table *config.Table
	// Cache is nil when caching is turned off.
	Cache    Cache
	Resolve  Resolver
	Settings config.Settings
	Now      func() time.Time
	Debugf   func(format string, args ...any)
	// Lock serialises cluster reads of one host across processes; nil
	// means no lock. It returns nil when the lock could not be had.
	Lock func(host string, timeout time.Duration) (release func())
}

var _ credentials.Helper = (*Helper)(nil)

// ErrNotOurs is returned by Refresh for a host the table does not hold.
var ErrNotOurs = errors.New("not an idpbuilder registry")

func (h *Helper) debugf(format string, args ...any) {
	if h.Debugf != nil {
		h.Debugf(format, args...)
	}
}

func (h *Helper) lock(host string) func() {
	if h.Lock == nil || h.Cache == nil {
		return nil // without a cache, waiting for another reader gains nothing
	}
	return h.Lock(host, h.Settings.Timeout)
}

func (h *Helper) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// cached returns the cache entry for host, treating an unusable cache as
// empty: the cluster is the source of truth and the cache only saves time.
func (h *Helper) cached(host string) (keyring.Entry, bool) {
	if h.Cache == nil {
		return keyring.Entry{}, false
	}
	e, ok, err := h.Cache.Get(host)
	if err != nil {
		return keyring.Entry{}, false
	}
	return e, ok
}

func (h *Helper) age(e keyring.Entry) time.Duration {
	age := h.now().Sub(e.FetchedAt)
	if age < -time.Minute {
		// An entry from the future means the clock moved: do not trust it.
		return time.Duration(1<<63 - 1)
	}
	return age
}

// Get returns the credentials for serverURL. Hosts that are not in the table
// get the protocol's not-found error without touching the keyring or network.
func (h *Helper) Get(serverURL string) (string, string, error) {
	host, reg, ok := h.Table.Lookup(serverURL)
	if !ok {
		return "", "", credentials.NewErrCredentialsNotFound()
	}
	e, err := h.resolve(host, reg, false)
	if err != nil {
		return "", "", err
	}
	return e.Username, e.Secret, nil
}

// resolve applies the cache rules; force skips the fresh-window check.
func (h *Helper) resolve(host string, reg config.Registry, force bool) (keyring.Entry, error) {
	entry, hit := h.cached(host)
	if hit && entry.Override {
		h.debugf("%s: answering with the credentials stored by 'docker login'", host)
		return entry, nil
	}
	src, err := h.Resolve(reg.Kubeconfig, reg.Context)
	if err != nil {
		return keyring.Entry{}, fmt.Errorf("%s: %w", host, err)
	}
	sameCluster := hit && entry.Fingerprint == src.Fingerprint()
	if sameCluster && !force && h.age(entry) < h.Settings.Fresh {
		h.debugf("%s: cache hit (age %s)", host, h.age(entry).Round(time.Second))
		return entry, nil
	}
	// Parallel pushes start many gets at once: one reads the cluster while
	// the others wait, then answer from what it cached.
	if release := h.lock(host); release != nil {
		defer release()
		if e, ok := h.cached(host); ok && !force && e.Fingerprint == src.Fingerprint() && h.age(e) < h.Settings.Fresh {
			h.debugf("%s: cached by a concurrent get", host)
			return e, nil
		}
	}
	h.debugf("%s: reading secret %s/%s from context %q", host, reg.Namespace, reg.Secret, src.Context())
	ctx, cancel := context.WithTimeout(context.Background(), h.Settings.Timeout)
	defer cancel()
	creds, err := src.ReadSecret(ctx, reg.Namespace, reg.Secret)
	if err != nil {
		if sameCluster && errors.Is(err, cluster.ErrUnreachable) && h.age(entry) < h.Settings.MaxStale {
			h.debugf("%s: cluster unreachable, answering from a cache entry of age %s", host, h.age(entry).Round(time.Second))
			return entry, nil
		}
		return keyring.Entry{}, err
	}
	fresh := keyring.Entry{
		Username:    creds.Username,
		Secret:      creds.Password,
		Fingerprint: src.Fingerprint(),
		FetchedAt:   h.now(),
	}
	if h.Cache != nil {
		if err := h.Cache.Put(host, fresh); err != nil {
			h.debugf("%s: not cached: %v", host, err)
		}
	}
	return fresh, nil
}

// RefreshResult says what Refresh did, for the user; it never holds the
// password.
type RefreshResult struct {
	Host     string
	Username string
	Context  string
	Cached   bool
	// CacheErr says why the answer was not cached, when it was not.
	CacheErr error
	// Override is true when a `docker login` entry is in place and wins
	// over what was read.
	Override bool
}

// Refresh re-reads the cluster for host now and rewrites the cache.
func (h *Helper) Refresh(host string) (RefreshResult, error) {
	host, reg, ok := h.Table.Lookup(host)
	if !ok {
		return RefreshResult{}, fmt.Errorf("%s: %w", host, ErrNotOurs)
	}
	res := RefreshResult{Host: host}
	if e, hit := h.cached(host); hit && e.Override {
		res.Override = true
	}
	src, err := h.Resolve(reg.Kubeconfig, reg.Context)
	if err != nil {
		return res, fmt.Errorf("%s: %w", host, err)
	}
	res.Context = src.Context()
	ctx, cancel := context.WithTimeout(context.Background(), h.Settings.Timeout)
	defer cancel()
	creds, err := src.ReadSecret(ctx, reg.Namespace, reg.Secret)
	if err != nil {
		return res, err
	}
	res.Username = creds.Username
	switch {
	case res.Override:
	case h.Cache == nil:
		res.CacheErr = fmt.Errorf("caching is off (%s)", config.EnvNoCache)
	default:
		res.CacheErr = h.Cache.Put(host, keyring.Entry{
			Username:    creds.Username,
			Secret:      creds.Password,
			Fingerprint: src.Fingerprint(),
			FetchedAt:   h.now(),
		})
		res.Cached = res.CacheErr == nil
	}
	return res, nil
}

// Add keeps credentials given by `docker login` as the user's override.
func (h *Helper) Add(c *credentials.Credentials) error {
	host, _, ok := h.Table.Lookup(c.ServerURL)
	if !ok {
		return fmt.Errorf("%q is not an idpbuilder registry, so its credentials are not stored here; use docker-credential-idpbuilder in credHelpers for idpbuilder registries only, not as credsStore", c.ServerURL)
	}
	if h.Cache == nil {
		return fmt.Errorf("cannot store credentials for %s: caching is off (%s), and passwords are never written to a file", host, config.EnvNoCache)
	}
	err := h.Cache.Put(host, keyring.Entry{Username: c.Username, Secret: c.Secret, FetchedAt: h.now(), Override: true})
	if err != nil {
		return fmt.Errorf("cannot store credentials for %s: %w; passwords are never written to a file", host, err)
	}
	return nil
}

// Delete removes what the keyring holds for the host (the `docker login`
// override or the cache); the next get reads the cluster again.
func (h *Helper) Delete(serverURL string) error {
	host, _, ok := h.Table.Lookup(serverURL)
	if !ok {
		return credentials.NewErrCredentialsNotFound()
	}
	if h.Cache == nil {
		return nil
	}
	if _, err := h.Cache.Delete(host); err != nil {
		return fmt.Errorf("cannot erase credentials for %s: %w", host, err)
	}
	return nil
}

// List maps every registry served to its user name; the name is empty when
// neither the cache nor the cluster can tell it.
func (h *Helper) List() (map[string]string, error) {
	out := make(map[string]string, len(h.Table.Registries))
	for _, host := range h.Table.Hosts() {
		user, _, err := h.Get(host)
		if err != nil {
			h.debugf("%s: listed without a user name: %v", host, err)
		}
		out[host] = user
	}
	return out, nil
}
