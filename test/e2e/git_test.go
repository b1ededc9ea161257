//go:build e2e

package e2e

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// gitUser is a user on whose machine install ran (which configures git),
// with git finding credentials nowhere but the helper: no system config, no
// prompt, no askpass, a fresh HOME.
func gitUser(t *testing.T) *user {
	t.Helper()
	u := installed(t)
	return u.with("GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_NAME=e2e", "GIT_AUTHOR_EMAIL=e2e@cnoe.localtest.me",
		"GIT_COMMITTER_NAME=e2e", "GIT_COMMITTER_EMAIL=e2e@cnoe.localtest.me")
}

// newRepoURL names a repository that does not exist yet; Gitea creates it
// on the first push (ENABLE_PUSH_CREATE_USER), private by default.
func newRepoURL() string {
	return "https://" + theRig.registry + "/giteaAdmin/e2e-git-" + randomHex(4) + ".git"
}

// commitAndPush makes a commit holding content in work (a repository or a
// new folder) and pushes it to url's main branch.
func commitAndPush(u *user, work, url, content string) {
	u.t.Helper()
	if _, err := os.Stat(filepath.Join(work, ".git")); err != nil {
		u.must("", "git", "init", "-q", "-b", "main", work)
	}
	if err := os.WriteFile(filepath.Join(work, "hello.txt"), []byte(content), 0o644); err != nil {
		u.t.Fatal(err)
	}
	u.must("", "git", "-C", work, "add", "hello.txt")
	u.must("", "git", "-C", work, "commit", "-q", "-m", "e2e")
	u.must("", "git", "-C", work, "push", "-q", url, "HEAD:main")
}

// cloneHas clones url and checks hello.txt.
func cloneHas(u *user, url, content string) {
	u.t.Helper()
	dir := filepath.Join(u.t.TempDir(), "clone")
	u.must("", "git", "clone", "-q", url, dir)
	got, err := os.ReadFile(filepath.Join(dir, "hello.txt"))
	if err != nil || string(got) != content {
		u.t.Fatalf("clone of %s holds %q, %v; want %q", url, got, err, content)
	}
	if cfg, _ := os.ReadFile(filepath.Join(dir, ".git", "config")); bytes.Contains(cfg, []byte("@")) {
		u.t.Fatalf("the clone's remote URL holds user information:\n%s", cfg)
	}
}

// noCanaryUnder fails when the password is in any file under dir.
func noCanaryUnder(t *testing.T, dir, canary string) {
	t.Helper()
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		if data, err := os.ReadFile(path); err == nil && bytes.Contains(data, []byte(canary)) {
			t.Errorf("the password is in %s", path)
		}
		return nil
	})
}

// TestGitPushAndCloneWithNoLogin: after install, git push creates a new
// repository on the real Gitea over HTTPS and git clone gets it back, with
// the credentials coming from the cluster's secret only.
func TestGitPushAndCloneWithNoLogin(t *testing.T) {
	r := theRig
	u := gitUser(t)
	gitconfig, err := os.ReadFile(filepath.Join(u.home, ".gitconfig"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`[credential "https://` + r.registry + `"]`, "helper = !docker-credential-idpbuilder git", `sslCAInfo = `} {
		if !strings.Contains(string(gitconfig), want) {
			t.Fatalf("~/.gitconfig lacks %q:\n%s", want, gitconfig)
		}
	}

	url := newRepoURL()
	content := "pushed by git " + randomHex(4)
	work := filepath.Join(t.TempDir(), "work")
	commitAndPush(u, work, url, content)
	cloneHas(u, url, content)
	noCanaryUnder(t, u.home, r.canary)

	// The control: a user without install (the CA trusted by hand) is
	// refused, so the repository is private and the helper did the work.
	other := r.newUser(t, "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0", "GIT_SSL_CAINFO="+filepath.Join(r.dir, "tls", "tls.crt"))
	res := other.run("", "git", "ls-remote", url)
	if res.code == 0 || !strings.Contains(res.stderr, "terminal prompts disabled") && !strings.Contains(res.stderr, "Authentication failed") {
		t.Fatalf("git ls-remote without the helper: %+v", res)
	}

	// uninstall takes our git settings away again.
	u.must("", fullHelper(), "uninstall")
	if data, _ := os.ReadFile(filepath.Join(u.home, ".gitconfig")); bytes.Contains(data, []byte("docker-credential-idpbuilder")) {
		t.Fatalf("~/.gitconfig after uninstall:\n%s", data)
	}
}

// TestGitClusterRecreated: the cluster is recreated with a new CA and a new
// password; the next git push and clone work with no action.
func TestGitClusterRecreated(t *testing.T) {
	r := theRig
	u := gitUser(t)
	url := newRepoURL()
	work := filepath.Join(t.TempDir(), "work")
	commitAndPush(u, work, url, "before the recreate")

	r.recreateCluster(t, r.canary+"-recreated")
	commitAndPush(u, work, url, "after the recreate")
	cloneHas(u, url, "after the recreate")
	noCanaryUnder(t, u.home, r.canary+"-recreated")
}

// TestGitSelfHealsAfterPasswordChange: the password changes on the same
// cluster inside the fresh window. The cached password is rejected once;
// git's erase drops it, and the next command reads the cluster.
func TestGitSelfHealsAfterPasswordChange(t *testing.T) {
	r := theRig
	u := gitUser(t)
	url := newRepoURL()
	commitAndPush(u, filepath.Join(t.TempDir(), "work"), url, "before the change")

	defer r.setPassword(t, r.canary)
	r.setPassword(t, r.canary+"-git")
	if res := u.run("", "git", "ls-remote", url); res.code == 0 {
		t.Fatalf("the cached password still worked after the change: %+v", res)
	}
	u.must("", "git", "ls-remote", url)
	cloneHas(u, url, "before the change")
}
