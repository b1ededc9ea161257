//go:build integration

package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const gitGet = "protocol=https\nhost=" + registry + "\n\n"

// TestGitProtocol drives `docker-credential-idpbuilder git` as git does,
// with the real keyring and a fake API counting reads.
func TestGitProtocol(t *testing.T) {
	requireSessionBus(t)
	api := newFakeAPI(t, "git-one-0123456789")
	env := baseEnv(t, api.kubeconfig(t))
	erase(t, env)
	t.Cleanup(func() { erase(t, env) })

	r := runHelper(t, env, gitGet, "git", "get")
	if r.code != 0 || r.stdout != "username=giteaAdmin\npassword=git-one-0123456789\n" || r.stderr != "" {
		t.Fatalf("git get: %+v", r)
	}
	// The same cache as docker's get: no second read, either way.
	runHelper(t, env, "protocol=https\nhost=GITEA.cnoe.localtest.me:8443\npath=giteaAdmin/x.git\n", "git", "get")
	if a := mustGet(t, env, registry); a.Secret != "git-one-0123456789" || api.reads.Load() != 1 {
		t.Fatalf("docker get = %+v after %d reads, want 1 read", a, api.reads.Load())
	}

	for _, tc := range []struct{ name, stdin string }{
		{"foreign host", "protocol=https\nhost=github.com\n\n"},
		{"other port", "protocol=https\nhost=gitea.cnoe.localtest.me\n\n"},
		{"plain http", "protocol=http\nhost=" + registry + "\n\n"},
	} {
		r := runHelper(t, env, tc.stdin, "git", "get")
		if r.code != 0 || r.stdout != "" || r.stderr != "" {
			t.Fatalf("%s: %+v", tc.name, r)
		}
	}
	r = runHelper(t, append(env, "IDPBUILDER_HELPER_DEBUG=1"), "protocol=http\nhost="+registry+"\n\n", "git", "get")
	if r.code != 0 || r.stdout != "" || !strings.Contains(r.stderr, "plain http") || strings.Contains(r.stderr, "git-one") {
		t.Fatalf("plain http with debug: %+v", r)
	}
	for _, bad := range []string{"protocol=https\nhost\n\n", "protocol=https\nhost=" + registry + "\x00\n\n", "password=" + strings.Repeat("x", 70000) + "\n"} {
		r := runHelper(t, env, bad, "git", "get")
		if r.code != 1 || r.stdout != "" || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "malformed") {
			t.Fatalf("malformed request %.30q: %+v", bad, r)
		}
	}
	if r := runHelper(t, env, "whatever", "git", "capabilities"); r.code != 0 || r.stdout != "" || r.stderr != "" {
		t.Fatalf("unknown operation: %+v", r)
	}
	if r := runHelper(t, env, "", "git"); r.code != 2 {
		t.Fatalf("git without an operation: %+v", r)
	}

	// store of the helper's own answer keeps a cluster entry.
	if r := runHelper(t, env, "protocol=https\nhost="+registry+"\nusername=giteaAdmin\npassword=git-one-0123456789\n\n", "git", "store"); r.code != 0 {
		t.Fatalf("git store: %+v", r)
	}
	if e, ok := keyringLookup(t, registry); !ok || e.Login != nil || e.Fingerprint == "" {
		t.Fatalf("after storing our own answer the keyring holds %+v", e)
	}
	// erase of the rejected cluster password: the next get reads the cluster.
	api.setPassword("git-two-0123456789")
	if r := runHelper(t, env, "protocol=https\nhost="+registry+"\nusername=giteaAdmin\npassword=git-one-0123456789\n\n", "git", "erase"); r.code != 0 {
		t.Fatalf("git erase: %+v", r)
	}
	if _, ok := keyringLookup(t, registry); ok {
		t.Fatal("erase kept the rejected entry")
	}
	if r := runHelper(t, env, gitGet, "git", "get"); !strings.Contains(r.stdout, "password=git-two-0123456789\n") || api.reads.Load() != 2 {
		t.Fatalf("get after erase: %+v, reads %d", r, api.reads.Load())
	}
}

// gitUser runs the real git with only our helper configured, the way
// install configures it, in a private HOME.
type gitUser struct {
	t   *testing.T
	env []string
}

func newGitUser(t *testing.T, env []string) *gitUser {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	var e []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "PATH=") {
			e = append(e, kv)
		}
	}
	e = append(e, "PATH="+filepath.Dir(helperBin)+string(os.PathListSeparator)+os.Getenv("PATH"),
		"GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0")
	u := &gitUser{t: t, env: e}
	// A general helper, set before install, that would store the password
	// in plain text: the empty value before ours keeps it off our host.
	u.git("", "config", "--global", "credential.helper", "store")
	key := "credential.https://" + registry + ".helper"
	u.git("", "config", "--global", "--add", key, "")
	u.git("", "config", "--global", "--add", key, "!docker-credential-idpbuilder git")
	return u
}

func (u *gitUser) git(stdin string, args ...string) result {
	u.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Env = u.env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	if exitErr, ok := err.(*exec.ExitError); ok {
		r.code = exitErr.ExitCode()
	} else if err != nil {
		u.t.Fatal(err)
	}
	return r
}

func TestRealGitUsesTheHelper(t *testing.T) {
	requireSessionBus(t)
	api := newFakeAPI(t, "real-git-0123456789")
	env := baseEnv(t, api.kubeconfig(t))
	erase(t, env)
	t.Cleanup(func() { erase(t, env) })
	u := newGitUser(t, env)
	home := strings.TrimPrefix(env[0], "HOME=")

	fill := func(url string) result {
		return u.git("url="+url+"\n\n", "credential", "fill")
	}
	r := fill("https://" + registry + "/giteaAdmin/repo.git")
	if r.code != 0 || !strings.Contains(r.stdout, "username=giteaAdmin\npassword=real-git-0123456789\n") {
		t.Fatalf("git credential fill: %+v", r)
	}
	// Another host: our helper says nothing, no prompt is allowed, git fails.
	if r := fill("https://github.com/x/y.git"); r.code == 0 || strings.Contains(r.stdout, "password=") {
		t.Fatalf("fill for another host: %+v", r)
	}

	// approve (git's store after a success) of our own answer: still a
	// cluster entry, and the general store helper never saw the password.
	approve := "protocol=https\nhost=" + registry + "\nusername=giteaAdmin\npassword=real-git-0123456789\n\n"
	if r := u.git(approve, "credential", "approve"); r.code != 0 {
		t.Fatalf("approve: %+v", r)
	}
	if e, ok := keyringLookup(t, registry); !ok || e.Login != nil {
		t.Fatalf("after approve the keyring holds %+v", e)
	}
	if data, err := os.ReadFile(filepath.Join(home, ".git-credentials")); err == nil && strings.Contains(string(data), "real-git") {
		t.Fatal("the password reached ~/.git-credentials")
	}

	// The password changes inside the fresh window: the cached one is
	// rejected once, git's reject erases it, the next fill is right.
	api.setPassword("real-git-changed-0123456789")
	if r := fill("https://" + registry); !strings.Contains(r.stdout, "password=real-git-0123456789\n") {
		t.Fatalf("fill inside the fresh window: %+v", r)
	}
	if r := u.git(approve, "credential", "reject"); r.code != 0 {
		t.Fatalf("reject: %+v", r)
	}
	if r := fill("https://" + registry); !strings.Contains(r.stdout, "password=real-git-changed-0123456789\n") {
		t.Fatalf("fill after reject: %+v", r)
	}

	// A password the user gives for the cluster's user is kept as the
	// login until rejected.
	mine := "protocol=https\nhost=" + registry + "\nusername=giteaAdmin\npassword=my-token\n\n"
	if r := u.git(mine, "credential", "approve"); r.code != 0 {
		t.Fatalf("approve: %+v", r)
	}
	if r := fill("https://" + registry); !strings.Contains(r.stdout, "username=giteaAdmin\npassword=my-token\n") {
		t.Fatalf("fill after the user's approve: %+v", r)
	}
	// Rejecting another credential leaves the login ...
	u.git(approve, "credential", "reject")
	if e, ok := keyringLookup(t, registry); !ok || e.Login == nil {
		t.Fatalf("reject of another credential dropped the login: %+v", e)
	}
	// ... rejecting it drops it.
	u.git(mine, "credential", "reject")
	if r := fill("https://" + registry); !strings.Contains(r.stdout, "username=giteaAdmin\npassword=real-git-changed-0123456789\n") {
		t.Fatalf("fill after rejecting the login: %+v", r)
	}

	// Another user's password answers only URLs naming that user.
	if r := u.git("protocol=https\nhost="+registry+"\nusername=alice\npassword=alice-token\n\n", "credential", "approve"); r.code != 0 {
		t.Fatalf("approve for alice: %+v", r)
	}
	if r := fill("https://alice@" + registry + "/alice/repo.git"); !strings.Contains(r.stdout, "username=alice\npassword=alice-token\n") {
		t.Fatalf("fill for alice: %+v", r)
	}
	if r := fill("https://" + registry); !strings.Contains(r.stdout, "username=giteaAdmin\npassword=real-git-changed-0123456789\n") {
		t.Fatalf("fill with no user after alice's approve: %+v", r)
	}
	if a := mustGet(t, env, registry); a.Username != "giteaAdmin" {
		t.Fatalf("docker get after alice's approve = %q", a.Username)
	}
	if e, ok := keyringLookup(t, registry); !ok || e.Users["alice"].Secret != "alice-token" || e.Login != nil {
		t.Fatalf("the keyring after alice's approve: login %v, users %d", e.Login != nil, len(e.Users))
	}
	// docker logout keeps alice's (docker never used it); git's reject
	// of it removes it, and then nothing is left.
	erase(t, env)
	if r := fill("https://alice@" + registry + "/alice/repo.git"); !strings.Contains(r.stdout, "password=alice-token\n") {
		t.Fatalf("fill for alice after docker logout: %+v", r)
	}
	u.git("protocol=https\nhost="+registry+"\nusername=alice\npassword=alice-token\n\n", "credential", "reject")
	erase(t, env)
	if e, ok := keyringLookup(t, registry); ok {
		t.Fatalf("left in the keyring: login %v, users %d", e.Login != nil, len(e.Users))
	}
}
