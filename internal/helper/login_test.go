package helper

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker-credential-helpers/credentials"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/config"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/fakes"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/lockfile"
	"github.com/cnoe-io/docker-credential-idpbuilder/keyring"
)

func debugTo(h *Helper) *strings.Builder {
	var b strings.Builder
	var mu sync.Mutex
	h.Debugf = func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		b.WriteString(format + "\n")
	}
	return &b
}

// TestStoreKeepsOnlyWhatDiffersFromTheCluster is docker's store (rule 1):
// the cluster's own credentials stay a cluster entry, anything else is the
// Login of the cluster in use.
func TestStoreKeepsOnlyWhatDiffersFromTheCluster(t *testing.T) {
	clusterEntry := func(pw string, age time.Duration) keyring.Entry {
		return keyring.Entry{Username: "giteaAdmin", Secret: pw, Fingerprint: "fp1", FetchedAt: now.Add(-age)}
	}
	oldLogin := &keyring.Credential{Username: "me", Secret: "old-login", Fingerprint: "fp1", StoredAt: now.Add(-time.Hour)}
	users := map[string]keyring.Credential{"alice": {Username: "alice", Secret: "alice-pw", Fingerprint: "fp1"}}
	tests := []struct {
		name       string
		entry      *keyring.Entry
		clusterErr error
		user, pw   string
		wantReads  int
		wantLogin  string // the Login's secret afterwards, "" for none
		wantSecret string // the cluster part's secret afterwards
	}{
		{name: "the cached answer, however old", entry: ptr(clusterEntry("cluster-pw", 30*time.Hour)), user: "giteaAdmin", pw: "cluster-pw", wantSecret: "cluster-pw"},
		{name: "the user name in another case", entry: ptr(clusterEntry("cluster-pw", time.Minute)), user: "GITEAADMIN", pw: "cluster-pw", wantSecret: "cluster-pw"},
		{name: "nothing cached: the cluster is read and cached", user: "giteaAdmin", pw: "cluster-pw", wantReads: 1, wantSecret: "cluster-pw"},
		{name: "the cache is behind the cluster", entry: ptr(clusterEntry("old-pw", time.Minute)), user: "giteaAdmin", pw: "cluster-pw", wantReads: 1, wantSecret: "cluster-pw"},
		{name: "a cached answer of another cluster is not the answer", entry: &keyring.Entry{Username: "giteaAdmin", Secret: "cluster-pw", Fingerprint: "old", FetchedAt: now}, user: "giteaAdmin", pw: "cluster-pw", wantReads: 1, wantSecret: "cluster-pw"},
		{name: "the cluster's credentials drop an earlier login", entry: &keyring.Entry{Username: "giteaAdmin", Secret: "cluster-pw", Fingerprint: "fp1", FetchedAt: now, Login: oldLogin}, user: "giteaAdmin", pw: "cluster-pw", wantSecret: "cluster-pw"},
		{name: "another password is a login", entry: ptr(clusterEntry("cluster-pw", time.Minute)), user: "giteaAdmin", pw: "a-token", wantReads: 1, wantLogin: "a-token", wantSecret: "cluster-pw"},
		{name: "another user is a login", user: "me", pw: "mine", wantReads: 1, wantLogin: "mine", wantSecret: "cluster-pw"},
		{name: "a new login replaces the old", entry: &keyring.Entry{Login: oldLogin}, user: "me", pw: "new-login", wantReads: 1, wantLogin: "new-login", wantSecret: "cluster-pw"},
		{name: "the cluster cannot be read: a login", clusterErr: errDown, user: "giteaAdmin", pw: "cluster-pw", wantReads: 1, wantLogin: "cluster-pw"},
		{name: "the cluster cannot be read, a stale answer differs: a login", entry: ptr(clusterEntry("old-pw", time.Hour)), clusterErr: errDown, user: "giteaAdmin", pw: "typed", wantReads: 1, wantLogin: "typed", wantSecret: "old-pw"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cache := fakes.NewCache()
			if tt.entry != nil {
				e := *tt.entry
				e.Users = users
				cache.Entries[host] = e
			}
			kc := &fakes.Cluster{FP: "fp1", Creds: idpbuilder.Credentials{Username: "giteaAdmin", Password: "cluster-pw"}, SecretErr: tt.clusterErr}
			h := newTestHelper(cache, kc)
			if err := h.Add(&credentials.Credentials{ServerURL: "https://" + host, Username: tt.user, Secret: tt.pw}); err != nil {
				t.Fatalf("store: %v", err)
			}
			if kc.Reads() != tt.wantReads {
				t.Errorf("cluster reads = %d, want %d", kc.Reads(), tt.wantReads)
			}
			got := cache.Entries[host]
			switch {
			case tt.wantLogin == "" && got.Login != nil:
				t.Errorf("a login was kept: %+v", got.Login)
			case tt.wantLogin != "" && (got.Login == nil || got.Login.Secret != tt.wantLogin || got.Login.Username != tt.user || got.Login.Fingerprint != "fp1" || !got.Login.StoredAt.Equal(now)):
				t.Errorf("login = %+v, want secret %q for %s of cluster fp1", got.Login, tt.wantLogin, tt.user)
			}
			if got.Secret != tt.wantSecret {
				t.Errorf("cluster answer = %q, want %q", got.Secret, tt.wantSecret)
			}
			if tt.entry != nil && !reflect.DeepEqual(got.Users, users) {
				t.Errorf("git users = %+v, want them kept", got.Users)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// TestDockerLoginWithNoFlagsChangesNothing: docker login HOST runs get,
// then store with what get answered.
func TestDockerLoginWithNoFlagsChangesNothing(t *testing.T) {
	cache := fakes.NewCache()
	kc := &fakes.Cluster{FP: "fp1", Creds: idpbuilder.Credentials{Username: "giteaAdmin", Password: "cluster-pw"}}
	h := newTestHelper(cache, kc)
	u, s, err := h.Get(host)
	if err != nil {
		t.Fatal(err)
	}
	before := cache.Entries[host]
	puts := cache.Puts
	if err := h.Add(&credentials.Credentials{ServerURL: host, Username: u, Secret: s}); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cache.Entries[host], before) || cache.Puts != puts || kc.Reads() != 1 {
		t.Fatalf("store of get's answer changed the entry (%+v -> %+v), wrote %d times, read %d times", before, cache.Entries[host], cache.Puts-puts, kc.Reads())
	}
	// ... so the next recreate is followed.
	kc.FP, kc.Creds.Password = "fp2", "recreated-pw"
	if _, s, _ := h.Get(host); s != "recreated-pw" {
		t.Fatalf("after the recreate get = %q", s)
	}
}

func TestStoreNeedsTheCluster(t *testing.T) {
	cache := fakes.NewCache()
	h := newTestHelper(cache, nil)
	h.Resolve = func(string, string) (Cluster, error) {
		return nil, errors.New(`context "kind-localdev" not found in kubeconfig /home/u/.kube/config`)
	}
	err := h.Add(&credentials.Credentials{ServerURL: host, Username: "me", Secret: "s3cr3t"})
	if err == nil || !strings.Contains(err.Error(), "kind-localdev") || !strings.Contains(err.Error(), "cannot store") ||
		strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("store with no cluster = %v", err)
	}
	if len(cache.Entries) != 0 {
		t.Fatalf("stored %+v", cache.Entries)
	}
	// Without a keyring the cluster's own credentials need no storing.
	kc := &fakes.Cluster{FP: "fp1", Creds: idpbuilder.Credentials{Username: "giteaAdmin", Password: "cluster-pw"}}
	h = newTestHelper(nil, kc)
	if err := h.Add(&credentials.Credentials{ServerURL: host, Username: "giteaAdmin", Secret: "cluster-pw"}); err != nil {
		t.Fatalf("store of the cluster's credentials without a keyring: %v", err)
	}
}

// TestLoginBelongsToItsCluster (rule 2): a login answers while its cluster
// is the one in use; once the cluster is recreated it is dropped, said so
// in debug output, and the new cluster answers.
func TestLoginBelongsToItsCluster(t *testing.T) {
	cache := fakes.NewCache()
	kc := &fakes.Cluster{FP: "fp1", Creds: idpbuilder.Credentials{Username: "giteaAdmin", Password: "cluster-pw"}}
	h := newTestHelper(cache, kc)
	debug := debugTo(h)
	if err := h.Add(&credentials.Credentials{ServerURL: host, Username: "giteaAdmin", Secret: "doc-form-pw"}); err != nil {
		t.Fatal(err)
	}
	if _, s, _ := h.Get(host); s != "doc-form-pw" {
		t.Fatalf("get after login = %q", s)
	}
	kc.FP, kc.Creds.Password = "fp2", "recreated-pw"
	if u, s, err := h.Get(host); err != nil || u != "giteaAdmin" || s != "recreated-pw" {
		t.Fatalf("get after the recreate = %q %q %v", u, s, err)
	}
	if e := cache.Entries[host]; e.Login != nil || e.Fingerprint != "fp2" {
		t.Fatalf("entry after the recreate = %+v", e)
	}
	if !strings.Contains(debug.String(), "stored by 'docker login' for another cluster (recreated?): dropped") {
		t.Fatalf("debug output does not say the login was dropped:\n%s", debug)
	}
}

// TestEraseRemovesDockersCredentialsOnly: docker logout removes the login
// and the cached answer; git's credentials for other users stay, and an
// entry left with nothing is deleted.
func TestEraseRemovesDockersCredentialsOnly(t *testing.T) {
	users := map[string]keyring.Credential{"alice": {Username: "alice", Secret: "alice-pw", Fingerprint: "fp1"}}
	full := keyring.Entry{Username: "giteaAdmin", Secret: "pw", Fingerprint: "fp1", FetchedAt: now,
		Login: &keyring.Credential{Username: "me", Secret: "mine", Fingerprint: "fp1"}, Users: users}
	cache := fakes.NewCache()
	cache.Entries[host] = full
	h := newTestHelper(cache, &fakes.Cluster{FP: "fp1"})
	if err := h.Delete(host); err != nil {
		t.Fatal(err)
	}
	if got := cache.Entries[host]; !reflect.DeepEqual(got, keyring.Entry{Users: users}) {
		t.Fatalf("after erase = %+v", got)
	}
	cache.Entries[host] = keyring.Entry{Username: "giteaAdmin", Secret: "pw", Fingerprint: "fp1", FetchedAt: now}
	if err := h.Delete(host); err != nil {
		t.Fatal(err)
	}
	if _, ok := cache.Entries[host]; ok || cache.Deletes != 1 {
		t.Fatalf("an empty entry was kept: %+v", cache.Entries)
	}
}

// TestStoreDuringAGetIsKept (rule 3): a docker login lands while a get is
// reading the cluster on a miss; the get's cache write must not replace
// it. With no lock the write's re-read keeps it; with the real lock file
// the store waits for the get and then adds its login to what the get
// wrote.
func TestStoreDuringAGetIsKept(t *testing.T) {
	for _, locked := range []bool{false, true} {
		name := "no lock"
		if locked {
			name = "real lock file"
		}
		t.Run(name, func(t *testing.T) {
			cache := fakes.NewCache()
			kc := &fakes.Cluster{FP: "fp1", Creds: idpbuilder.Credentials{Username: "giteaAdmin", Password: "cluster-pw"}}
			h := newTestHelper(cache, kc)
			h.Settings.Timeout = 5 * time.Second
			storeWaiting := make(chan struct{}) // the store waits for the lock
			storeDone := make(chan struct{})
			if locked {
				dir := t.TempDir()
				var once sync.Once
				h.Lock = func(host string, timeout time.Duration) func() {
					if kc.Reads() > 0 { // the store, while the get reads
						once.Do(func() { close(storeWaiting) })
					}
					release, err := lockfile.Acquire(filepath.Join(dir, lockfile.FileName(host)), timeout)
					if err != nil {
						t.Errorf("lock: %v", err)
						return nil
					}
					return release
				}
			}
			reading := make(chan struct{})
			kc.OnRead = func(context.Context) {
				if kc.Reads() > 1 {
					return // the store's own read, to compare
				}
				close(reading)
				select {
				case <-storeWaiting:
				case <-storeDone:
				}
			}
			got := make(chan string)
			go func() {
				_, s, err := h.Get(host)
				if err != nil {
					t.Error(err)
				}
				got <- s
			}()
			<-reading
			go func() {
				defer close(storeDone)
				if err := h.Add(&credentials.Credentials{ServerURL: host, Username: "me", Secret: "landed-meanwhile"}); err != nil {
					t.Error(err)
				}
			}()
			if s := <-got; s != "cluster-pw" {
				t.Fatalf("get = %q", s)
			}
			<-storeDone
			if locked {
				select {
				case <-storeWaiting:
				default:
					t.Fatal("the store did not wait for the lock the get held")
				}
			}
			e, _ := cache.Entry(host)
			if e.Login == nil || e.Login.Secret != "landed-meanwhile" || e.Secret != "cluster-pw" || e.Fingerprint != "fp1" {
				t.Fatalf("entry after the race = %+v; want the login and the cluster's answer", e)
			}
			if _, s, _ := h.Get(host); s != "landed-meanwhile" {
				t.Fatalf("the next get = %q, want the login", s)
			}
		})
	}
}

// TestOneDeadlinePerGet (item 10): the lock wait and the cluster read share
// IDPBUILDER_HELPER_TIMEOUT, counted from the start of the get.
func TestOneDeadlinePerGet(t *testing.T) {
	const timeout = 400 * time.Millisecond
	t.Run("a lock held past the deadline leaves no time for the read", func(t *testing.T) {
		kc := &fakes.Cluster{FP: "fp1", Creds: idpbuilder.Credentials{Username: "giteaAdmin", Password: "pw"}}
		h := newTestHelper(fakes.NewCache(), kc)
		h.Settings.Timeout = timeout
		var gotTimeout time.Duration
		h.Lock = func(_ string, d time.Duration) func() {
			gotTimeout = d
			time.Sleep(d) // held by another get for the whole wait
			return nil
		}
		start := time.Now()
		_, _, err := h.Get(host)
		if kc.Reads() != 0 || !errors.Is(err, idpbuilder.ErrUnreachable) || !strings.Contains(err.Error(), config.EnvTimeout) {
			t.Fatalf("get = %v after %d reads; want no read and a deadline error", err, kc.Reads())
		}
		if gotTimeout > timeout || gotTimeout < timeout/2 {
			t.Fatalf("the lock was given %s of a %s deadline", gotTimeout, timeout)
		}
		if elapsed := time.Since(start); elapsed > timeout+time.Second {
			t.Fatalf("get took %s with a %s deadline", elapsed, timeout)
		}
	})
	t.Run("a stale answer of the same cluster is served then", func(t *testing.T) {
		cache := fakes.NewCache()
		cache.Entries[host] = keyring.Entry{Username: "giteaAdmin", Secret: "stale-pw", Fingerprint: "fp1", FetchedAt: now.Add(-time.Hour)}
		kc := &fakes.Cluster{FP: "fp1"}
		h := newTestHelper(cache, kc)
		h.Settings.Timeout = timeout
		h.Lock = func(_ string, d time.Duration) func() { time.Sleep(d); return nil }
		if _, s, err := h.Get(host); err != nil || s != "stale-pw" || kc.Reads() != 0 {
			t.Fatalf("get = %q, %v after %d reads", s, err, kc.Reads())
		}
	})
	t.Run("the read gets what the wait left", func(t *testing.T) {
		kc := &fakes.Cluster{FP: "fp1", Creds: idpbuilder.Credentials{Username: "giteaAdmin", Password: "pw"}}
		h := newTestHelper(fakes.NewCache(), kc)
		h.Settings.Timeout = timeout
		h.Lock = func(_ string, d time.Duration) func() { time.Sleep(d / 2); return func() {} }
		var left time.Duration
		kc.OnRead = func(ctx context.Context) {
			deadline, ok := ctx.Deadline()
			if !ok {
				t.Error("the read has no deadline")
			}
			left = time.Until(deadline)
		}
		if _, _, err := h.Get(host); err != nil {
			t.Fatal(err)
		}
		if left <= 0 || left > timeout*3/4 {
			t.Fatalf("the read had %s left of %s after waiting half of it", left, timeout)
		}
	})
}

// TestCacheKeyedByTheClusterRead (item 4): the companion says which cluster
// it read; the cache records that, so a disagreement with the kubeconfig
// reader makes the next get read again instead of answering for the wrong
// cluster.
func TestCacheKeyedByTheClusterRead(t *testing.T) {
	for _, tt := range []struct {
		name, readFP, wantFP string
		wantReads            int
		wantDebug            bool
	}{
		{name: "the companion cannot tell", readFP: "", wantFP: "fp1", wantReads: 1},
		{name: "they agree", readFP: "fp1", wantFP: "fp1", wantReads: 1},
		{name: "they disagree", readFP: "client-go-fp", wantFP: "client-go-fp", wantReads: 2, wantDebug: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cache := fakes.NewCache()
			kc := &fakes.Cluster{FP: "fp1", Creds: idpbuilder.Credentials{Username: "giteaAdmin", Password: "pw", Fingerprint: tt.readFP}}
			h := newTestHelper(cache, kc)
			debug := debugTo(h)
			for i := 0; i < 2; i++ {
				if _, s, err := h.Get(host); err != nil || s != "pw" {
					t.Fatalf("get = %q, %v", s, err)
				}
			}
			if e := cache.Entries[host]; e.Fingerprint != tt.wantFP || kc.Reads() != tt.wantReads {
				t.Fatalf("cached for %q after %d reads; want %q, %d", e.Fingerprint, kc.Reads(), tt.wantFP, tt.wantReads)
			}
			if got := strings.Contains(debug.String(), "read from another cluster"); got != tt.wantDebug {
				t.Fatalf("debug output (want the disagreement said: %v):\n%s", tt.wantDebug, debug)
			}
		})
	}
}

func TestRefreshWithALogin(t *testing.T) {
	for _, tt := range []struct {
		loginFP      string
		wantOverride bool
	}{{"fp1", true}, {"old-cluster", false}} {
		cache := fakes.NewCache()
		cache.Entries[host] = keyring.Entry{Login: &keyring.Credential{Username: "me", Secret: "mine", Fingerprint: tt.loginFP}}
		h := newTestHelper(cache, &fakes.Cluster{FP: "fp1", Creds: idpbuilder.Credentials{Username: "giteaAdmin", Password: "pw"}})
		res, err := h.Refresh(host)
		if err != nil || res.Override != tt.wantOverride || !res.Cached {
			t.Fatalf("refresh with a login of %s = %+v, %v", tt.loginFP, res, err)
		}
		e := cache.Entries[host]
		if e.Secret != "pw" || (e.Login != nil) != tt.wantOverride {
			t.Fatalf("entry after refresh with a login of %s = %+v", tt.loginFP, e)
		}
	}
	// A refresh that cannot read the cluster says so, stale cache or not.
	cache := fakes.NewCache()
	cache.Entries[host] = keyring.Entry{Username: "giteaAdmin", Secret: "pw", Fingerprint: "fp1", FetchedAt: now}
	h := newTestHelper(cache, &fakes.Cluster{FP: "fp1", SecretErr: errDown})
	if _, err := h.Refresh(host); !errors.Is(err, idpbuilder.ErrUnreachable) {
		t.Fatalf("refresh with the cluster down = %v", err)
	}
}
