package helper

import (
	"sync"
	"testing"
	"time"

	"github.com/cnoe-io/docker-credential-idpbuilder/test/fakes"
	"github.com/docker/docker-credential-helpers/credentials"
)

// memHot is the hot tier in memory, counting writes.
type memHot struct {
	mu   sync.Mutex
	keys map[string][]byte
	sets int
}

func (m *memHot) Get(host string) ([]byte, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.keys[host]
	return p, ok
}

func (m *memHot) Set(host string, p []byte, _ time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.keys[host] = p
	m.sets++
	return nil
}

func (m *memHot) Clear(host string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.keys, host)
	return nil
}

// hotHelper is a helper with a hot tier and a lock that is always free.
func hotHelper(kc *fakes.Cluster) (*Helper, *fakes.Cache, *memHot) {
	cache := fakes.NewCache()
	h := newTestHelper(cache, kc)
	hot := &memHot{keys: map[string][]byte{}}
	h.Hot = hot
	h.Lock = func(string, time.Duration) func() { return func() {} }
	return h, cache, hot
}

func TestHotTier(t *testing.T) {
	t.Run("a hit asks neither the OS keyring nor the cluster", func(t *testing.T) {
		kc := fakes.NewCluster("fp1", "pw")
		h, cache, hot := hotHelper(kc)
		if _, s, err := h.Get(host); err != nil || s != "pw" || hot.sets != 1 {
			t.Fatalf("cold get = %q, %v; %d hot writes", s, err, hot.sets)
		}
		gets := cache.Gets
		if _, s, err := h.Get(host); err != nil || s != "pw" || cache.Gets != gets || kc.Reads() != 1 {
			t.Fatalf("hot get = %q, %v; keyring reads %d more, cluster reads %d", s, err, cache.Gets-gets, kc.Reads())
		}
	})
	t.Run("no lock, no hot write", func(t *testing.T) {
		h, _, hot := hotHelper(fakes.NewCluster("fp1", "pw"))
		h.Lock = func(string, time.Duration) func() { return nil }
		h.Get(host)
		h.Get(host)
		if hot.sets != 0 || len(hot.keys) != 0 {
			t.Fatalf("%d hot writes without the lock", hot.sets)
		}
	})
	t.Run("store and erase clear it before anything", func(t *testing.T) {
		kc := fakes.NewCluster("fp1", "pw")
		h, cache, hot := hotHelper(kc)
		h.Get(host)
		cache.Err = errDown // the OS keyring write fails: the hot copy is gone anyway
		h.Delete(host)
		if len(hot.keys) != 0 {
			t.Fatal("erase left the hot copy")
		}
		cache.Err = nil
		h.Get(host)
		if err := h.Add(credentialsOf("me", "mine")); err != nil {
			t.Fatal(err)
		}
		if _, s, _ := h.Get(host); s != "mine" {
			t.Fatalf("get after store = %q, want the login", s)
		}
	})
	t.Run("refresh rewrites it", func(t *testing.T) {
		kc := fakes.NewCluster("fp1", "old")
		h, _, _ := hotHelper(kc)
		h.Get(host)
		kc.Creds.Password = "new"
		if _, err := h.Refresh(host); err != nil {
			t.Fatal(err)
		}
		if _, s, _ := h.Get(host); s != "new" {
			t.Fatalf("get after refresh = %q", s)
		}
	})
	t.Run("a recreated cluster never answers from it", func(t *testing.T) {
		kc := fakes.NewCluster("fp1", "old")
		h, _, _ := hotHelper(kc)
		h.Get(host)
		kc.Recreate("fp2")
		kc.Creds.Password = "recreated"
		if _, s, _ := h.Get(host); s != "recreated" || kc.Reads() != 2 {
			t.Fatalf("get after the recreate = %q after %d reads", s, kc.Reads())
		}
	})
	for _, running := range []bool{false, true} {
		name := map[bool]string{false: "stale, the API server refuses: answered", true: "stale, the API server runs: read"}[running]
		t.Run(name, func(t *testing.T) {
			kc := fakes.NewCluster("fp1", "pw")
			kc.Loopback, _ = apiPort(t, running)
			h, cache, _ := hotHelper(kc)
			h.Get(host)
			gets := cache.Gets
			later := now.Add(time.Hour)
			h.Now = func() time.Time { return later }
			kc.SecretErr = errDown
			_, s, err := h.Get(host)
			if s != "pw" || err != nil {
				t.Fatalf("stale get = %q, %v", s, err)
			}
			if want := map[bool]int{false: 1, true: 2}[running]; kc.Reads() != want {
				t.Fatalf("cluster reads = %d, want %d", kc.Reads(), want)
			}
			if !running && cache.Gets != gets {
				t.Fatalf("the stale answer came from the OS keyring (%d reads), not the hot tier", cache.Gets-gets)
			}
		})
	}
}

func credentialsOf(user, secret string) *credentials.Credentials {
	return &credentials.Credentials{ServerURL: host, Username: user, Secret: secret}
}
