package helper

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker-credential-helpers/credentials"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/clusterid"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/config"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/lockfile"
	"github.com/cnoe-io/docker-credential-idpbuilder/keyring"
	"github.com/cnoe-io/docker-credential-idpbuilder/test/fakes"
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
		// wantUnverified: the login is kept to be compared on the next read.
		wantUnverified bool
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
		{name: "the cluster cannot be read: a login, unverified", clusterErr: errDown, user: "giteaAdmin", pw: "cluster-pw", wantReads: 1, wantLogin: "cluster-pw", wantUnverified: true},
		{name: "the cluster cannot be read, a stale answer differs: a login, unverified", entry: ptr(clusterEntry("old-pw", time.Hour)), clusterErr: errDown, user: "giteaAdmin", pw: "typed", wantReads: 1, wantLogin: "typed", wantSecret: "old-pw", wantUnverified: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cache := fakes.NewCache()
			kc := &fakes.Cluster{FP: "fp1", Creds: idpbuilder.Credentials{Username: "giteaAdmin", Password: "cluster-pw"}, SecretErr: tt.clusterErr}
			if tt.entry != nil {
				e := withID(*tt.entry, kc)
				e.Users = users
				cache.Entries[host] = e
			}
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
			case got.Login != nil && got.Login.Unverified != tt.wantUnverified:
				t.Errorf("login unverified = %v, want %v", got.Login.Unverified, tt.wantUnverified)
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
	kc.Recreate("fp2")
	kc.Creds.Password = "recreated-pw"
	if _, s, _ := h.Get(host); s != "recreated-pw" {
		t.Fatalf("after the recreate get = %q", s)
	}
}

func TestStoreNeedsTheCluster(t *testing.T) {
	cache := fakes.NewCache()
	h := newTestHelper(cache, nil)
	h.Source = sourceFunc(func(context.Context, string, string, idpbuilder.SecretRef) (idpbuilder.Credentials, *clusterid.ID, error) {
		return idpbuilder.Credentials{}, nil, errors.New(`context "kind-localdev" not found in kubeconfig /home/u/.kube/config`)
	})
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
	kc.Recreate("fp2")
	kc.Creds.Password = "recreated-pw"
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
					if kc.Reads() > 0 && timeout > 0 { // the store waits while the get reads
						once.Do(func() { close(storeWaiting) })
					}
					release, err := lockfile.Acquire(filepath.Join(dir, lockfile.FileName(host)), timeout)
					if err != nil {
						if timeout > 0 {
							t.Errorf("lock: %v", err)
						}
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
			// The get in flight answers either: the login landed while it
			// read the cluster.
			if s := <-got; s != "cluster-pw" && s != "landed-meanwhile" {
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

// TestAWaiterReadsItself (issue 21): a get waits for another get's read at
// most IDPBUILDER_HELPER_TIMEOUT; when the lock stays busy that long (the
// holder is slow, or the machine is loaded), it reads the cluster itself
// with a whole deadline of its own instead of failing the push.
func TestAWaiterReadsItself(t *testing.T) {
	const timeout = 400 * time.Millisecond
	busy := func(gotTimeout *time.Duration) func(string, time.Duration) func() {
		return func(_ string, d time.Duration) func() {
			if d > 0 {
				*gotTimeout = d
				time.Sleep(d) // held by another get for the whole wait
			}
			return nil
		}
	}
	t.Run("the lock busy for the whole deadline: the get reads", func(t *testing.T) {
		kc := &fakes.Cluster{FP: "fp1", Creds: idpbuilder.Credentials{Username: "giteaAdmin", Password: "pw"}}
		h := newTestHelper(fakes.NewCache(), kc)
		h.Settings.Timeout = timeout
		var gotTimeout time.Duration
		h.Lock = busy(&gotTimeout)
		var left time.Duration
		kc.OnRead = func(ctx context.Context) { d, _ := ctx.Deadline(); left = time.Until(d) }
		if _, s, err := h.Get(host); err != nil || s != "pw" || kc.Reads() != 1 {
			t.Fatalf("get = %q, %v after %d reads; want the cluster's answer", s, err, kc.Reads())
		}
		if gotTimeout != timeout || left < timeout*3/4 {
			t.Fatalf("the lock wait was given %s and the read %s left, of %s each", gotTimeout, left, timeout)
		}
	})
	t.Run("the cluster down too: a stale answer of the same cluster", func(t *testing.T) {
		kc := &fakes.Cluster{FP: "fp1", SecretErr: errDown}
		cache := fakes.NewCache()
		cache.Entries[host] = withID(keyring.Entry{Username: "giteaAdmin", Secret: "stale-pw", Fingerprint: "fp1", FetchedAt: now.Add(-time.Hour)}, kc)
		h := newTestHelper(cache, kc)
		h.Settings.Timeout = timeout
		var gotTimeout time.Duration
		h.Lock = busy(&gotTimeout)
		if _, s, err := h.Get(host); err != nil || s != "stale-pw" || kc.Reads() != 1 {
			t.Fatalf("get = %q, %v after %d reads", s, err, kc.Reads())
		}
	})
	t.Run("many waiters at once all answer", func(t *testing.T) {
		kc := &fakes.Cluster{FP: "fp1", Creds: idpbuilder.Credentials{Username: "giteaAdmin", Password: "pw"}}
		h := newTestHelper(fakes.NewCache(), kc)
		h.Settings.Timeout = timeout
		var gotTimeout time.Duration
		var mu sync.Mutex
		h.Lock = func(host string, d time.Duration) func() {
			mu.Lock()
			defer mu.Unlock()
			return busy(&gotTimeout)(host, 0) // never had: every wait ends empty
		}
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for range 16 {
			wg.Go(func() {
				if _, s, err := h.Get(host); err != nil || s != "pw" {
					errs <- fmt.Errorf("get = %q, %v", s, err)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
	t.Run("no time at all: the setting is named, not a lock", func(t *testing.T) {
		kc := &fakes.Cluster{FP: "fp1", Creds: idpbuilder.Credentials{Username: "giteaAdmin", Password: "pw"}}
		h := newTestHelper(nil, kc)
		h.Settings.Timeout = 0
		_, _, err := h.Get(host)
		if err == nil || !strings.Contains(err.Error(), config.EnvTimeout+" is 0s") || strings.Contains(err.Error(), "lock") || kc.Reads() != 0 {
			t.Fatalf("get with a zero timeout = %v after %d reads", err, kc.Reads())
		}
	})
}

// TestOneFingerprintPerReply: the companion's credentials and its cluster
// ID come from one resolution; a reply where they differ is a bug, answered
// with an error rather than cached under either.
func TestOneFingerprintPerReply(t *testing.T) {
	cache := fakes.NewCache()
	kc := &fakes.Cluster{FP: "fp1", Creds: idpbuilder.Credentials{Username: "giteaAdmin", Password: "pw", Fingerprint: "other"}}
	h := newTestHelper(cache, kc)
	if _, _, err := h.Get(host); err == nil || !strings.Contains(err.Error(), "two fingerprints") {
		t.Fatalf("get = %v", err)
	}
	if len(cache.Entries) != 0 {
		t.Fatalf("cached %+v", cache.Entries)
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

// Waiters whose holder never lets go read the cluster themselves once
// their wait is over, and every get answers.
func TestManyWaitersPastTheDeadline(t *testing.T) {
	const timeout = 200 * time.Millisecond
	const gets = 8
	cache := fakes.NewCache()
	kc := &fakes.Cluster{FP: "fp1", Creds: idpbuilder.Credentials{Username: "giteaAdmin", Password: "pw"}}
	h := newTestHelper(cache, kc)
	h.Settings.Timeout = timeout
	held := make(chan struct{}) // the other holder's lock, released at the end
	defer close(held)
	h.Lock = func(_ string, d time.Duration) func() {
		select { // honours the timeout: nil when the holder keeps it
		case <-held:
			return func() {}
		case <-time.After(d):
			return nil
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, gets)
	for range gets {
		wg.Go(func() {
			if _, s, err := h.Get(host); err != nil || s != "pw" {
				errs <- fmt.Errorf("get = %q, %v", s, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if kc.Reads() < 1 || kc.Reads() > gets {
		t.Fatalf("%d reads for %d gets", kc.Reads(), gets)
	}
}

// A login stored while the cluster is down is compared on the next read:
// the cluster's own credential stops being a login, anything else is kept, verified.
func TestUnverifiedLoginIsComparedOnTheNextRead(t *testing.T) {
	for _, tt := range []struct {
		name, user, pw string
		wantLogin      bool
	}{
		{name: "the cluster's own credential", user: "GiteaAdmin", pw: "cluster-pw"},
		{name: "another password", user: "giteaAdmin", pw: "a-token", wantLogin: true},
		{name: "another user", user: "me", pw: "mine", wantLogin: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cache := fakes.NewCache()
			kc := &fakes.Cluster{FP: "fp1", Creds: idpbuilder.Credentials{Username: "giteaAdmin", Password: "cluster-pw"}, SecretErr: errDown}
			h := newTestHelper(cache, kc)
			if err := h.Add(&credentials.Credentials{ServerURL: host, Username: tt.user, Secret: tt.pw}); err != nil {
				t.Fatal(err)
			}
			if l := cache.Entries[host].Login; l == nil || !l.Unverified || l.Fingerprint != "fp1" {
				t.Fatalf("login stored with the cluster down = %+v, want an unverified one of fp1", l)
			}
			kc.SecretErr = nil
			if _, err := h.Refresh(host); err != nil {
				t.Fatal(err)
			}
			e := cache.Entries[host]
			switch {
			case !tt.wantLogin && e.Login != nil:
				t.Fatalf("the cluster's own credential was kept as a login: %+v", e.Login)
			case tt.wantLogin && (e.Login == nil || e.Login.Unverified || e.Login.Secret != tt.pw):
				t.Fatalf("login after the read = %+v, want a verified %s", e.Login, tt.user)
			}
			wantUser, wantPW := "giteaAdmin", "cluster-pw"
			if tt.wantLogin {
				wantUser, wantPW = tt.user, tt.pw
			}
			if u, s, err := h.Get(host); err != nil || u != wantUser || s != wantPW {
				t.Fatalf("get after the read = %q, %v", u, err)
			}
		})
	}
}
