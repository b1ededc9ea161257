package install

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/fakes"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
)

const gitHost = "gitea.cnoe.localtest.me:8443"

func requireGit(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
}

// gitGlobal runs git config --global in the rig's HOME.
func (r *rig) gitGlobal(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"config", "--global"}, args...)...)
	cmd.Env = append(os.Environ(), "HOME="+r.home, "XDG_CONFIG_HOME="+filepath.Join(r.home, ".config"))
	out, _ := cmd.Output()
	return string(out)
}

func localbuild(t *testing.T) *fakes.Cluster {
	return installCluster(&fakes.Cluster{Builds: []idpbuilder.Localbuild{{Name: "localdev", Protocol: "https", Host: "cnoe.localtest.me", Port: "8443", SelfSignedCert: selfSignedPEM(t)}}})
}

func TestInstallConfiguresGit(t *testing.T) {
	requireGit(t)
	r := newRig(t, localbuild(t))
	gitconfig := filepath.Join(r.home, ".gitconfig")
	original := "[user]\n\tname = Someone\n[credential]\n\thelper = store\n"
	os.WriteFile(gitconfig, []byte(original), 0o644)

	if err := r.in.Install(Options{TrustCA: true, Git: true}); err != nil {
		t.Fatalf("Install: %v\n%s", err, r.out)
	}
	key := "credential.https://" + gitHost + ".helper"
	if got := r.gitGlobal(t, "--get-all", key); got != "\n"+GitHelper+"\n" {
		t.Fatalf("%s = %q\n%s", key, got, r.out)
	}
	ca := filepath.Join(r.home, ".config", "docker-credential-idpbuilder", "ca.crt")
	if got := r.gitGlobal(t, "--get", "http.https://"+gitHost+".sslCAInfo"); got != ca+"\n" {
		t.Fatalf("sslCAInfo = %q", got)
	}
	// git's own URL matching picks our helper for the host, after the reset.
	if got := r.gitGlobal(t, "--get-urlmatch", "credential.helper", "https://"+gitHost+"/giteaAdmin/r.git"); got != GitHelper+"\n" {
		t.Fatalf("urlmatch = %q", got)
	}
	if got := r.gitGlobal(t, "--get-urlmatch", "credential.helper", "https://github.com/x/y"); got != "store\n" {
		t.Fatalf("other hosts lost their helper: %q", got)
	}
	if c := r.in.GitCheck(gitHost, ""); !c.OK || !strings.Contains(c.Detail, GitHelper) || !strings.Contains(c.Detail, ca) {
		t.Fatalf("GitCheck = %+v", c)
	}
	if strings.Contains(read(t, gitconfig), "install-secret") {
		t.Fatal("a password reached the git config")
	}

	// A second install changes nothing.
	before := read(t, gitconfig)
	r.out.Reset()
	if err := r.in.Install(Options{TrustCA: true, Git: true}); err != nil {
		t.Fatal(err)
	}
	if read(t, gitconfig) != before || !strings.Contains(r.out.String(), "already set") {
		t.Fatalf("second install changed the git config:\n%s", r.out)
	}

	r.out.Reset()
	if err := r.in.Uninstall(Options{}); err != nil {
		t.Fatal(err)
	}
	if got := read(t, gitconfig); got != original {
		t.Fatalf("after uninstall ~/.gitconfig = %q, want %q\n%s", got, original, r.out)
	}
	if c := r.in.GitCheck(gitHost, ""); c.OK || c.Fix == "" {
		t.Fatalf("GitCheck after uninstall = %+v", c)
	}
}

func TestInstallKeepsTheUsersOwnHelperForTheHost(t *testing.T) {
	requireGit(t)
	r := newRig(t, localbuild(t))
	key := "credential.https://" + gitHost + ".helper"
	r.gitGlobal(t, "--add", key, "cache")
	r.gitGlobal(t, "http.https://"+gitHost+".sslCAInfo", "/my/ca.pem")
	if err := r.in.Install(Options{TrustCA: true, Git: true}); err != nil {
		t.Fatal(err)
	}
	if got := r.gitGlobal(t, "--get-all", key); got != "cache\n"+GitHelper+"\n" {
		t.Fatalf("%s = %q", key, got)
	}
	if !strings.Contains(r.out.String(), "also names cache") || !strings.Contains(r.out.String(), "/my/ca.pem, kept") {
		t.Fatalf("install output:\n%s", r.out)
	}
	if err := r.in.Uninstall(Options{}); err != nil {
		t.Fatal(err)
	}
	if got := r.gitGlobal(t, "--get-all", key); got != "cache\n" {
		t.Fatalf("after uninstall %s = %q", key, got)
	}
	if got := r.gitGlobal(t, "--get", "http.https://"+gitHost+".sslCAInfo"); got != "/my/ca.pem\n" {
		t.Fatalf("after uninstall sslCAInfo = %q", got)
	}
}

func TestInstallGitDryRunAndOptOut(t *testing.T) {
	requireGit(t)
	r := newRig(t, localbuild(t))
	if err := r.in.Install(Options{Git: true, DryRun: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.out.String(), "would change") || !strings.Contains(r.out.String(), "credential.https://"+gitHost+".helper") {
		t.Fatalf("dry run output:\n%s", r.out)
	}
	if _, err := os.Stat(filepath.Join(r.home, ".gitconfig")); !os.IsNotExist(err) {
		t.Fatal("a dry run wrote ~/.gitconfig")
	}
	if err := r.in.Install(Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(r.home, ".gitconfig")); !os.IsNotExist(err) {
		t.Fatal("install without Git wrote ~/.gitconfig")
	}
}

func TestUninstallRemovesGitSettingsOfEveryHost(t *testing.T) {
	requireGit(t)
	r := newRig(t, installCluster(&fakes.Cluster{Builds: []idpbuilder.Localbuild{{Name: "localdev", Protocol: "https", Host: "cnoe.localtest.me",
		IngressHost: "other.example", Port: "8443", SelfSignedCert: selfSignedPEM(t)}}}))
	if err := r.in.Install(Options{TrustCA: true, Git: true}); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{gitHost, "gitea.other.example:8443"} {
		if got := r.gitGlobal(t, "--get", "http.https://"+h+".sslCAInfo"); got == "" {
			t.Fatalf("no sslCAInfo for %s\n%s", h, r.out)
		}
	}
	if err := r.in.Uninstall(Options{}); err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(filepath.Join(r.home, ".gitconfig")); err != nil || strings.TrimSpace(string(data)) != "" {
		t.Fatalf("after uninstall ~/.gitconfig = %q, %v\n%s", data, err, r.out)
	}
}
