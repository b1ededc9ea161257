//go:build integration

package integration

import (
	"encoding/json"
	"sync"
	"testing"
	"time"
)

// TestManyGetsAtOnce starts 64 get processes together on a cold cache, as
// parallel pushes do: every one answers correctly, and the lock keeps the
// cluster reads to at most 2.
func TestManyGetsAtOnce(t *testing.T) {
	requireSessionBus(t)
	api := newFakeAPI(t, "sixty-four-0123456789")
	api.delay = 200 * time.Millisecond // long enough for every process to pile up
	env := baseEnv(t, api.kubeconfig(t))
	erase(t, env)
	t.Cleanup(func() { erase(t, env) })

	const n = 64
	results := make([]result, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i] = runHelper(t, env, registry, "get")
		}()
	}
	close(start)
	wg.Wait()
	var slowest time.Duration
	for i, r := range results {
		var a getAnswer
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &a) != nil || a.Secret != "sixty-four-0123456789" || r.stderr != "" {
			t.Fatalf("process %d: %+v", i, r)
		}
		slowest = max(slowest, r.elapsed)
	}
	reads := api.reads.Load()
	t.Logf("%d concurrent gets: %d secret reads, slowest answer %s", n, reads, slowest.Round(time.Millisecond))
	if reads > 2 {
		t.Fatalf("%d secret reads for %d concurrent gets; want at most 2", reads, n)
	}
	if e, ok := keyringLookup(t, registry); !ok || e.Secret != "sixty-four-0123456789" {
		t.Fatalf("keyring entry after the burst: %+v, %v", e, ok)
	}
}
