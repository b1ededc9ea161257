//go:build e2e

package e2e

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// dockerPush builds a one-file image from scratch and pushes it with the
// real docker CLI, as a user would.
func (u *user) dockerPush(tag string) {
	u.t.Helper()
	ctxDir := u.t.TempDir()
	os.WriteFile(filepath.Join(ctxDir, "hello.txt"), []byte(tag+" "+randomHex(4)), 0o644)
	os.WriteFile(filepath.Join(ctxDir, "Dockerfile"), []byte("FROM scratch\nCOPY hello.txt /\n"), 0o644)
	ref := theRig.registry + "/giteaadmin/habits:" + tag
	u.must("", "docker", "build", "-q", "-t", ref, ctxDir)
	res := u.must("", "docker", "push", ref)
	// crane asks the registry, trusting the CA bundle install wrote.
	crane := u.with("SSL_CERT_FILE=" + filepath.Join(u.home, ".config", "docker-credential-idpbuilder", "ca-bundle.pem"))
	if d := digestRE.FindString(res.stdout); d == "" || pushedDigest(crane, ref) != d {
		u.t.Fatalf("docker push %s printed %q; the registry serves %s", tag, res.stdout, pushedDigest(crane, ref))
	}
}

// keyringParts reads the helper's keyring item for the registry with
// another Secret Service client (secret-tool) and says what it holds: a
// login (or an older version's pinned override), and the user names git
// stored. The secret is never printed.
func keyringParts(u *user) (present, login bool, users []string) {
	u.t.Helper()
	res := u.run("", "secret-tool", "lookup", "service", "docker-credential-idpbuilder", "username", theRig.registry)
	if res.code != 0 || res.stdout == "" {
		return false, false, nil
	}
	var e struct {
		Override bool                       `json:"override"`
		Login    *struct{ Username string } `json:"login"`
		Users    map[string]struct {
			Username string
		} `json:"users"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &e); err != nil {
		u.t.Fatalf("the keyring item for %s is not the helper's JSON (%v)", theRig.registry, err)
	}
	for _, c := range e.Users {
		users = append(users, c.Username)
	}
	return true, e.Login != nil || e.Override, users
}

// TestDockerLoginFollowsTheCluster is issue #10 item 1 with the real docker
// CLI: neither `docker login HOST` nor the form idpbuilder's documentation
// teaches pins the password, and a login with another credential belongs
// to its cluster, so after a recreate the next push works with no command.
func TestDockerLoginFollowsTheCluster(t *testing.T) {
	r := theRig
	u := installed(t)

	// No flags: docker asks the helper (get), logs in with its answer and
	// stores that answer again (store).
	if res := u.must("", "docker", "login", r.registry); !strings.Contains(res.stdout, "Login Succeeded") {
		t.Fatalf("docker login %s: %+v", r.registry, res)
	}
	if present, login, _ := keyringParts(u); !present || login {
		t.Fatalf("after docker login with no flags: entry present %v, login kept %v; want a cluster entry only", present, login)
	}

	// The documentation's form, with the cluster's password. Its
	// `-p "$(idpbuilder get secrets ...)"` reaches the same store; stdin
	// keeps the password off the command line.
	if res := u.must(r.canary+"\n", "docker", "login", "-u", "giteaAdmin", "--password-stdin", r.registry); !strings.Contains(res.stdout, "Login Succeeded") {
		t.Fatalf("docker login -u giteaAdmin: %+v", res)
	}
	if present, login, _ := keyringParts(u); !present || login {
		t.Fatalf("after docker login with the cluster's password: entry present %v, login kept %v; want a cluster entry only", present, login)
	}
	if st, _ := u.status(); strings.Contains(statusDetail(st, "cache"), "docker login") {
		t.Fatalf("status reports a docker login: %q", statusDetail(st, "cache"))
	}
	u.dockerPush("after-doc-login")

	// A credential that is not the cluster's (the admin's access token,
	// which Gitea's registry accepts) is kept as this cluster's login ...
	token, err := os.ReadFile(r.env["GITEA_TOKEN_FILE"])
	if err != nil || len(bytes.TrimSpace(token)) == 0 {
		t.Fatalf("the rig's Gitea token: %v", err)
	}
	if res := u.must(strings.TrimSpace(string(token))+"\n", "docker", "login", "-u", "giteaAdmin", "--password-stdin", r.registry); !strings.Contains(res.stdout, "Login Succeeded") {
		t.Fatalf("docker login with the token: %+v", res)
	}
	if _, login, _ := keyringParts(u); !login {
		t.Fatal("a login with another credential was not kept")
	}
	if st, _ := u.status(); !strings.Contains(statusDetail(st, "cache"), "docker login") || !strings.Contains(statusDetail(st, "cache"), "answer for this cluster") {
		t.Fatalf("status cache line with a login: %q", statusDetail(st, "cache"))
	}
	u.dockerPush("with-token-login")

	// ... and dropped once the cluster is recreated (new CA, new password,
	// the old token gone): the next push needs no command.
	r.recreateCluster(t, r.canary+"-relogin")
	u.dockerPush("after-recreate")
	if present, login, _ := keyringParts(u); !present || login {
		t.Fatalf("after the recreate: entry present %v, login kept %v; want the new cluster's entry only", present, login)
	}
	noCanaryUnder(t, u.home, r.canary+"-relogin")
}

// giteaAdmin calls Gitea's API as the admin, over TLS trusting the rig's CA.
func giteaAdmin(t *testing.T, method, path string, body any) {
	t.Helper()
	ca, err := os.ReadFile(filepath.Join(theRig.dir, "tls", "tls.crt"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	var data []byte
	if body != nil {
		if data, err = json.Marshal(body); err != nil {
			t.Fatal(err)
		}
	}
	req, err := http.NewRequest(method, "https://"+theRig.registry+"/api/v1"+path, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("giteaAdmin", theRig.canary)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		t.Fatalf("%s %s: %s: %s", method, path, resp.Status, msg)
	}
}

// askpass writes a GIT_ASKPASS program that answers git's password prompt
// once from a 0600 file (never argv or the environment) and fails on any
// later call, so a second clone must get the password from the helper.
func askpass(t *testing.T, password string) (program, used string) {
	t.Helper()
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "password")
	if err := os.WriteFile(pwFile, []byte(password), 0o600); err != nil {
		t.Fatal(err)
	}
	program, used = filepath.Join(dir, "askpass"), filepath.Join(dir, "used")
	script := "#!/bin/sh\n" +
		"case \"$1\" in Password*) ;; *) exit 1 ;; esac\n" +
		"[ -e '" + used + "' ] && exit 1\n" +
		": > '" + used + "'\n" +
		"exec cat '" + pwFile + "'\n"
	if err := os.WriteFile(program, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	return program, used
}

// TestGitAsAnotherUser is issue #10 item 2 with real git: a clone as
// another Gitea user, with her password typed once, does not become
// docker's credential or git's default, and her next clone needs no
// prompt.
func TestGitAsAnotherUser(t *testing.T) {
	r := theRig
	u := gitUser(t)

	alice, password := "alice-"+randomHex(3), "alice-pw-"+randomHex(16)
	giteaAdmin(t, "POST", "/admin/users", map[string]any{
		"username": alice, "email": alice + "@cnoe.localtest.me", "password": password, "must_change_password": false,
	})
	t.Cleanup(func() { giteaAdmin(t, "DELETE", "/admin/users/"+alice+"?purge=true", nil) })
	// Private, so the clone needs her credentials.
	giteaAdmin(t, "POST", "/admin/users/"+alice+"/repos", map[string]any{"name": "notes", "private": true, "auto_init": true})

	program, used := askpass(t, password)
	ua := u.with("GIT_ASKPASS=" + program)
	url := "https://" + alice + "@" + r.registry + "/" + alice + "/notes.git"
	ua.must("", "git", "clone", "-q", url, filepath.Join(t.TempDir(), "first"))
	if _, err := os.Stat(used); err != nil {
		t.Fatal("the first clone did not ask for alice's password: the test would prove nothing")
	}
	if present, login, users := keyringParts(u); !present || login || len(users) != 1 || users[0] != alice {
		t.Fatalf("after alice's clone the keyring holds: entry %v, login %v, git users %v; want alice only", present, login, users)
	}

	// docker's get still answers the admin ...
	if a := u.get(r.registry); a.Username != "giteaAdmin" || a.Secret != r.canary {
		t.Fatalf("docker's get answers user %q (the admin's password: %v)", a.Username, a.Secret == r.canary)
	}
	// ... and so does git's get with no user name.
	res := u.must("protocol=https\nhost="+r.registry+"\n\n", "git", "credential", "fill")
	if !strings.Contains(res.stdout, "username=giteaAdmin\n") || !strings.Contains(res.stdout, "password="+r.canary+"\n") {
		t.Fatal("git credential fill with no user name does not answer the admin's credentials")
	}
	// Her next clone needs no prompt: the askpass program now fails.
	ua.must("", "git", "clone", "-q", url, filepath.Join(t.TempDir(), "second"))
	// docker pushes as the admin.
	u.dockerPush("after-alice")
	noCanaryUnder(t, u.home, password)
}
