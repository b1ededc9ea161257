// Package helper answers the docker credential-helper protocol for idpbuilder
// registries: from the keyring cache when it is fresh and from the same
// cluster, otherwise from the cluster's secret.
package helper

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker-credential-helpers/credentials"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/config"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/fetchtime"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
	"github.com/cnoe-io/docker-credential-idpbuilder/keyring"
)

// Cache is where answers are kept between calls.
type Cache interface {
	Get(host string) (keyring.Entry, bool, error)
	Put(host string, e keyring.Entry) error
	Delete(host string) (existed bool, err error)
}

// FetchTimes records when the cluster last confirmed a host's cached
// answer, outside the keyring, so that a read finding the same answer costs
// no keyring write (gnome-keyring rewrites its whole file on each).
type FetchTimes interface {
	Get(host string) (fetchtime.Record, error)
	Put(host string, r fetchtime.Record) error
}

// Cluster is one resolved kubeconfig context.
type Cluster interface {
	Context() string
	// Fingerprint identifies the cluster without a network call.
	Fingerprint() string
	// ReadSecret reads the credentials ref names (idpbuilder's keys for
	// those it leaves empty).
	ReadSecret(ctx context.Context, ref idpbuilder.SecretRef) (idpbuilder.Credentials, error)
}

// refuser is a cluster that can tell at once, without reading anything,
// that its API server refuses connections (a stopped kind cluster): an
// idpbuilder.ErrUnreachable error then, else nil.
type refuser interface {
	Refused(ctx context.Context) error
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
	// Fetched keeps fetch times outside the keyring; nil means every read
	// of the cluster rewrites the keyring entry.
	Fetched FetchTimes
}

var _ credentials.Helper = (*Helper)(nil)

// ErrNotOurs is returned by Refresh for a host the table does not hold.
var ErrNotOurs = errors.New("not an idpbuilder registry")

func (h *Helper) debugf(format string, args ...any) {
	if h.Debugf != nil {
		h.Debugf(format, args...)
	}
}

func (h *Helper) lock(host string, timeout time.Duration) func() {
	if h.Lock == nil || h.Cache == nil {
		return nil // without a cache, waiting for another reader gains nothing
	}
	return h.Lock(host, timeout)
}

func (h *Helper) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// deadline is the end of one operation's time: the lock wait and the
// cluster read share it, as IDPBUILDER_HELPER_TIMEOUT promises. It is on
// the real clock; Now only dates entries.
func (h *Helper) deadline() time.Time { return time.Now().Add(h.Settings.Timeout) }

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

func (h *Helper) age(at time.Time) time.Duration {
	age := h.now().Sub(at)
	if age < -time.Minute {
		// An entry from the future means the clock moved: do not trust it.
		return time.Duration(1<<63 - 1)
	}
	return age
}

// confirmedAt is when the cluster last confirmed e's answer: when it was
// written to the keyring, or later when the fetch-time record of this very
// answer (same revision, same cluster) says so. A record that is missing,
// unreadable, not the user's, of another answer, older, or from the future
// changes nothing: it can extend the life of the answer it names, never
// make another answer look fresh. An answer fresh by its own time needs no
// record, so a hit reads none.
func (h *Helper) confirmedAt(host string, e keyring.Entry) time.Time {
	at := e.FetchedAt
	if h.Fetched == nil || e.Revision == "" || h.age(at) < h.Settings.Fresh {
		return at
	}
	r, err := h.Fetched.Get(host)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			h.debugf("%s: fetch time record ignored: %v", host, err)
		}
		return at
	}
	if r.Revision != e.Revision || !sameCluster(r.Fingerprint, e.Fingerprint) ||
		!r.FetchedAt.After(at) || r.FetchedAt.After(h.now().Add(time.Minute)) {
		return at
	}
	return r.FetchedAt
}

// newRevision names one write of a cluster answer. It only has to differ
// from the revisions before it, so no cryptographic source is needed.
func newRevision() string { return strconv.FormatUint(rand.Uint64(), 36) }

// sameCluster reports whether what was recorded for the cluster with
// fingerprint recorded belongs to the cluster fp; nothing recorded (an
// entry of an older version) belongs to none.
func sameCluster(recorded, fp string) bool { return recorded != "" && recorded == fp }

// sameCredential compares a credential with what a client gives: Gitea's
// user names are case-insensitive, passwords are not.
func sameCredential(user, secret, otherUser, otherSecret string) bool {
	return strings.EqualFold(user, otherUser) && secret == otherSecret
}

// update changes the host's keyring entry under the host's lock, waiting
// for the lock until deadline at most.
func (h *Helper) update(host string, deadline time.Time, change func(*keyring.Entry)) error {
	if release := h.lock(host, time.Until(deadline)); release != nil {
		defer release()
	}
	return h.write(host, change)
}

// write is the one place entries are written. It re-reads the entry just
// before writing and changes only what change touches, so whatever another
// process wrote since this one first read it (a docker login landing while
// a get reads the cluster) is kept. Callers hold the host's lock when they
// could have it; without it the re-read narrows the race to one keyring
// round trip. An entry with nothing left is deleted, and an entry that
// cannot be read is not written over.
func (h *Helper) write(host string, change func(*keyring.Entry)) error {
	if h.Cache == nil {
		return fmt.Errorf("caching is off (%s)", config.EnvNoCache)
	}
	e, ok, err := h.Cache.Get(host)
	if err != nil {
		return err
	}
	return h.apply(host, e, ok, change)
}

// apply writes change over e, the host's entry as just read (ok: it
// exists): nothing when change changes nothing.
func (h *Helper) apply(host string, e keyring.Entry, ok bool, change func(*keyring.Entry)) error {
	before := e.Clone()
	change(&e)
	if len(e.Users) == 0 {
		e.Users = nil
	}
	switch {
	case reflect.DeepEqual(before, e):
		return nil
	case e.Empty():
		if !ok {
			return nil
		}
		_, err := h.Cache.Delete(host)
		return err
	default:
		return h.Cache.Put(host, e)
	}
}

// view is one host as an operation starts: its entry as first read, the
// cluster the table names for it, and the operation's deadline.
type view struct {
	host     string
	reg      config.Registry
	src      Cluster
	fp       string
	entry    keyring.Entry
	deadline time.Time
	// writeErr says why the cluster's answer read by this operation was
	// not cached.
	writeErr error
}

// open reads the entry and resolves the cluster (no network call).
func (h *Helper) open(host string, reg config.Registry) (*view, error) {
	deadline := h.deadline()
	entry, _ := h.cached(host)
	src, err := h.Resolve(reg.Kubeconfig, reg.Context)
	if err != nil {
		return nil, err
	}
	return &view{host: host, reg: reg, src: src, fp: src.Fingerprint(), entry: entry, deadline: deadline}, nil
}

// Get returns the credentials for serverURL. Hosts that are not in the table
// get the protocol's not-found error without touching the keyring or network.
func (h *Helper) Get(serverURL string) (string, string, error) {
	host, reg, ok := h.Table.Lookup(serverURL)
	if !ok {
		return "", "", credentials.NewErrCredentialsNotFound()
	}
	v, err := h.open(host, reg)
	if err != nil {
		return "", "", fmt.Errorf("%s: %w", host, err)
	}
	c, err := h.answer(v)
	if err != nil {
		return "", "", err
	}
	return c.Username, c.Secret, nil
}

// answer is what get serves: the credentials `docker login` stored for the
// cluster in use, else the cluster's own.
func (h *Helper) answer(v *view) (keyring.Credential, error) {
	if l := h.login(v); l != nil {
		h.debugf("%s: answering with the credentials stored by 'docker login' for user %s", v.host, l.Username)
		return *l, nil
	}
	e, err := h.fromCluster(v, false)
	if err != nil {
		return keyring.Credential{}, err
	}
	return keyring.Credential{Username: e.Username, Secret: e.Secret, Fingerprint: e.Fingerprint}, nil
}

// login returns the entry's Login when it was stored for the cluster in
// use. One stored for another cluster is dropped from the keyring: a
// recreated cluster has a new Gitea, where that password means nothing.
func (h *Helper) login(v *view) *keyring.Credential {
	l := v.entry.Login
	if l == nil {
		return nil
	}
	if sameCluster(l.Fingerprint, v.fp) {
		return l
	}
	h.debugf("%s: credentials for user %s stored by 'docker login' for another cluster (recreated?): dropped", v.host, l.Username)
	v.entry.Login = nil
	err := h.update(v.host, v.deadline, func(e *keyring.Entry) {
		if e.Login != nil && !sameCluster(e.Login.Fingerprint, v.fp) {
			e.Login = nil
		}
	})
	if err != nil {
		h.debugf("%s: could not drop them from the keyring: %v", v.host, err)
	}
	return nil
}

// fromCluster applies the cache rules to the cluster's answer: the cached
// one when it is fresh and from the same cluster, else a read of the
// cluster, cached; a stale one from the same cluster while the cluster is
// unreachable. force reads the cluster whatever the cache holds, with no
// stale fallback: the caller wants the cluster's answer now.
func (h *Helper) fromCluster(v *view, force bool) (keyring.Entry, error) {
	entry := v.entry
	same := entry.HasCluster() && sameCluster(entry.Fingerprint, v.fp)
	var at time.Time // when the cluster last confirmed entry, if same
	if same && !force {
		at = h.confirmedAt(v.host, entry)
		if h.age(at) < h.Settings.Fresh {
			h.debugf("%s: cache hit (age %s)", v.host, h.age(at).Round(time.Second))
			return entry, nil
		}
	}
	// Parallel pushes start many gets at once: one reads the cluster while
	// the others wait, then answer from what it cached. The wait and the
	// read share the operation's deadline.
	var base *keyring.Entry // the entry as read under the lock
	var baseOK bool
	if release := h.lock(v.host, time.Until(v.deadline)); release != nil {
		defer release()
		if e, ok, err := h.Cache.Get(v.host); err == nil {
			if ok && !force && e.HasCluster() && sameCluster(e.Fingerprint, v.fp) && h.age(h.confirmedAt(v.host, e)) < h.Settings.Fresh {
				h.debugf("%s: cached by a concurrent get", v.host)
				return e, nil
			}
			base, baseOK = &e, ok
		}
	}
	// When a stale answer could stand in, a cluster that says at once that
	// it is stopped saves the read (the companion's start); otherwise the
	// read tells, and a running cluster sees one connection, not two.
	staleOK := same && !force && h.age(at) < h.Settings.MaxStale
	var creds idpbuilder.Credentials
	var err error
	if r, ok := v.src.(refuser); ok && staleOK && time.Until(v.deadline) > 0 {
		ctx, cancel := context.WithDeadline(context.Background(), v.deadline)
		err = r.Refused(ctx)
		cancel()
	}
	if err == nil {
		creds, err = h.read(v)
	}
	if err != nil {
		if staleOK && errors.Is(err, idpbuilder.ErrUnreachable) {
			h.debugf("%s: cluster unreachable, answering from a cache entry of age %s", v.host, h.age(at).Round(time.Second))
			return entry, nil
		}
		return keyring.Entry{}, err
	}
	fp := v.fp
	if creds.Fingerprint != "" {
		if creds.Fingerprint != v.fp {
			// The kubeconfig reader and client-go disagree on the cluster:
			// cache under what was really contacted, so the next get reads
			// again rather than answer for the wrong cluster.
			h.debugf("%s: the secret was read from another cluster (fingerprint %.12s) than the kubeconfig names for context %q (%.12s); the next get reads it again",
				v.host, creds.Fingerprint, v.src.Context(), v.fp)
		}
		fp = creds.Fingerprint
	}
	fresh := keyring.Entry{Username: creds.Username, Secret: creds.Password, Fingerprint: fp, FetchedAt: h.now()}
	if h.Cache != nil {
		if base == nil {
			// Unlocked: re-read just before writing, to keep what another
			// process wrote meanwhile.
			v.writeErr = h.write(v.host, func(e *keyring.Entry) { h.cacheAnswer(v.host, e, fresh) })
		} else {
			// Under the lock every other writer waits: what was read after
			// taking it is still what the keyring holds.
			v.writeErr = h.apply(v.host, *base, baseOK, func(e *keyring.Entry) { h.cacheAnswer(v.host, e, fresh) })
		}
		if v.writeErr != nil {
			h.debugf("%s: not cached: %v", v.host, v.writeErr)
		}
	}
	return fresh, nil
}

// cacheAnswer puts ans, just read from the cluster, into e. When e already
// holds the same answer from the same cluster, e is left as it is and only
// the fetch time is recorded, outside the keyring, so the keyring is not
// written. Otherwise, or when the record cannot be written, e's cluster
// answer is replaced under a new revision; the rest of e stays.
func (h *Helper) cacheAnswer(host string, e *keyring.Entry, ans keyring.Entry) {
	if h.Fetched != nil && e.Revision != "" && e.HasCluster() && sameCluster(e.Fingerprint, ans.Fingerprint) &&
		e.Username == ans.Username && e.Secret == ans.Secret {
		err := h.Fetched.Put(host, fetchtime.Record{Fingerprint: ans.Fingerprint, Revision: e.Revision, FetchedAt: ans.FetchedAt})
		if err == nil {
			h.debugf("%s: the cluster's answer is unchanged: fetch time recorded, keyring not written", host)
			return
		}
		h.debugf("%s: fetch time not recorded (%v): writing the keyring entry instead", host, err)
	}
	e.Username, e.Secret, e.Fingerprint, e.FetchedAt = ans.Username, ans.Secret, ans.Fingerprint, ans.FetchedAt
	e.Revision = newRevision()
}

// read reads the secret with what is left of the operation's deadline.
func (h *Helper) read(v *view) (idpbuilder.Credentials, error) {
	if time.Until(v.deadline) <= 0 {
		// The lock's holder is reading the same cluster and has not
		// finished: the cluster is slow or down.
		return idpbuilder.Credentials{}, fmt.Errorf("%w: no time left to read secret %s/%s from context %q: another get held the lock for the whole %s (%s); is the idpbuilder cluster running?",
			idpbuilder.ErrUnreachable, v.reg.Namespace, v.reg.Secret, v.src.Context(), config.EnvTimeout, h.Settings.Timeout)
	}
	h.debugf("%s: reading secret %s/%s from context %q", v.host, v.reg.Namespace, v.reg.Secret, v.src.Context())
	ctx, cancel := context.WithDeadline(context.Background(), v.deadline)
	defer cancel()
	return v.src.ReadSecret(ctx, v.reg.SecretRef())
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
	// Override is true when credentials stored by `docker login` for this
	// cluster are in place: they answer instead of what was read.
	Override bool
}

// Refresh re-reads the cluster for host now and rewrites the cache.
func (h *Helper) Refresh(host string) (RefreshResult, error) {
	host, reg, ok := h.Table.Lookup(host)
	if !ok {
		return RefreshResult{}, fmt.Errorf("%s: %w", host, ErrNotOurs)
	}
	res := RefreshResult{Host: host}
	v, err := h.open(host, reg)
	if err != nil {
		return res, fmt.Errorf("%s: %w", host, err)
	}
	res.Context = v.src.Context()
	res.Override = h.login(v) != nil
	e, err := h.fromCluster(v, true)
	if err != nil {
		return res, err
	}
	res.Username = e.Username
	if h.Cache == nil {
		res.CacheErr = fmt.Errorf("caching is off (%s)", config.EnvNoCache)
	} else {
		res.CacheErr, res.Cached = v.writeErr, v.writeErr == nil
	}
	return res, nil
}

// Add is docker's store (`docker login`). The cluster's own credentials
// stay a cluster entry, which follows the next recreate or password
// change; anything else is kept as the Login of the cluster in use, and
// dropped once another cluster is.
func (h *Helper) Add(c *credentials.Credentials) error {
	host, reg, ok := h.Table.Lookup(c.ServerURL)
	if !ok {
		return fmt.Errorf("%q is not an idpbuilder registry, so its credentials are not stored here; use docker-credential-idpbuilder in credHelpers for idpbuilder registries only, not as credsStore", c.ServerURL)
	}
	v, err := h.open(host, reg)
	if err != nil {
		return h.storeErr(host, err)
	}
	if h.isClusterAnswer(v, c.Username, c.Secret) {
		h.debugf("%s: 'docker login' stored the cluster's own credentials: nothing to keep, the entry follows the cluster", host)
		if h.Cache != nil {
			// The user just logged in with the cluster's credentials: an
			// earlier login no longer stands.
			if err := h.update(host, v.deadline, func(e *keyring.Entry) { e.Login = nil }); err != nil {
				h.debugf("%s: could not drop an earlier login: %v", host, err)
			}
		}
		return nil
	}
	return h.keepLogin(v, c.Username, c.Secret)
}

// storeErr is why a store failed when the cluster cannot be found: with
// caching off that is the first thing to fix.
func (h *Helper) storeErr(host string, err error) error {
	if h.Cache == nil {
		return errNoCache(host)
	}
	return fmt.Errorf("cannot store credentials for %s: they are kept for the cluster they belong to, and it cannot be found: %w", host, err)
}

func errNoCache(host string) error {
	return fmt.Errorf("cannot store credentials for %s: caching is off (%s), and passwords are never written to a file", host, config.EnvNoCache)
}

// keepLogin stores user and secret as the Login of the cluster in use.
func (h *Helper) keepLogin(v *view, user, secret string) error {
	if h.Cache == nil {
		return errNoCache(v.host)
	}
	login := keyring.Credential{Username: user, Secret: secret, Fingerprint: v.fp, StoredAt: h.now()}
	err := h.update(v.host, v.deadline, func(e *keyring.Entry) {
		e.Login = &login
		delete(e.Users, keyring.UserKey(user))
	})
	if err != nil {
		return fmt.Errorf("cannot store credentials for %s: %w; passwords are never written to a file", v.host, err)
	}
	h.debugf("%s: credentials for user %s kept for the cluster of context %q until 'docker logout %s' or that cluster is recreated", v.host, user, v.src.Context(), v.host)
	return nil
}

// isClusterAnswer reports whether user and secret are the cluster's
// credentials: the cached answer of the same cluster (any age), else what
// the cluster says now. When the cluster cannot be read, they are not.
func (h *Helper) isClusterAnswer(v *view, user, secret string) bool {
	if e := v.entry; e.HasCluster() && sameCluster(e.Fingerprint, v.fp) && sameCredential(e.Username, e.Secret, user, secret) {
		return true
	}
	e, err := h.fromCluster(v, true)
	if err != nil {
		h.debugf("%s: the cluster cannot be read to compare (%v)", v.host, err)
		return false
	}
	return sameCredential(e.Username, e.Secret, user, secret)
}

// Delete is docker's erase (`docker logout`): it removes the login and the
// cached answer, so the next get reads the cluster again. Credentials git
// stored for other users stay: docker never used them.
func (h *Helper) Delete(serverURL string) error {
	host, _, ok := h.Table.Lookup(serverURL)
	if !ok {
		return credentials.NewErrCredentialsNotFound()
	}
	if h.Cache == nil {
		return nil
	}
	err := h.update(host, h.deadline(), func(e *keyring.Entry) {
		e.Login = nil
		e.ClearCluster()
	})
	if err != nil {
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
