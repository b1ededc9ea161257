package helper

import (
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cnoe-io/docker-credential-idpbuilder/keyring"
	"github.com/cnoe-io/docker-credential-idpbuilder/test/fakes"
)

// apiPort is a loopback port that accepts (counting connections) or, once
// closed, refuses them, as a stopped kind cluster's does.
func apiPort(t *testing.T, running bool) (addr string, accepted *atomic.Int64) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted = &atomic.Int64{}
	if !running {
		l.Close()
		return l.Addr().String(), accepted
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	return l.Addr().String(), accepted
}

// The API server is probed only when a stale answer could stand in for it:
// then a stopped cluster costs no read (no companion start), and a running
// one is read as before. A cold get, a fresh hit and a refresh never probe,
// so a running cluster sees one connection per read.
func TestStoppedClusterIsNotRead(t *testing.T) {
	stale := &keyring.Entry{Username: "giteaAdmin", Secret: "cached", Fingerprint: "fp1", FetchedAt: now.Add(-time.Hour)}
	tooOld := &keyring.Entry{Username: "giteaAdmin", Secret: "cached", Fingerprint: "fp1", FetchedAt: now.Add(-25 * time.Hour)}
	fresh := &keyring.Entry{Username: "giteaAdmin", Secret: "cached", Fingerprint: "fp1", FetchedAt: now.Add(-time.Minute)}
	tests := []struct {
		name       string
		entry      *keyring.Entry
		running    bool
		refresh    bool
		wantSecret string
		wantProbes int64 // connections a running server saw
		wantReads  int
	}{
		{name: "stale entry, cluster stopped: served, not read", entry: stale, wantSecret: "cached"},
		{name: "stale entry, cluster running: probed, read", entry: stale, running: true, wantSecret: "from-cluster", wantProbes: 1, wantReads: 1},
		{name: "cold, cluster running: read, no probe", running: true, wantSecret: "from-cluster", wantReads: 1},
		{name: "cold, cluster stopped: the read says so", wantSecret: "from-cluster", wantReads: 1},
		{name: "entry past the stale limit: read", entry: tooOld, wantSecret: "from-cluster", wantReads: 1},
		{name: "fresh hit, cluster running: no probe, no read", entry: fresh, running: true, wantSecret: "cached"},
		{name: "refresh, cluster running: read, no probe", entry: stale, running: true, refresh: true, wantReads: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, accepted := apiPort(t, tt.running)
			kc := fakes.NewCluster("fp1", "from-cluster")
			kc.Loopback = addr
			cache := fakes.NewCache()
			if tt.entry != nil {
				cache.Entries[host] = withID(tt.entry.Clone(), kc)
			}
			h := newTestHelper(cache, kc)
			if tt.refresh {
				if _, err := h.Refresh(host); err != nil {
					t.Fatal(err)
				}
			} else if _, s, err := h.Get(host); err != nil || s != tt.wantSecret {
				t.Fatalf("Get = %q, %v; want %q", s, err, tt.wantSecret)
			}
			time.Sleep(10 * time.Millisecond) // the accept loop counts
			if accepted.Load() != tt.wantProbes || kc.Reads() != tt.wantReads {
				t.Fatalf("probes %d, reads %d; want %d, %d", accepted.Load(), kc.Reads(), tt.wantProbes, tt.wantReads)
			}
		})
	}
}
