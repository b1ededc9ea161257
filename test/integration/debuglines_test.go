//go:build integration

package integration

import (
	"strings"
	"testing"
)

// TestDebugLinesEscapeControlCharacters (issue 21 item 8): what a client
// sends reaches the debug lines escaped, never raw, so a terminal cannot be
// made to act on it; a get with no time to read (timeout 0, cache off)
// says so and blames no lock.
func TestDebugLinesEscapeControlCharacters(t *testing.T) {
	requireSessionBus(t)
	api := newFakeAPI(t, "debug-0123456789")
	env := append(baseEnv(t, api.kubeconfig(t)), "IDPBUILDER_HELPER_DEBUG=1")
	erase(t, env)
	t.Cleanup(func() { erase(t, env) })
	r := runHelper(t, env, `{"ServerURL":"`+registry+`","Username":"me\u0000\u001b[2J","Secret":"debug-token-0123456789"}`, "store")
	if r.code != 0 {
		t.Fatalf("store: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if strings.ContainsAny(r.stderr, "\x00\x1b") || !strings.Contains(r.stderr, `me\x00\x1b[2J`) {
		t.Fatalf("debug lines of a store with control characters in the user name: %q", r.stderr)
	}
	if strings.Contains(r.stderr, "debug-token-0123456789") {
		t.Fatal("a debug line holds the secret")
	}

	r = runHelper(t, append(env, "IDPBUILDER_HELPER_TIMEOUT=0s", "IDPBUILDER_HELPER_NO_CACHE=1"), registry+"\n", "get")
	if r.code == 0 || !strings.Contains(r.stdout, "IDPBUILDER_HELPER_TIMEOUT is 0s") || strings.Contains(r.stdout+r.stderr, "lock") {
		t.Fatalf("get with a zero timeout and no cache: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}
