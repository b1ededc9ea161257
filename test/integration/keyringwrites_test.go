//go:build integration

package integration

import (
	"bufio"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// secretWrites counts the calls that make gnome-keyring write its keyring
// file (CreateItem, SetSecret, Delete), as dbus-monitor sees them on the
// session bus: every process's calls, whatever library made them.
type secretWrites struct {
	mu    sync.Mutex
	calls []string
}

func watchSecretWrites(t *testing.T) *secretWrites {
	return watchSecret(t,
		"type='method_call',interface='org.freedesktop.Secret.Collection',member='CreateItem'",
		"type='method_call',interface='org.freedesktop.Secret.Item',member='SetSecret'",
		"type='method_call',interface='org.freedesktop.Secret.Item',member='Delete'")
}

// watchSecret records the members of the session bus's method calls that
// match rules.
func watchSecret(t *testing.T, rules ...string) *secretWrites {
	t.Helper()
	mon := exec.Command("dbus-monitor", append([]string{"--session"}, rules...)...)
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

// TestKeyringTraffic (issues 23, 24): a cold get writes one keyring item;
// a hit makes no Secret Service call at all where the kernel keyring's hot
// tier is usable, and one read where it is not; a read past the fresh
// window writes the entry once. (The fetch-time file that saved that one
// write is gone: BENCHMARKS.md has the figure.)
func TestKeyringTraffic(t *testing.T) {
	requireSessionBus(t)
	api := newFakeAPI(t, "traffic-0123456789")
	env := baseEnv(t, api.kubeconfig(t))
	erase(t, env)
	t.Cleanup(func() { erase(t, env) })
	writes := watchSecretWrites(t)
	calls := watchSecretCalls(t)
	writes.count()
	calls.count()

	if a := mustGet(t, env, registry); a.Secret != "traffic-0123456789" {
		t.Fatalf("get = %+v", a)
	}
	if c := writes.count(); len(c) != 1 || c[0] != "CreateItem" {
		t.Fatalf("keyring writes on a cold get = %v, want one CreateItem", c)
	}
	calls.count()
	mustGet(t, env, registry)
	got := calls.count()
	if hotTierUsable() {
		if len(got) != 0 {
			t.Fatalf("Secret Service calls on a hot hit = %v, want none", got)
		}
	} else if len(got) == 0 {
		t.Fatal("no Secret Service call on a hit, yet this machine has no usable kernel keyring: where did the answer come from?")
	} else {
		t.Logf("no usable kernel keyring here: the hit read the Secret Service (%d calls)", len(got))
	}
	if n := api.reads.Load(); n != 1 {
		t.Fatalf("API reads = %d, want 1", n)
	}

	// Past the fresh window: every get reads the cluster and writes once.
	miss := append(env, "IDPBUILDER_HELPER_FRESH=0s")
	mustGet(t, miss, registry)
	mustGet(t, miss, registry)
	if n := api.reads.Load(); n != 3 {
		t.Fatalf("API reads = %d, want 3", n)
	}
	if c := writes.count(); len(c) != 2 {
		t.Fatalf("keyring writes for two reads = %v, want two", c)
	}
}

// watchSecretCalls counts every method call to the Secret Service.
func watchSecretCalls(t *testing.T) *secretWrites {
	return watchSecret(t, "type='method_call',destination='org.freedesktop.secrets'")
}

// hotTierUsable reports whether this process may use the user's kernel
// keyring, as the helper would (container runtimes often forbid keyctl).
func hotTierUsable() bool {
	_, err := unix.KeyctlGetKeyringID(unix.KEY_SPEC_USER_KEYRING, true)
	return err == nil
}
