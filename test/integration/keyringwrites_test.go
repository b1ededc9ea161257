//go:build integration

package integration

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// secretWrites counts the calls that make gnome-keyring write its keyring
// file (CreateItem, SetSecret, Delete), as dbus-monitor sees them on the
// session bus: every process's calls, whatever library made them.
type secretWrites struct {
	mu    sync.Mutex
	calls []string
}

func watchSecretWrites(t *testing.T) *secretWrites {
	t.Helper()
	mon := exec.Command("dbus-monitor", "--session",
		"type='method_call',interface='org.freedesktop.Secret.Collection',member='CreateItem'",
		"type='method_call',interface='org.freedesktop.Secret.Item',member='SetSecret'",
		"type='method_call',interface='org.freedesktop.Secret.Item',member='Delete'")
	out, err := mon.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := mon.Start(); err != nil {
		t.Fatalf("dbus-monitor: %v", err)
	}
	t.Cleanup(func() { mon.Process.Kill(); mon.Wait() })
	w := &secretWrites{}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		once := sync.Once{}
		for sc.Scan() {
			once.Do(func() { close(ready) }) // its own NameAcquired signal
			line := sc.Text()
			if !strings.HasPrefix(line, "method call ") {
				continue
			}
			if i := strings.Index(line, "member="); i >= 0 {
				w.mu.Lock()
				w.calls = append(w.calls, line[i+len("member="):])
				w.mu.Unlock()
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(5 * time.Second):
		t.Fatal("dbus-monitor printed nothing within 5 s")
	}
	return w
}

// count waits until the monitor has caught up, then returns the calls seen
// since the last count.
func (w *secretWrites) count() []string {
	time.Sleep(200 * time.Millisecond)
	w.mu.Lock()
	defer w.mu.Unlock()
	c := w.calls
	w.calls = nil
	return c
}

// TestUnchangedAnswerWritesNoKeyring (issue 14): a cluster read that finds
// the answer the keyring already holds writes no keyring item, only the
// fetch time beside the locks; a changed password is written once.
func TestUnchangedAnswerWritesNoKeyring(t *testing.T) {
	requireSessionBus(t)
	api := newFakeAPI(t, "unchanged-0123456789")
	env := baseEnv(t, api.kubeconfig(t))
	erase(t, env)
	t.Cleanup(func() { erase(t, env) })
	writes := watchSecretWrites(t)
	writes.count()
	home := strings.TrimPrefix(env[0], "HOME=")
	miss := append(env, "IDPBUILDER_HELPER_FRESH=0s") // every get reads the cluster

	if a := mustGet(t, miss, registry); a.Secret != "unchanged-0123456789" {
		t.Fatalf("get = %+v", a)
	}
	if c := writes.count(); len(c) != 1 || c[0] != "CreateItem" {
		t.Fatalf("keyring writes on a cold get = %v, want one CreateItem", c)
	}
	first, ok := keyringLookup(t, registry)
	if !ok || first.Revision == "" {
		t.Fatalf("keyring entry %+v, %v; want one with a revision", first, ok)
	}

	// Two refreshes of the unchanged answer: gets past the fresh window.
	time.Sleep(10 * time.Millisecond)
	mustGet(t, miss, registry)
	mustGet(t, miss, registry)
	if got := api.reads.Load(); got != 3 {
		t.Fatalf("API reads = %d, want 3", got)
	}
	if c := writes.count(); len(c) != 0 {
		t.Fatalf("keyring writes while the answer did not change = %v, want none", c)
	}
	if e, _ := keyringLookup(t, registry); e.Revision != first.Revision || !e.FetchedAt.Equal(first.FetchedAt) {
		t.Fatalf("keyring entry changed: %+v, was %+v", e, first)
	}
	// The fetch time went to a 0600 file in a 0700 folder of the user's.
	state := filepath.Join(home, ".cache", "docker-credential-idpbuilder", "locks", "gitea.cnoe.localtest.me_8443.fetched")
	fi, err := os.Stat(state)
	if err != nil || fi.Mode().Perm() != 0o600 || !fi.ModTime().After(first.FetchedAt) {
		t.Fatalf("state file: %v, %v", fi, err)
	}
	if di, _ := os.Stat(filepath.Dir(state)); di.Mode().Perm() != 0o700 {
		t.Fatalf("state folder mode %v", di.Mode().Perm())
	}
	if data, _ := os.ReadFile(state); strings.Contains(string(data), "unchanged-0123456789") {
		t.Fatal("the state file holds the password")
	}
	// Within the fresh window the recorded fetch time makes a hit.
	mustGet(t, env, registry)
	if got := api.reads.Load(); got != 3 {
		t.Fatalf("API reads after a get in the fresh window = %d, want 3", got)
	}

	// A new password: written once, then unchanged again.
	api.setPassword("changed-0123456789")
	if a := mustGet(t, miss, registry); a.Secret != "changed-0123456789" {
		t.Fatalf("get after the change = %+v", a)
	}
	mustGet(t, miss, registry)
	if c := writes.count(); len(c) != 1 || c[0] != "CreateItem" {
		t.Fatalf("keyring writes for a changed password then an unchanged one = %v, want one CreateItem", c)
	}
	// Within a fresh window shorter than the entry's own age, the recorded
	// fetch time alone makes a hit; a broken state file is no fetch time:
	// the same get reads the cluster again, answers, and records anew.
	time.Sleep(1200 * time.Millisecond)
	mustGet(t, miss, registry) // unchanged: recorded now
	short := append(env, "IDPBUILDER_HELPER_FRESH=1s")
	reads := api.reads.Load()
	mustGet(t, short, registry)
	if got := api.reads.Load(); got != reads {
		t.Fatalf("API reads = %d, want %d: the recorded fetch time did not make a hit", got, reads)
	}
	if err := os.WriteFile(state, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if a := mustGet(t, short, registry); a.Secret != "changed-0123456789" {
		t.Fatalf("get with a broken state file = %+v", a)
	}
	if got := api.reads.Load(); got != reads+1 {
		t.Fatalf("API reads with a broken state file = %d, want %d", got, reads+1)
	}
	if c := writes.count(); len(c) != 0 {
		t.Fatalf("keyring writes while the answer did not change = %v, want none", c)
	}
}
