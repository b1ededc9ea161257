package install

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/gitconfig"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
	"github.com/cnoe-io/docker-credential-idpbuilder/test/fakes"
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

// gitHelperFor reads the rig user's global git config as status does: is
// the helper git's for host, and which CA file does git trust for it.
func (r *rig) gitHelperFor(t *testing.T, host, protocol string) (bool, string) {
	t.Helper()
	g, err := gitconfig.Open(r.home, r.in.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := g.Read()
	if err != nil {
		t.Fatal(err)
	}
	return cfg.HelperFor(gitconfig.URL(host, protocol))
}

func localbuild(t *testing.T) *fakes.Cluster {
	return installCluster(&fakes.Cluster{Builds: []idpbuilder.Localbuild{{Name: "localdev", Protocol: "https", Host: "cnoe.localtest.me", Port: "8443", SelfSignedCert: selfSignedPEM(t)}}})
}

func TestInstallConfiguresGit(t *testing.T) {
	requireGit(t)
	r := newRig(t, localbuild(t))
	gitconfigFile := filepath.Join(r.home, ".gitconfig")
	original := "[user]\n\tname = Someone\n[credential]\n\thelper = store\n"
	os.WriteFile(gitconfigFile, []byte(original), 0o644)

	if err := r.in.Install(Options{TrustCA: true, Git: true}); err != nil {
		t.Fatalf("Install: %v\n%s", err, r.out)
	}
	key := "credential.https://" + gitHost + ".helper"
	if got := r.gitGlobal(t, "--get-all", key); got != "\n"+gitconfig.Helper+"\n" {
		t.Fatalf("%s = %q\n%s", key, got, r.out)
	}
	ca := filepath.Join(r.home, ".config", "docker-credential-idpbuilder", "ca.crt")
	if got := r.gitGlobal(t, "--get", "http.https://"+gitHost+".sslCAInfo"); got != ca+"\n" {
		t.Fatalf("sslCAInfo = %q", got)
	}
	// git's own URL matching picks our helper for the host, after the reset.
	if got := r.gitGlobal(t, "--get-urlmatch", "credential.helper", "https://"+gitHost+"/giteaAdmin/r.git"); got != gitconfig.Helper+"\n" {
		t.Fatalf("urlmatch = %q", got)
	}
	if got := r.gitGlobal(t, "--get-urlmatch", "credential.helper", "https://github.com/x/y"); got != "store\n" {
		t.Fatalf("other hosts lost their helper: %q", got)
	}
	if ok, caFile := r.gitHelperFor(t, gitHost, ""); !ok || caFile != ca {
		t.Fatalf("git's helper for %s: %v, CA %q", gitHost, ok, caFile)
	}
	if strings.Contains(read(t, gitconfigFile), "install-secret") {
		t.Fatal("a password reached the git config")
	}

	// A second install changes nothing.
	before := read(t, gitconfigFile)
	r.out.Reset()
	if err := r.in.Install(Options{TrustCA: true, Git: true}); err != nil {
		t.Fatal(err)
	}
	if read(t, gitconfigFile) != before || !strings.Contains(r.out.String(), "already set") {
		t.Fatalf("second install changed the git config:\n%s", r.out)
	}

	r.out.Reset()
	if err := r.in.Uninstall(Options{}); err != nil {
		t.Fatal(err)
	}
	if got := read(t, gitconfigFile); got != original {
		t.Fatalf("after uninstall ~/.gitconfig = %q, want %q\n%s", got, original, r.out)
	}
	if ok, _ := r.gitHelperFor(t, gitHost, ""); ok {
		t.Fatal("git still has the helper after uninstall")
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
