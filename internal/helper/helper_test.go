package helper

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker-credential-helpers/credentials"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/clusterid"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/config"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
	"github.com/cnoe-io/docker-credential-idpbuilder/keyring"
	"github.com/cnoe-io/docker-credential-idpbuilder/test/fakes"
)

const host = idpbuilder.DefaultRegistry

var now = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func newTestHelper(cache *fakes.Cache, kc *fakes.Cluster) *Helper {
	h := &Helper{
		Table:    config.DefaultTable("/nonexistent/config.json"),
		Source:   fakes.Source{Cluster: kc},
		Settings: config.DefaultSettings(),
		Now:      func() time.Time { return now },
	}
	if cache != nil {
		h.Cache = cache
	}
	return h
}

// withID gives e the ID of cluster when it was written for it: the
// kubeconfig has not changed since. Entries of other clusters have none.
func withID(e keyring.Entry, cluster *fakes.Cluster) keyring.Entry {
	ofCluster := e.Fingerprint == cluster.FP || e.Login != nil && e.Login.Fingerprint == cluster.FP
	for _, u := range e.Users {
		ofCluster = ofCluster || u.Fingerprint == cluster.FP
	}
	if ofCluster {
		id := cluster.ID()
		e.Cluster = &id
	}
	return e
}

// sourceFunc is a Source made of a function.
type sourceFunc func(ctx context.Context, kubeconfig, kctx string, ref idpbuilder.SecretRef) (idpbuilder.Credentials, *clusterid.ID, error)

func (f sourceFunc) ReadSecret(ctx context.Context, kubeconfig, kctx string, ref idpbuilder.SecretRef) (idpbuilder.Credentials, *clusterid.ID, error) {
	return f(ctx, kubeconfig, kctx, ref)
}

var errDown = fmt.Errorf("%w: connection refused", idpbuilder.ErrUnreachable)

func TestGetDecisionTable(t *testing.T) {
	clusterCreds := idpbuilder.Credentials{Username: "giteaAdmin", Password: "from-cluster"}
	cachedEntry := func(fp string, age time.Duration, pw string) *keyring.Entry {
		return &keyring.Entry{Username: "giteaAdmin", Secret: pw, Fingerprint: fp, FetchedAt: now.Add(-age)}
	}
	withLogin := func(e *keyring.Entry, fp string) *keyring.Entry {
		if e == nil {
			e = &keyring.Entry{}
		}
		e.Login = &keyring.Credential{Username: "me", Secret: "mine", Fingerprint: fp, StoredAt: now.Add(-48 * time.Hour)}
		return e
	}
	tests := []struct {
		name       string
		entry      *keyring.Entry
		cacheErr   error
		clusterErr error
		wantSecret string
		wantErr    string
		wantReads  int
		wantPuts   int
		// wantDeletes counts keyring items removed (an entry left empty).
		wantDeletes int
		// wantLogin: the entry keeps its login afterwards.
		wantLogin bool
	}{
		{name: "miss reads the cluster and caches", wantSecret: "from-cluster", wantReads: 1, wantPuts: 1},
		{name: "fresh hit from same cluster", entry: cachedEntry("fp1", time.Minute, "cached"), wantSecret: "cached"},
		{name: "stale entry is re-read", entry: cachedEntry("fp1", 6*time.Minute, "cached"), wantSecret: "from-cluster", wantReads: 1, wantPuts: 1},
		{name: "entry from another cluster is re-read", entry: cachedEntry("old-cluster", time.Second, "cached"), wantSecret: "from-cluster", wantReads: 1, wantPuts: 1},
		{name: "entry from the future is re-read", entry: cachedEntry("fp1", -time.Hour, "cached"), wantSecret: "from-cluster", wantReads: 1, wantPuts: 1},
		{name: "cluster down, stale entry under the hard limit", entry: cachedEntry("fp1", time.Hour, "cached"), clusterErr: errDown, wantSecret: "cached", wantReads: 1},
		{name: "cluster down, entry over the hard limit", entry: cachedEntry("fp1", 25*time.Hour, "cached"), clusterErr: errDown, wantErr: "connection refused", wantReads: 1},
		{name: "cluster down, entry from another cluster", entry: cachedEntry("old-cluster", time.Hour, "cached"), clusterErr: errDown, wantErr: "connection refused", wantReads: 1},
		{name: "cluster down, empty cache", clusterErr: errDown, wantErr: "connection refused", wantReads: 1},
		{name: "forbidden is not masked by the cache", entry: cachedEntry("fp1", time.Hour, "cached"), clusterErr: errors.New("forbidden"), wantErr: "forbidden", wantReads: 1},
		{name: "a login of this cluster answers", entry: withLogin(cachedEntry("fp1", time.Hour, "cached"), "fp1"), wantSecret: "mine", wantLogin: true},
		{name: "a login of this cluster answers with the cluster down", entry: withLogin(nil, "fp1"), clusterErr: errDown, wantSecret: "mine", wantLogin: true},
		{name: "a login of another cluster is dropped", entry: withLogin(nil, "old-cluster"), wantSecret: "from-cluster", wantReads: 1, wantPuts: 1},
		{name: "a login of another cluster is dropped, fresh cluster answer", entry: withLogin(cachedEntry("fp1", time.Minute, "cached"), "old-cluster"), wantSecret: "cached", wantPuts: 1},
		{name: "a login of another cluster is not served when the cluster is down", entry: withLogin(nil, "old-cluster"), clusterErr: errDown, wantErr: "connection refused", wantReads: 1, wantPuts: 0, wantDeletes: 1},
		{name: "an old-format override is re-read", entry: &keyring.Entry{Username: "me", Secret: "mine", FetchedAt: now.Add(-time.Minute)}, wantSecret: "from-cluster", wantReads: 1, wantPuts: 1},
		{name: "an old-format override is not served when the cluster is down", entry: &keyring.Entry{Username: "me", Secret: "mine", FetchedAt: now.Add(-time.Minute)}, clusterErr: errDown, wantErr: "connection refused", wantReads: 1},
		{name: "git users are not docker's answer", entry: &keyring.Entry{Users: map[string]keyring.Credential{"alice": {Username: "alice", Secret: "alice-pw", Fingerprint: "fp1"}}}, wantSecret: "from-cluster", wantReads: 1, wantPuts: 1},
		{name: "keyring unavailable reads the cluster", cacheErr: keyring.ErrUnavailable, wantSecret: "from-cluster", wantReads: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cache := fakes.NewCache()
			cluster := &fakes.Cluster{FP: "fp1", Creds: clusterCreds, SecretErr: tt.clusterErr}
			if tt.entry != nil {
				cache.Entries[host] = withID(*tt.entry, cluster)
			}
			cache.Err = tt.cacheErr
			h := newTestHelper(cache, cluster)

			user, secret, err := h.Get("https://" + host + "/v2/")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Get error = %v, want one containing %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatalf("Get: %v", err)
			} else if secret != tt.wantSecret || user == "" {
				t.Fatalf("Get = (%q, %q), want secret %q", user, secret, tt.wantSecret)
			}
			if cluster.Reads() != tt.wantReads {
				t.Errorf("cluster reads = %d, want %d", cluster.Reads(), tt.wantReads)
			}
			for _, read := range cluster.SecretsRead {
				if read != "gitea/gitea-credential" {
					t.Errorf("read secret %s, want idpbuilder's gitea/gitea-credential", read)
				}
			}
			if cache.Puts != tt.wantPuts || cache.Deletes != tt.wantDeletes {
				t.Errorf("cache writes = %d, deletes %d; want %d, %d", cache.Puts, cache.Deletes, tt.wantPuts, tt.wantDeletes)
			}
			got := cache.Entries[host]
			if tt.wantReads > 0 && tt.clusterErr == nil && tt.cacheErr == nil {
				if got.Secret != "from-cluster" || got.Fingerprint != "fp1" || !got.FetchedAt.Equal(now) {
					t.Errorf("cached entry = %+v", got)
				}
			}
			if (got.Login != nil) != tt.wantLogin {
				t.Errorf("login after get = %+v, want kept %v", got.Login, tt.wantLogin)
			}
			if tt.entry != nil && len(tt.entry.Users) > 0 && !reflect.DeepEqual(got.Users, tt.entry.Users) {
				t.Errorf("git users after get = %+v, want %+v", got.Users, tt.entry.Users)
			}
		})
	}
}

func TestGetUnknownHostTouchesNothing(t *testing.T) {
	cache := fakes.NewCache()
	cluster := &fakes.Cluster{FP: "fp1"}
	h := newTestHelper(cache, cluster)
	for _, addr := range []string{"quay.io", "gitea.cnoe.localtest.me", "gitea.cnoe.localtest.me:443", "https://index.docker.io/v1/", "not a host"} {
		_, _, err := h.Get(addr)
		if !credentials.IsErrCredentialsNotFound(err) {
			t.Errorf("Get(%q) error = %v, want not-found", addr, err)
		}
	}
	if cache.Gets != 0 || cluster.Reads() != 0 {
		t.Fatalf("unknown hosts touched keyring (%d) or cluster (%d)", cache.Gets, cluster.Reads())
	}
}

func TestGetNoCache(t *testing.T) {
	cluster := &fakes.Cluster{FP: "fp1", Creds: idpbuilder.Credentials{Username: "giteaAdmin", Password: "pw"}}
	h := newTestHelper(nil, cluster)
	for i := 0; i < 2; i++ {
		if _, s, err := h.Get(host); err != nil || s != "pw" {
			t.Fatalf("Get = %q, %v", s, err)
		}
	}
	if cluster.Reads() != 2 {
		t.Fatalf("reads = %d, want 2 (no cache)", cluster.Reads())
	}
}

func TestClusterRecreatedGivesNewPassword(t *testing.T) {
	cache := fakes.NewCache()
	cluster := &fakes.Cluster{FP: "ca-1", Creds: idpbuilder.Credentials{Username: "giteaAdmin", Password: "old"}}
	h := newTestHelper(cache, cluster)
	if _, s, _ := h.Get(host); s != "old" {
		t.Fatalf("first get = %q", s)
	}
	cluster.Recreate("ca-2")
	cluster.Creds.Password = "new"
	if _, s, err := h.Get(host); err != nil || s != "new" {
		t.Fatalf("after recreate get = %q, %v; want new", s, err)
	}
}

func TestStoreEraseOverride(t *testing.T) {
	cache := fakes.NewCache()
	cluster := &fakes.Cluster{FP: "fp1", Creds: idpbuilder.Credentials{Username: "giteaAdmin", Password: "cluster"}}
	h := newTestHelper(cache, cluster)

	if err := h.Add(&credentials.Credentials{ServerURL: "https://" + host, Username: "me", Secret: "mine"}); err != nil {
		t.Fatal(err)
	}
	if u, s, _ := h.Get(host); u != "me" || s != "mine" {
		t.Fatalf("after store got %q/%q", u, s)
	}
	if _, err := h.Refresh(host); err != nil {
		t.Fatal(err)
	}
	if _, s, _ := h.Get(host); s != "mine" {
		t.Fatalf("refresh replaced the override: %q", s)
	}
	if err := h.Delete(host); err != nil {
		t.Fatal(err)
	}
	if _, s, _ := h.Get(host); s != "cluster" {
		t.Fatalf("after erase got %q, want the cluster's", s)
	}
	if err := h.Delete(host); err != nil {
		t.Fatalf("second erase: %v", err)
	}
}

func TestStoreErrors(t *testing.T) {
	cluster := &fakes.Cluster{FP: "fp1"}
	h := newTestHelper(fakes.NewCache(), cluster)
	if err := h.Add(&credentials.Credentials{ServerURL: "quay.io", Username: "u", Secret: "s"}); err == nil || !strings.Contains(err.Error(), "not an idpbuilder registry") {
		t.Fatalf("store for a foreign host: %v", err)
	}
	h = newTestHelper(nil, cluster)
	err := h.Add(&credentials.Credentials{ServerURL: host, Username: "u", Secret: "s3cr3t"})
	if err == nil || strings.Contains(err.Error(), "s3cr3t") {
		t.Fatalf("store without cache: %v", err)
	}
	broken := fakes.NewCache()
	broken.Err = keyring.ErrUnavailable
	h = newTestHelper(broken, cluster)
	if err := h.Add(&credentials.Credentials{ServerURL: host, Username: "u", Secret: "s"}); !errors.Is(err, keyring.ErrUnavailable) {
		t.Fatalf("store with broken keyring: %v", err)
	}
	if err := h.Delete("quay.io"); !credentials.IsErrCredentialsNotFound(err) {
		t.Fatalf("erase foreign host: %v", err)
	}
}

func TestRefreshForcesARead(t *testing.T) {
	cache := fakes.NewCache()
	cluster := &fakes.Cluster{FP: "fp1", Creds: idpbuilder.Credentials{Username: "giteaAdmin", Password: "developer"}}
	cache.Entries[host] = withID(keyring.Entry{Username: "giteaAdmin", Secret: "old", Fingerprint: "fp1", FetchedAt: now}, cluster)
	h := newTestHelper(cache, cluster)
	res, err := h.Refresh(host)
	if err != nil || !res.Cached || res.Username != "giteaAdmin" || res.Context != "kind-localdev" {
		t.Fatalf("Refresh = %+v, %v", res, err)
	}
	if _, s, _ := h.Get(host); s != "developer" {
		t.Fatalf("after refresh got %q", s)
	}
	if _, err := h.Refresh("quay.io"); !errors.Is(err, ErrNotOurs) {
		t.Fatalf("refresh foreign host: %v", err)
	}
}

func TestList(t *testing.T) {
	cluster := &fakes.Cluster{FP: "fp1", Creds: idpbuilder.Credentials{Username: "giteaAdmin", Password: "pw"}}
	h := newTestHelper(fakes.NewCache(), cluster)
	h.Table.Registries["down.example:8443"] = config.Registry{Context: "gone"}
	h.Source = sourceFunc(func(ctx context.Context, kc, kctx string, ref idpbuilder.SecretRef) (idpbuilder.Credentials, *clusterid.ID, error) {
		if kctx == "gone" {
			return idpbuilder.Credentials{}, nil, errors.New("context gone not found")
		}
		return fakes.Source{Cluster: cluster}.ReadSecret(ctx, kc, kctx, ref)
	})
	got, err := h.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[host] != "giteaAdmin" || got["down.example:8443"] != "" {
		t.Fatalf("List = %v", got)
	}
}

func TestConcurrentGetWaitsForTheLockHolder(t *testing.T) {
	cache := fakes.NewCache()
	cluster := &fakes.Cluster{FP: "fp1", Creds: idpbuilder.Credentials{Username: "giteaAdmin", Password: "from-cluster"}}
	h := newTestHelper(cache, cluster)
	locked := 0
	// The lock is busy at first; while this get waited for it, another
	// process filled the cache.
	h.Lock = func(host string, timeout time.Duration) func() {
		if timeout == 0 {
			return nil
		}
		locked++
		cache.Entries[host] = withID(keyring.Entry{Username: "giteaAdmin", Secret: "by-the-other", Fingerprint: "fp1", FetchedAt: now}, cluster)
		return func() {}
	}
	if _, s, err := h.Get(host); err != nil || s != "by-the-other" {
		t.Fatalf("Get = %q, %v", s, err)
	}
	if locked != 1 || cluster.Reads() != 0 {
		t.Fatalf("locked %d times, %d cluster reads; want 1 and 0", locked, cluster.Reads())
	}
	// No lock to be had: the get reads the cluster itself.
	delete(cache.Entries, host)
	h.Lock = func(string, time.Duration) func() { return nil }
	if _, s, err := h.Get(host); err != nil || s != "from-cluster" || cluster.Reads() != 1 {
		t.Fatalf("Get without the lock = %q, %v, reads %d", s, err, cluster.Reads())
	}
}
