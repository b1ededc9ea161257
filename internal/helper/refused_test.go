package helper

import (
	"context"
	"testing"
	"time"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/fakes"
	"github.com/cnoe-io/docker-credential-idpbuilder/keyring"
)

// stoppedCluster is a fake cluster that can tell it is stopped, as the
// companion client does for a refused loopback port.
type stoppedCluster struct {
	*fakes.Cluster
	stopped bool
	probes  int
}

func (c *stoppedCluster) Refused(context.Context) error {
	c.probes++
	if c.stopped {
		return errDown
	}
	return nil
}

// The cluster is asked whether it is stopped only when a stale answer could
// stand in for it: then a stopped cluster costs no read (no companion start),
// and a running one is read as before. A cold get, a fresh hit and a refresh
// never probe, so a running cluster sees one connection per read.
func TestStoppedClusterIsNotRead(t *testing.T) {
	stale := &keyring.Entry{Username: "giteaAdmin", Secret: "cached", Fingerprint: "fp1", FetchedAt: now.Add(-time.Hour), Revision: "r1"}
	tooOld := &keyring.Entry{Username: "giteaAdmin", Secret: "cached", Fingerprint: "fp1", FetchedAt: now.Add(-25 * time.Hour), Revision: "r1"}
	fresh := &keyring.Entry{Username: "giteaAdmin", Secret: "cached", Fingerprint: "fp1", FetchedAt: now.Add(-time.Minute), Revision: "r1"}
	tests := []struct {
		name       string
		entry      *keyring.Entry
		stopped    bool
		refresh    bool
		wantSecret string
		wantProbes int
		wantReads  int
	}{
		{name: "stale entry, cluster stopped: served, not read", entry: stale, stopped: true, wantSecret: "cached", wantProbes: 1},
		{name: "stale entry, cluster running: read", entry: stale, wantSecret: "from-cluster", wantProbes: 1, wantReads: 1},
		{name: "cold, cluster running: read, no probe", wantSecret: "from-cluster", wantReads: 1},
		{name: "cold, cluster stopped: the read says so", stopped: true, wantSecret: "from-cluster", wantReads: 1},
		{name: "entry past the stale limit: read, no probe", entry: tooOld, stopped: true, wantSecret: "from-cluster", wantReads: 1},
		{name: "fresh hit: nothing", entry: fresh, stopped: true, wantSecret: "cached"},
		{name: "refresh: read, no probe", entry: stale, stopped: true, refresh: true, wantReads: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cache := fakes.NewCache()
			if tt.entry != nil {
				cache.Entries[host] = tt.entry.Clone()
			}
			kc := &stoppedCluster{Cluster: fakes.NewCluster("fp1", "from-cluster"), stopped: tt.stopped}
			h := newTestHelper(cache, kc.Cluster)
			h.Resolve = func(string, string) (Cluster, error) { return kc, nil }
			if tt.refresh {
				if _, err := h.Refresh(host); err != nil {
					t.Fatal(err)
				}
			} else if _, s, err := h.Get(host); err != nil || s != tt.wantSecret {
				t.Fatalf("Get = %q, %v; want %q", s, err, tt.wantSecret)
			}
			if kc.probes != tt.wantProbes || kc.Reads() != tt.wantReads {
				t.Fatalf("probes %d, reads %d; want %d, %d", kc.probes, kc.Reads(), tt.wantProbes, tt.wantReads)
			}
		})
	}
}
