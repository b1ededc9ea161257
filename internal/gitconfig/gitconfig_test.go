package gitconfig

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const host = "gitea.cnoe.localtest.me:8443"

func TestParseList(t *testing.T) {
	out := "user.name\nSomeone\x00credential.https://h:1/x.y.helper\n\x00credential.https://h:1/x.y.helper\n" + Helper +
		"\x00HTTP.https://h:1/x.y.SSLCAINFO\n/ca.pem\x00core.bare\nfalse\x00novalue\x00"
	c := parseList([]byte(out))
	if got := c.values("credential", "https://h:1/x.y", "helper"); len(got) != 2 || got[0] != "" || got[1] != Helper {
		t.Fatalf("helpers %q", got)
	}
	if ok, ca := c.HelperFor("https://h:1/x.y"); !ok || ca != "/ca.pem" {
		t.Fatalf("HelperFor = %v, %q", ok, ca)
	}
	if ok, _ := c.HelperFor("https://other"); ok {
		t.Fatal("HelperFor matched another URL")
	}
	if !c.onlyHas("credential", "https://h:1/x.y", "helper") || c.onlyHas("user", "", "email") {
		t.Fatal("onlyHas")
	}
}

func TestURL(t *testing.T) {
	if URL(host, "") != "https://"+host || URL(host, "https") != "https://"+host || URL(host, "http") != "http://"+host {
		t.Fatal("URL")
	}
}

// user is a HOME with a global git config, and the lines reported to it.
type user struct {
	home string
	g    *Global
	out  strings.Builder
}

func newUser(t *testing.T, gitconfig string) *user {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	home := t.TempDir()
	if gitconfig != "" {
		if err := os.WriteFile(filepath.Join(home, ".gitconfig"), []byte(gitconfig), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{"XDG_CONFIG_HOME": filepath.Join(home, ".config")}
	g, err := Open(home, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	return &user{home: home, g: g}
}

func (u *user) report(status, format string, args ...any) {
	fmt.Fprintf(&u.out, "%s %s\n", status, fmt.Sprintf(format, args...))
}

// git runs git config --global as the user, with the process's own git.
func (u *user) git(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"config", "--global"}, args...)...)
	cmd.Env = append(os.Environ(), "HOME="+u.home, "XDG_CONFIG_HOME="+filepath.Join(u.home, ".config"))
	out, _ := cmd.Output()
	return string(out)
}

func (u *user) file(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(u.home, ".gitconfig"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(data)
}

func TestConfigureThenUnconfigure(t *testing.T) {
	original := "[user]\n\tname = Someone\n[credential]\n\thelper = store\n"
	u := newUser(t, original)
	u.g.Configure([]Host{{Name: host}}, "/ca.crt", false, u.report)
	key := "credential.https://" + host + ".helper"
	if got := u.git(t, "--get-all", key); got != "\n"+Helper+"\n" {
		t.Fatalf("%s = %q\n%s", key, got, &u.out)
	}
	if got := u.git(t, "--get", "http.https://"+host+".sslCAInfo"); got != "/ca.crt\n" {
		t.Fatalf("sslCAInfo = %q", got)
	}
	if got := u.git(t, "--get-urlmatch", "credential.helper", "https://"+host+"/giteaAdmin/r.git"); got != Helper+"\n" {
		t.Fatalf("urlmatch = %q", got)
	}
	if got := u.git(t, "--get-urlmatch", "credential.helper", "https://github.com/x/y"); got != "store\n" {
		t.Fatalf("other hosts lost their helper: %q", got)
	}
	cfg, err := u.g.Read()
	if err != nil {
		t.Fatal(err)
	}
	if ok, ca := cfg.HelperFor(URL(host, "")); !ok || ca != "/ca.crt" {
		t.Fatalf("HelperFor = %v, %q", ok, ca)
	}

	before := u.file(t)
	u.out.Reset()
	u.g.Configure([]Host{{Name: host}}, "/ca.crt", false, u.report)
	if u.file(t) != before || strings.Contains(u.out.String(), "changed") || !strings.Contains(u.out.String(), "already set") {
		t.Fatalf("a second Configure changed the file:\n%s", &u.out)
	}

	u.out.Reset()
	u.g.Unconfigure("/ca.crt", false, u.report)
	if got := u.file(t); got != original {
		t.Fatalf("after Unconfigure ~/.gitconfig = %q, want %q\n%s", got, original, &u.out)
	}
	// git 2.18 and later remove a section its last unset empties: the
	// section removal after it is not a failure to report.
	if strings.Contains(u.out.String(), "warning") || strings.Count(u.out.String(), "changed git: removed") != 2 {
		t.Fatalf("Unconfigure said:\n%s", &u.out)
	}
}

// A helper or CA the user set for the host stays, and is said to.
func TestConfigureKeepsTheUsersOwnSettingsForTheHost(t *testing.T) {
	u := newUser(t, "")
	key := "credential.https://" + host + ".helper"
	u.git(t, "--add", key, "cache")
	u.git(t, "http.https://"+host+".sslCAInfo", "/my/ca.pem")
	u.g.Configure([]Host{{Name: host}}, "/ca.crt", false, u.report)
	if got := u.git(t, "--get-all", key); got != "cache\n"+Helper+"\n" {
		t.Fatalf("%s = %q", key, got)
	}
	if !strings.Contains(u.out.String(), "also names cache") || !strings.Contains(u.out.String(), "/my/ca.pem, kept") {
		t.Fatalf("output:\n%s", &u.out)
	}
	u.g.Unconfigure("/ca.crt", false, u.report)
	if got := u.git(t, "--get-all", key); got != "cache\n" {
		t.Fatalf("after Unconfigure %s = %q", key, got)
	}
	if got := u.git(t, "--get", "http.https://"+host+".sslCAInfo"); got != "/my/ca.pem\n" {
		t.Fatalf("after Unconfigure sslCAInfo = %q", got)
	}
}

// Unconfigure finds every URL Configure set, whatever the hosts are now.
func TestUnconfigureRemovesTheSettingsOfEveryHost(t *testing.T) {
	u := newUser(t, "")
	hosts := []Host{{Name: host}, {Name: "gitea.other.example:8443"}, {Name: "gitea.plain.example:8080", Protocol: "http"}}
	u.g.Configure(hosts, "/ca.crt", false, u.report)
	for _, h := range hosts[:2] {
		if got := u.git(t, "--get", "http.https://"+h.Name+".sslCAInfo"); got == "" {
			t.Fatalf("no sslCAInfo for %s\n%s", h.Name, &u.out)
		}
	}
	if got := u.git(t, "--get-regexp", `^http\.http:`); got != "" {
		t.Fatalf("a CA was set for the http host: %q", got)
	}
	if got := u.git(t, "--get-all", "credential.http://gitea.plain.example:8080.helper"); got != "\n"+Helper+"\n" {
		t.Fatalf("http host helper = %q", got)
	}
	u.out.Reset()
	u.g.Unconfigure("/ca.crt", false, u.report)
	if got := u.file(t); strings.TrimSpace(got) != "" {
		t.Fatalf("after Unconfigure ~/.gitconfig = %q\n%s", got, &u.out)
	}
	if strings.Contains(u.out.String(), "warning") {
		t.Fatalf("Unconfigure warned:\n%s", &u.out)
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	u := newUser(t, "")
	u.g.Configure([]Host{{Name: host}}, "", true, u.report)
	if !strings.Contains(u.out.String(), "changed git: credential.https://"+host+".helper") {
		t.Fatalf("dry run output:\n%s", &u.out)
	}
	if _, err := os.Stat(filepath.Join(u.home, ".gitconfig")); !os.IsNotExist(err) {
		t.Fatal("a dry run wrote ~/.gitconfig")
	}
}

// The user's environment, not the process's, says where the global file is.
func TestOpenUsesTheGivenEnvironment(t *testing.T) {
	u := newUser(t, "")
	global := filepath.Join(u.home, "elsewhere.gitconfig")
	g, err := Open(u.home, func(k string) string {
		if k == "GIT_CONFIG_GLOBAL" {
			return global
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	g.Configure([]Host{{Name: host}}, "", false, u.report)
	data, err := os.ReadFile(global)
	if err != nil || !strings.Contains(string(data), Helper) {
		t.Fatalf("GIT_CONFIG_GLOBAL file = %q, %v", data, err)
	}
	if u.file(t) != "" {
		t.Fatal("~/.gitconfig was written although GIT_CONFIG_GLOBAL names another file")
	}
}
