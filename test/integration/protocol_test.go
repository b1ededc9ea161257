//go:build integration

package integration

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/cnoe-io/docker-credential-idpbuilder/keyring"
)

const registry = "gitea.cnoe.localtest.me:8443"

type getAnswer struct {
	ServerURL, Username, Secret string
}

func mustGet(t *testing.T, env []string, addr string) getAnswer {
	t.Helper()
	r := runHelper(t, env, addr+"\n", "get")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("get %s: exit %d, stdout %q, stderr %q", addr, r.code, r.stdout, r.stderr)
	}
	var a getAnswer
	if err := json.Unmarshal([]byte(r.stdout), &a); err != nil {
		t.Fatalf("get %s printed %q: %v", addr, r.stdout, err)
	}
	return a
}

// keyringLookup asks the Secret Service through an independent client.
func keyringLookup(t *testing.T, host string) (keyring.Entry, bool) {
	t.Helper()
	out, err := exec.Command("secret-tool", "lookup", "service", keyring.Service, "username", host).Output()
	if err != nil || len(out) == 0 {
		return keyring.Entry{}, false
	}
	var e keyring.Entry
	if err := json.Unmarshal(out, &e); err != nil {
		t.Fatalf("keyring entry for %s is not ours: %v", host, err)
	}
	return e, true
}

func erase(t *testing.T, env []string) {
	t.Helper()
	if r := runHelper(t, env, registry, "erase"); r.code != 0 {
		t.Fatalf("erase: %+v", r)
	}
}

func TestProtocolWithRealKeyring(t *testing.T) {
	requireSessionBus(t)
	api := newFakeAPI(t, "password-one-0123456789")
	env := baseEnv(t, api.kubeconfig(t))
	erase(t, env)
	t.Cleanup(func() { erase(t, env) })

	// A host that is not ours: the exact not-found text, nothing else.
	r := runHelper(t, env, "quay.io\n", "get")
	if r.code != 1 || r.stdout != "credentials not found in native keychain\n" || r.stderr != "" {
		t.Fatalf("foreign get: %+v", r)
	}

	// Miss: one read of the cluster, answer cached in the real keyring.
	a := mustGet(t, env, "https://GITEA.cnoe.localtest.me:8443/v2/")
	if a.Username != "giteaAdmin" || a.Secret != "password-one-0123456789" {
		t.Fatalf("get = %+v", a)
	}
	if got := api.reads.Load(); got != 1 {
		t.Fatalf("API reads after a miss = %d, want 1", got)
	}
	e, ok := keyringLookup(t, registry)
	if !ok || e.Secret != "password-one-0123456789" || e.Login != nil || e.Fingerprint == "" {
		t.Fatalf("keyring holds %+v, %v", e, ok)
	}

	// Hit: no read.
	mustGet(t, env, registry)
	if got := api.reads.Load(); got != 1 {
		t.Fatalf("API reads after a hit = %d, want still 1", got)
	}

	// Password changed on the same cluster: refresh picks it up at once.
	api.setPassword("password-two-0123456789")
	r = runHelper(t, env, "", "refresh")
	if r.code != 0 || !strings.Contains(r.stdout, "refreshed "+registry+": user giteaAdmin from context kind-localdev; cached in the OS keyring") {
		t.Fatalf("refresh: %+v", r)
	}
	if strings.Contains(r.stdout+r.stderr, "password-two") {
		t.Fatal("refresh printed the password")
	}
	if a := mustGet(t, env, registry); a.Secret != "password-two-0123456789" {
		t.Fatalf("after refresh get = %+v", a)
	}
	// ... and with no action once the fresh window has passed.
	api.setPassword("password-three-0123456789")
	staleEnv := append(env, "IDPBUILDER_HELPER_FRESH=0s")
	if a := mustGet(t, staleEnv, registry); a.Secret != "password-three-0123456789" {
		t.Fatalf("after the fresh window get = %+v", a)
	}

	// docker login / logout: store is an override until erase.
	r = runHelper(t, env, `{"ServerURL":"`+registry+`","Username":"me","Secret":"my-own-token"}`, "store")
	if r.code != 0 {
		t.Fatalf("store: %+v", r)
	}
	if a := mustGet(t, staleEnv, registry); a.Username != "me" || a.Secret != "my-own-token" {
		t.Fatalf("get after store = %+v", a)
	}
	r = runHelper(t, env, "", "list")
	if r.code != 0 || strings.TrimSpace(r.stdout) != `{"`+registry+`":"me"}` {
		t.Fatalf("list: %+v", r)
	}
	erase(t, env)
	if _, ok := keyringLookup(t, registry); ok {
		t.Fatal("erase left the keyring entry")
	}
	if a := mustGet(t, env, registry); a.Username != "giteaAdmin" || a.Secret != "password-three-0123456789" {
		t.Fatalf("get after erase = %+v", a)
	}

	// Cluster stopped, cache warm and stale: served from the cache.
	reads := api.reads.Load()
	api.srv.Close()
	if a := mustGet(t, staleEnv, registry); a.Secret != "password-three-0123456789" {
		t.Fatalf("get with the cluster down = %+v", a)
	}
	if api.reads.Load() != reads {
		t.Fatal("a stopped server was read")
	}
}

func TestClusterRecreated(t *testing.T) {
	requireSessionBus(t)
	first := newFakeAPI(t, "before-recreate-0123456789")
	home := baseEnv(t, first.kubeconfig(t))
	erase(t, home)
	t.Cleanup(func() { erase(t, home) })
	if a := mustGet(t, home, registry); a.Secret != "before-recreate-0123456789" {
		t.Fatalf("get = %+v", a)
	}
	// A new cluster: new API server address and a new password, with the
	// kubeconfig rewritten as kind does. The fresh cache must not win.
	second := newFakeAPI(t, "after-recreate-0123456789")
	env := append(home[:len(home):len(home)], "KUBECONFIG="+second.kubeconfig(t))
	if a := mustGet(t, env, registry); a.Secret != "after-recreate-0123456789" {
		t.Fatalf("after recreate get = %+v", a)
	}
	// Now the new cluster is down and the cache is from it: served.
	second.srv.Close()
	if a := mustGet(t, append(env, "IDPBUILDER_HELPER_FRESH=0s"), registry); a.Secret != "after-recreate-0123456789" {
		t.Fatalf("get with the new cluster down = %+v", a)
	}
	// The old kubeconfig again, its server down too: the cache is from
	// another cluster, so it fails with one line, within the deadline.
	first.srv.Close()
	r := runHelper(t, append(home, "IDPBUILDER_HELPER_TIMEOUT=2s"), registry, "get")
	if r.code != 1 || !strings.Contains(r.stdout, "is the idpbuilder cluster running?") || strings.Count(r.stdout, "\n") != 1 || r.stderr != "" {
		t.Fatalf("get with the cluster down and no usable cache: %+v", r)
	}
	if strings.Contains(r.stdout, "recreate-0123456789") {
		t.Fatal("the error leaks a password")
	}
	if r.elapsed > 3*time.Second {
		t.Fatalf("failing get took %s", r.elapsed)
	}
}

// TestNoSecretService: with no Secret Service (SSH, WSL, CI), the kernel
// keyring's hot tier is the cache where it is usable; elsewhere every get
// reads the cluster. store refuses either way: the hot tier is no record.
func TestNoSecretService(t *testing.T) {
	api := newFakeAPI(t, "no-keyring-0123456789")
	var env []string
	for _, kv := range baseEnv(t, api.kubeconfig(t)) {
		if !strings.HasPrefix(kv, "DBUS_SESSION_BUS_ADDRESS=") {
			env = append(env, kv)
		}
	}
	env = append(env, "DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/bus")
	for i := 1; i <= 2; i++ {
		if a := mustGet(t, env, registry); a.Secret != "no-keyring-0123456789" {
			t.Fatalf("get = %+v", a)
		}
		want := int64(i)
		if hotTierUsable() {
			want = 1
		}
		if got := api.reads.Load(); got != want {
			t.Fatalf("reads after %d gets = %d, want %d", i, got, want)
		}
	}
	// store must refuse rather than write the password anywhere else.
	r := runHelper(t, env, `{"ServerURL":"`+registry+`","Username":"me","Secret":"nowhere-to-go"}`, "store")
	if r.code != 1 || !strings.Contains(r.stdout, "passwords are never written to a file") || strings.Contains(r.stdout, "nowhere-to-go") {
		t.Fatalf("store without a keyring: %+v", r)
	}
}
