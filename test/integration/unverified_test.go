//go:build integration

package integration

import (
	"testing"
)

// TestLoginWhileTheClusterIsDown (issue 21 item 2): `docker login` with the
// cluster's own password while the API server does not answer used to pin
// that password as a login for good: after the password changed, get kept
// answering the old one. Now the login is kept unverified and compared on
// the next read: the cluster's own credential follows the cluster again;
// another credential stays a login.
func TestLoginWhileTheClusterIsDown(t *testing.T) {
	requireSessionBus(t)
	api := newFakeAPI(t, "first-0123456789")
	env := baseEnv(t, api.kubeconfig(t))
	erase(t, env)
	t.Cleanup(func() { erase(t, env) })
	miss := append(env, "IDPBUILDER_HELPER_FRESH=0s")
	store := func(user, secret string) {
		t.Helper()
		if r := runHelper(t, env, `{"ServerURL":"`+registry+`","Username":"`+user+`","Secret":"`+secret+`"}`, "store"); r.code != 0 {
			t.Fatalf("store: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
		}
	}

	api.down.Store(true)
	store("giteaAdmin", "first-0123456789")
	if e, _ := keyringLookup(t, registry); e.Login == nil || !e.Login.Unverified {
		t.Fatalf("a login stored while the cluster is down: %+v, want it kept unverified", e.Login)
	}
	api.down.Store(false)
	if a := mustGet(t, miss, registry); a.Secret != "first-0123456789" {
		t.Fatal("get after the cluster came back: wrong answer")
	}
	if e, _ := keyringLookup(t, registry); e.Login != nil {
		t.Fatal("the cluster's own credential is still kept as a login after a read compared it")
	}
	api.setPassword("second-0123456789")
	if a := mustGet(t, miss, registry); a.Secret != "second-0123456789" {
		t.Fatal("get after the password changed answers the old one")
	}

	// Another credential stored while the cluster is down stays a login.
	api.down.Store(true)
	store("me", "my-token-0123456789")
	api.down.Store(false)
	if a := mustGet(t, miss, registry); a.Secret != "my-token-0123456789" {
		t.Fatal("get after the cluster came back: the user's own login was not kept")
	}
	if e, _ := keyringLookup(t, registry); e.Login == nil || e.Login.Unverified {
		t.Fatalf("the user's login after a read: %+v, want it kept and verified", e.Login)
	}
}
