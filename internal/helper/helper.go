// Package helper answers the docker credential-helper protocol for idpbuilder
// registries: from the cache (the kernel keyring's hot tier, then the OS
// keyring) while the kubeconfig still names the cluster the answer came from
// and the answer is fresh, otherwise from the cluster's secret, read by the
// companion program.
package helper

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/docker/docker-credential-helpers/credentials"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/clusterid"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/config"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
	"github.com/cnoe-io/docker-credential-idpbuilder/keyring"
)

// Cache is where answers are kept between calls: the OS keyring.
type Cache interface {
	Get(host string) (keyring.Entry, bool, error)
	Put(host string, e keyring.Entry) error
	Delete(host string) (existed bool, err error)
}

// Hot is a faster copy of the last answer per host (keyring.Hot, the Linux
// kernel keyring). It is written only under the host's lock and cleared by
// every write of the Cache, so it never holds an answer the Cache no longer
// gives.
type Hot interface {
	Get(host string) (payload []byte, ok bool)
	Set(host string, payload []byte, ttl time.Duration) error
	Clear(host string) error
}

// Source reads a registry's secret from its cluster (the companion program
// in production). The ID, the cluster in use, is non-nil whenever the
// kubeconfig could be resolved, also when the read failed.
type Source interface {
	ReadSecret(ctx context.Context, kubeconfig, context string, ref idpbuilder.SecretRef) (idpbuilder.Credentials, *clusterid.ID, error)
}

// Helper implements credentials.Helper.
type Helper struct {
	Table *config.Table
	// Cache is nil when caching is turned off; Hot is nil when there is no
	// hot tier.
	Cache    Cache
	Hot      Hot
	Source   Source
	Settings config.Settings
	Getenv   func(string) string
	Now      func() time.Time
	Debugf   func(format string, args ...any)
	// Lock serialises cluster reads and writes of one host across
	// processes; nil means no lock. It returns nil when the lock could not
	// be had within timeout (0: at once).
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

func (h *Helper) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Helper) inputs(reg config.Registry) string {
	getenv := h.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	return clusterid.Inputs(reg.Kubeconfig, reg.Context, getenv)
}

func (h *Helper) lock(host string, timeout time.Duration) func() {
	if h.Lock == nil || h.Cache == nil {
		return nil // without a cache, waiting for another reader gains nothing
	}
	return h.Lock(host, timeout)
}

func (h *Helper) age(at time.Time) time.Duration {
	age := h.now().Sub(at)
	if age < -time.Minute {
		// An entry from the future means the clock moved: do not trust it.
		return time.Duration(1<<63 - 1)
	}
	return age
}

// sameCluster reports whether what was recorded for the cluster with
// fingerprint recorded belongs to the cluster fp; nothing recorded (an
// entry of an older version) belongs to none.
func sameCluster(recorded, fp string) bool { return recorded != "" && recorded == fp }

// sameCredential compares a credential with what a client gives: Gitea's
// user names are case-insensitive, passwords are not.
func sameCredential(user, secret, otherUser, otherSecret string) bool {
	return strings.EqualFold(user, otherUser) && secret == otherSecret
}

// view is one host as an operation goes: its entry, the cluster in use
// once known, and the host's lock when held.
type view struct {
	host   string
	reg    config.Registry
	inputs string
	entry  keyring.Entry
	// cur is the cluster in use: the entry's when the kubeconfig is
	// unchanged since, else what a read in this operation found; nil
	// while unknown.
	cur    *clusterid.ID
	unlock func()
	// start is when the operation began: an entry written after it, while
	// this one waited for the lock, is as new as any read it could make.
	start time.Time
	// writeErr says why the cluster's answer read by this operation was
	// not cached.
	writeErr error
}

func (v *view) fp() string {
	if v.cur == nil {
		return ""
	}
	return v.cur.Fingerprint
}

func (v *view) close() {
	if v.unlock != nil {
		v.unlock()
		v.unlock = nil
	}
}

// open reads the entry with the host's lock when it is free at once: the
// hot tier may be written only from what was read under it.
func (h *Helper) open(host string, reg config.Registry, inputs string) *view {
	v := &view{host: host, reg: reg, inputs: inputs, unlock: h.lock(host, 0), start: time.Now()}
	h.load(v)
	return v
}

func (h *Helper) load(v *view) {
	v.entry = keyring.Entry{}
	if h.Cache != nil {
		// An unusable cache is an empty one: the cluster is the source of
		// truth and the cache only saves time.
		if e, ok, err := h.Cache.Get(v.host); err == nil && ok {
			v.entry = e
		}
	}
	c := v.entry.Cluster
	switch {
	case v.cur != nil:
	case c.Unchanged(v.inputs) || c.Matches(v.inputs) && c.At.After(v.start):
		v.cur = c
	case c != nil:
		h.debugf("%s: the kubeconfig files or settings may have changed since the cached answer: the cluster says which it is", v.host)
	}
}

// hotAnswer is what the hot tier holds for a host: the answer get gave and
// the cluster it belongs to.
type hotAnswer struct {
	Username string        `json:"u"`
	Secret   string        `json:"s"`
	Cluster  *clusterid.ID `json:"c"`
	At       time.Time     `json:"at"`
	Stale    bool          `json:"stale,omitempty"`
}

// hotHit answers from the hot tier: a fresh answer of the cluster in use,
// or a stale one (within the stale limit) when that cluster's loopback API
// server refuses connections, as a stopped kind cluster's does, so a
// `docker build` that asks every helper pays no D-Bus call for ours.
func (h *Helper) hotHit(host, inputs string) (hotAnswer, bool) {
	var a hotAnswer
	if h.Hot == nil {
		return a, false
	}
	payload, ok := h.Hot.Get(host)
	if !ok || json.Unmarshal(payload, &a) != nil || a.Username == "" || !a.Cluster.Unchanged(inputs) {
		return a, false
	}
	switch age := h.age(a.At); {
	case age < h.Settings.Fresh:
		h.debugf("%s: cache hit (hot tier, age %s)", host, age.Round(time.Second))
		return a, true
	case age < h.Settings.MaxStale && a.Stale && a.Cluster.Refused(context.Background()):
		h.debugf("%s: the API server at %s refuses connections: answering from the hot tier, age %s", host, a.Cluster.Loopback, age.Round(time.Second))
		return a, true
	}
	return a, false
}

// publish puts get's answer into the hot tier, for as long as it could be
// served: only under the lock, after the entry it comes from was read
// under it. stale says whether it may stand in while the cluster is down
// (a cluster answer; a login needs no cluster).
func (h *Helper) publish(v *view, c keyring.Credential, at time.Time, stale bool) {
	if h.Hot == nil || v.unlock == nil || v.cur == nil {
		return
	}
	limit := h.Settings.Fresh
	if stale {
		limit = max(limit, h.Settings.MaxStale)
	}
	ttl := limit - h.age(at)
	if ttl < time.Second {
		return
	}
	payload, err := json.Marshal(hotAnswer{Username: c.Username, Secret: c.Secret, Cluster: v.cur, At: at, Stale: stale})
	if err == nil {
		err = h.Hot.Set(v.host, payload, ttl)
	}
	if err != nil {
		h.debugf("%s: hot tier not written: %v", v.host, err)
	}
}

// update changes the host's keyring entry under the host's lock (v's, when
// it holds it), waiting for the lock as long as for a cluster read.
func (h *Helper) update(host string, v *view, change func(*keyring.Entry)) error {
	if v == nil || v.unlock == nil {
		if release := h.lock(host, h.Settings.Timeout); release != nil {
			defer release()
		}
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
	// The hot tier goes first, whatever follows: should the write fail,
	// no get answers from a copy of what was to be replaced.
	if h.Hot != nil {
		if err := h.Hot.Clear(host); err != nil {
			h.debugf("%s: hot tier not cleared: %v", host, err)
		}
	}
	e, ok, err := h.Cache.Get(host)
	if err != nil {
		return err
	}
	before := e.Clone()
	change(&e)
	if len(e.Users) == 0 {
		e.Users = nil
	}
	if reflect.DeepEqual(before, e) {
		return nil
	}
	if e.Empty() {
		if !ok {
			return nil
		}
		_, err := h.Cache.Delete(host)
		return err
	}
	return h.Cache.Put(host, e)
}

// Get returns the credentials for serverURL. Hosts that are not in the table
// get the protocol's not-found error without touching the keyring or network.
func (h *Helper) Get(serverURL string) (string, string, error) {
	host, reg, ok := h.Table.Lookup(serverURL)
	if !ok {
		return "", "", credentials.NewErrCredentialsNotFound()
	}
	inputs := h.inputs(reg)
	if a, ok := h.hotHit(host, inputs); ok {
		return a.Username, a.Secret, nil
	}
	v := h.open(host, reg, inputs)
	defer v.close()
	c, err := h.answer(v)
	if err != nil {
		return "", "", err
	}
	return c.Username, c.Secret, nil
}

// answer is what get serves: the credentials `docker login` stored for the
// cluster in use, else the cluster's own. A login stored while the cluster
// could not be read is compared with the cluster's answer first, when
// there is one.
func (h *Helper) answer(v *view) (keyring.Credential, error) {
	var e keyring.Entry
	var err error
	read := false
	if v.cur == nil {
		// Which cluster is in use is known after a read only.
		e, err = h.fromCluster(v, false)
		if err != nil && v.cur == nil {
			return keyring.Credential{}, err
		}
		read = true
	}
	l := h.login(v)
	if l == nil || l.Unverified {
		if !read {
			e, err = h.fromCluster(v, false)
		}
		if err == nil && v.entry.Login != nil && v.entry.Login.Unverified {
			ans := e
			if werr := h.update(v.host, v, func(e *keyring.Entry) { settleLogin(e, ans) }); werr == nil {
				settleLogin(&v.entry, ans)
			}
		}
		if l != nil {
			l = h.login(v)
		}
	}
	if l != nil {
		h.debugf("%s: answering with the credentials stored by 'docker login' for user %s", v.host, l.Username)
		h.publish(v, *l, h.now(), false)
		return *l, nil
	}
	if err != nil {
		return keyring.Credential{}, err
	}
	return credentialOf(e), nil
}

// settleLogin compares an unverified login of the cluster of ans with the
// cluster's answer ans: the cluster's own credential follows the cluster
// from now on (the login goes); any other is a login the user meant.
func settleLogin(e *keyring.Entry, ans keyring.Entry) {
	l := e.Login
	if l == nil || !l.Unverified || !sameCluster(l.Fingerprint, ans.Fingerprint) {
		return
	}
	if sameCredential(l.Username, l.Secret, ans.Username, ans.Secret) {
		e.Login = nil
		return
	}
	verified := *l
	verified.Unverified = false
	e.Login = &verified
}

// login returns the entry's Login when it was stored for the cluster in
// use. One stored for another cluster is dropped from the keyring: a
// recreated cluster has a new Gitea, where that password means nothing.
func (h *Helper) login(v *view) *keyring.Credential {
	l := v.entry.Login
	if l == nil || v.cur == nil {
		return nil
	}
	fp := v.fp()
	if sameCluster(l.Fingerprint, fp) {
		return l
	}
	h.debugf("%s: credentials for user %s stored by 'docker login' for another cluster (recreated?): dropped", v.host, l.Username)
	v.entry.Login = nil
	err := h.update(v.host, v, func(e *keyring.Entry) {
		if e.Login != nil && !sameCluster(e.Login.Fingerprint, fp) {
			e.Login = nil
		}
	})
	if err != nil {
		h.debugf("%s: could not drop them from the keyring: %v", v.host, err)
	}
	return nil
}

// fromCluster applies the cache rules to the cluster's answer: the cached
// one when it is fresh and from the cluster in use, else a read of the
// cluster, cached; a stale one from the same cluster while the cluster is
// unreachable. force reads the cluster whatever the cache holds, with no
// stale fallback: the caller wants the cluster's answer now.
func (h *Helper) fromCluster(v *view, force bool) (keyring.Entry, error) {
	if !force && h.fresh(v) {
		h.debugf("%s: cache hit (age %s)", v.host, h.age(v.entry.FetchedAt).Round(time.Second))
		h.publish(v, credentialOf(v.entry), v.entry.FetchedAt, true)
		return v.entry, nil
	}
	if v.unlock == nil {
		// Parallel pushes start many gets at once: one reads the cluster
		// while the others wait, then answer from what it cached. A get
		// that waited out the whole deadline reads the cluster itself.
		if v.unlock = h.lock(v.host, h.Settings.Timeout); v.unlock != nil {
			h.load(v)
			if !force && h.fresh(v) {
				h.debugf("%s: cached by a concurrent get", v.host)
				h.publish(v, credentialOf(v.entry), v.entry.FetchedAt, true)
				return v.entry, nil
			}
		} else if h.Lock != nil && h.Cache != nil {
			h.debugf("%s: the lock stayed busy for %s: reading the cluster without it", v.host, h.Settings.Timeout)
		}
	}
	stale := v.entry
	staleOK := func() bool {
		return !force && stale.HasCluster() && v.cur != nil && sameCluster(stale.Fingerprint, v.fp()) && h.age(stale.FetchedAt) < h.Settings.MaxStale
	}
	// A cluster that says at once that it is stopped saves the read (the
	// companion's start) when a stale answer can stand in.
	if staleOK() && v.cur.Refused(context.Background()) {
		h.debugf("%s: the API server at %s refuses connections: answering from a cache entry of age %s", v.host, v.cur.Loopback, h.age(stale.FetchedAt).Round(time.Second))
		h.publish(v, credentialOf(stale), stale.FetchedAt, true)
		return stale, nil
	}
	known := v.cur != nil
	creds, id, err := h.read(v)
	if id != nil {
		v.cur = id
	}
	if err != nil {
		if staleOK() && errors.Is(err, idpbuilder.ErrUnreachable) {
			h.debugf("%s: cluster unreachable, answering from a cache entry of age %s", v.host, h.age(stale.FetchedAt).Round(time.Second))
			if !known && h.Cache != nil {
				// The kubeconfig was touched, the cluster is the same: the
				// next get need not ask the companion to tell.
				_ = h.write(v.host, func(e *keyring.Entry) {
					if sameCluster(e.Fingerprint, id.Fingerprint) {
						e.Cluster = id
					}
				})
			}
			return stale, nil
		}
		return keyring.Entry{}, err
	}
	fp := id.Fingerprint
	ans := keyring.Entry{Username: creds.Username, Secret: creds.Password, Fingerprint: fp, FetchedAt: h.now(), Cluster: id}
	if h.Cache == nil {
		v.entry = ans
		return ans, nil
	}
	v.writeErr = h.write(v.host, func(e *keyring.Entry) {
		e.Username, e.Secret, e.Fingerprint, e.FetchedAt, e.Cluster = ans.Username, ans.Secret, ans.Fingerprint, ans.FetchedAt, ans.Cluster
		if l := e.Login; l != nil && !sameCluster(l.Fingerprint, fp) {
			h.debugf("%s: credentials for user %s stored by 'docker login' for another cluster (recreated?): dropped", v.host, l.Username)
			e.Login = nil
		}
		settleLogin(e, ans)
		v.entry = e.Clone()
	})
	if v.writeErr != nil {
		// No Secret Service (SSH, WSL, CI): the hot tier is the cache.
		h.debugf("%s: not cached in the OS keyring: %v", v.host, v.writeErr)
		v.entry = ans
	}
	if v.entry.Login == nil || !sameCluster(v.entry.Login.Fingerprint, fp) {
		h.publish(v, credentialOf(ans), ans.FetchedAt, true)
	}
	return ans, nil
}

// fresh reports whether v's entry holds a fresh answer of the cluster in use.
func (h *Helper) fresh(v *view) bool {
	e := v.entry
	return v.cur != nil && e.HasCluster() && sameCluster(e.Fingerprint, v.fp()) && h.age(e.FetchedAt) < h.Settings.Fresh
}

func credentialOf(e keyring.Entry) keyring.Credential {
	return keyring.Credential{Username: e.Username, Secret: e.Secret, Fingerprint: e.Fingerprint}
}

// read reads the secret with a deadline of its own: a get that waited for
// another get's read and ran out of time still gets a whole read.
func (h *Helper) read(v *view) (idpbuilder.Credentials, *clusterid.ID, error) {
	ref := v.reg.SecretRef().WithDefaults()
	if h.Settings.Timeout <= 0 {
		return idpbuilder.Credentials{}, nil, fmt.Errorf("%w: %s is %s, which leaves no time to read secret %s/%s", idpbuilder.ErrUnreachable, config.EnvTimeout, h.Settings.Timeout, ref.Namespace, ref.Name)
	}
	h.debugf("%s: reading secret %s/%s", v.host, ref.Namespace, ref.Name)
	ctx, cancel := context.WithTimeout(context.Background(), h.Settings.Timeout)
	defer cancel()
	creds, id, err := h.Source.ReadSecret(ctx, v.reg.Kubeconfig, v.reg.Context, ref)
	if err == nil && id == nil {
		err = fmt.Errorf("the read of secret %s/%s did not say which cluster answered", ref.Namespace, ref.Name)
	}
	if err == nil && creds.Fingerprint != "" && creds.Fingerprint != id.Fingerprint {
		err = fmt.Errorf("the read of secret %s/%s gave two fingerprints for one cluster", ref.Namespace, ref.Name)
	}
	return creds, id, err
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
	v := h.open(host, reg, h.inputs(reg))
	defer v.close()
	e, err := h.fromCluster(v, true)
	if v.cur != nil {
		res.Context = v.cur.Context
	}
	if err != nil {
		return res, err
	}
	res.Username = e.Username
	res.Override = h.login(v) != nil
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
// dropped once another cluster is. When the cluster cannot be read to
// compare, the login is kept unverified, and compared on the next read.
func (h *Helper) Add(c *credentials.Credentials) error {
	host, reg, ok := h.Table.Lookup(c.ServerURL)
	if !ok {
		return fmt.Errorf("%q is not an idpbuilder registry, so its credentials are not stored here; use docker-credential-idpbuilder in credHelpers for idpbuilder registries only, not as credsStore", c.ServerURL)
	}
	v := h.open(host, reg, h.inputs(reg))
	defer v.close()
	isCluster, err := h.isClusterAnswer(v, c.Username, c.Secret)
	if err != nil && v.cur == nil {
		if h.Cache == nil {
			return errNoCache(host)
		}
		return fmt.Errorf("cannot store credentials for %s: they are kept for the cluster they belong to, and it cannot be found: %w", host, err)
	}
	if isCluster {
		h.debugf("%s: 'docker login' stored the cluster's own credentials: nothing to keep, the entry follows the cluster", host)
		// The user just logged in with the cluster's credentials: an
		// earlier login no longer stands.
		if h.Cache != nil {
			if err := h.update(host, v, func(e *keyring.Entry) { e.Login = nil }); err != nil {
				h.debugf("%s: could not drop an earlier login: %v", host, err)
			}
		}
		return nil
	}
	if err != nil {
		h.debugf("%s: the cluster cannot be read to compare (%v): the login is kept, and compared on the next read", host, err)
	}
	return h.keepLogin(v, c.Username, c.Secret, err != nil)
}

func errNoCache(host string) error {
	return fmt.Errorf("cannot store credentials for %s: caching is off (%s), and passwords are never written to a file", host, config.EnvNoCache)
}

// keepLogin stores user and secret as the Login of the cluster in use.
func (h *Helper) keepLogin(v *view, user, secret string, unverified bool) error {
	if h.Cache == nil {
		return errNoCache(v.host)
	}
	login := keyring.Credential{Username: user, Secret: secret, Fingerprint: v.fp(), StoredAt: h.now(), Unverified: unverified}
	err := h.update(v.host, v, func(e *keyring.Entry) {
		e.Login = &login
		e.Cluster = v.cur // what tells the next get, with no read, that it is in use
		delete(e.Users, keyring.UserKey(user))
	})
	if err != nil {
		return fmt.Errorf("cannot store credentials for %s: %w; passwords are never written to a file", v.host, err)
	}
	h.debugf("%s: credentials for user %s kept for the cluster of context %q until 'docker logout %s' or that cluster is recreated", v.host, user, v.cur.Context, v.host)
	return nil
}

// isClusterAnswer reports whether user and secret are the cluster's
// credentials: the cached answer of the cluster in use (any age), else
// what the cluster says now; err when it cannot be read.
func (h *Helper) isClusterAnswer(v *view, user, secret string) (bool, error) {
	if e := v.entry; v.cur != nil && e.HasCluster() && sameCluster(e.Fingerprint, v.fp()) && sameCredential(e.Username, e.Secret, user, secret) {
		return true, nil
	}
	e, err := h.fromCluster(v, true)
	if err != nil {
		return false, err
	}
	return sameCredential(e.Username, e.Secret, user, secret), nil
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
	err := h.update(host, nil, func(e *keyring.Entry) {
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
