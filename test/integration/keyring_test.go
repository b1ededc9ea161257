//go:build integration

package integration

import (
	"errors"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/cnoe-io/docker-credential-idpbuilder/keyring"
)

func TestSecretServiceRoundTrip(t *testing.T) {
	requireSessionBus(t)
	const host = "roundtrip.example:8443"
	c := keyring.New(keyring.System{}, 3*time.Second, nil)
	at := time.Now().UTC().Truncate(time.Second)
	want := keyring.Entry{Username: "giteaAdmin", Secret: "round-trip-0123456789", Fingerprint: "fp", FetchedAt: at,
		Login: &keyring.Credential{Username: "me", Secret: "round-trip-login", Fingerprint: "fp", StoredAt: at},
		Users: map[string]keyring.Credential{"alice": {Username: "Alice", Secret: "round-trip-alice", Fingerprint: "fp", StoredAt: at}}}
	if err := c.Put(host, want); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Delete(host) })
	got, ok, err := c.Get(host)
	if err != nil || !ok || !reflect.DeepEqual(got, want) {
		t.Fatalf("Get = %+v, %v, %v", got, ok, err)
	}
	// An independent Secret Service client sees the same item.
	if e, ok := keyringLookup(t, host); !ok || e.Secret != want.Secret || e.Login == nil || e.Login.Secret != want.Login.Secret || e.Users["alice"].Secret != "round-trip-alice" {
		t.Fatalf("secret-tool sees %+v, %v", e, ok)
	}
	// An entry from an older version, written by another client: its
	// pinned override reads as a cluster answer of no cluster.
	old := `{"username":"me","secret":"old-override","fetchedAt":"2026-01-01T00:00:00Z","override":true}`
	store := exec.Command("secret-tool", "store", "--label", "old entry", "service", keyring.Service, "username", host)
	store.Stdin = strings.NewReader(old)
	if out, err := store.CombinedOutput(); err != nil {
		t.Fatalf("secret-tool store: %v: %s", err, out)
	}
	if got, ok, err := c.Get(host); err != nil || !ok || got.Fingerprint != "" || got.Login != nil || got.Secret != "old-override" {
		t.Fatalf("old entry read as %+v, %v, %v", got, ok, err)
	}
	if existed, err := c.Delete(host); !existed || err != nil {
		t.Fatalf("Delete = %v, %v", existed, err)
	}
	if _, ok, err := c.Get(host); ok || err != nil {
		t.Fatalf("Get after Delete = %v, %v", ok, err)
	}
}

// TestLockedKeyringDeadline locks the default collection. gnome-keyring then
// needs an unlock prompt; with no display the prompt fails, with one it waits
// for a person. Either way the cache must give up within its deadline and
// get must still answer from the cluster. It locks the session's keyring for
// good, so it runs alone in its own session (IDPBUILDER_IT_LOCK=1).
func TestLockedKeyringDeadline(t *testing.T) {
	if os.Getenv("IDPBUILDER_IT_LOCK") != "1" {
		t.Skip("locks the keyring: run alone with IDPBUILDER_IT_LOCK=1 inside its own hack/with-keyring.sh")
	}
	requireSessionBus(t)
	bus, err := dbus.SessionBus()
	if err != nil {
		t.Fatal(err)
	}
	svc := bus.Object("org.freedesktop.secrets", "/org/freedesktop/secrets")
	var locked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	err = svc.Call("org.freedesktop.Secret.Service.Lock", 0, []dbus.ObjectPath{"/org/freedesktop/secrets/aliases/default"}).Store(&locked, &prompt)
	if err != nil || len(locked) == 0 {
		t.Fatalf("locking the default collection: %v (locked %v, prompt %v)", err, locked, prompt)
	}

	const deadline = 500 * time.Millisecond
	c := keyring.New(keyring.System{}, deadline, nil)
	start := time.Now()
	_, _, err = c.Get(registry)
	elapsed := time.Since(start)
	if !errors.Is(err, keyring.ErrUnavailable) {
		t.Fatalf("Get on a locked keyring: %v", err)
	}
	if elapsed > deadline+time.Second {
		t.Fatalf("Get on a locked keyring took %s; deadline %s", elapsed, deadline)
	}
	t.Logf("locked keyring: gave up after %s (deadline %s): %v", elapsed.Round(time.Millisecond), deadline, err)

	// The helper carries on without a cache.
	api := newFakeAPI(t, "locked-keyring-0123456789")
	env := append(baseEnv(t, api.kubeconfig(t)), "IDPBUILDER_HELPER_KEYRING_TIMEOUT=500ms")
	r := runHelper(t, env, registry, "get")
	if r.code != 0 || !strings.Contains(r.stdout, "locked-keyring-0123456789") || r.stderr != "" {
		t.Fatalf("get with a locked keyring: %+v", r)
	}
	if r.elapsed > 3*time.Second {
		t.Fatalf("get with a locked keyring took %s", r.elapsed)
	}
}
