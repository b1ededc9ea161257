//go:build e2e

// Package e2e proves the product on real parts: kube-apiserver and etcd
// holding idpbuilder's objects, Gitea's registry over TLS, gnome-keyring over
// D-Bus, dockerd, and the real clients. hack/e2e.sh builds the parts and runs
// this package inside a private mount namespace (so gitea.cnoe.localtest.me
// resolves to loopback without touching the machine's /etc/hosts) and a
// private keyring session.
package e2e

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// theRig is set up once by TestMain; tests share it and restore what they
// change (password, cluster state) before they end.
var theRig *rig

type rig struct {
	dir       string
	repo      string
	helperDir string // holds the built docker-credential-idpbuilder
	port      string // Gitea's HTTPS port
	registry  string // gitea.cnoe.localtest.me:<port>
	env       map[string]string
	// canary is the Gitea admin password: long and unique, so a search of
	// every file and log for it proves it leaked nowhere.
	canary string
}

func TestMain(m *testing.M) {
	code, err := runWithRig(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e rig:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func runWithRig(m *testing.M) (int, error) {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		return 0, fmt.Errorf("no D-Bus session: run the e2e suite through hack/e2e.sh")
	}
	if addrs, err := net.LookupHost("gitea.cnoe.localtest.me"); err != nil || len(addrs) == 0 || addrs[0] != "127.0.0.1" {
		return 0, fmt.Errorf("gitea.cnoe.localtest.me does not resolve to 127.0.0.1 (%v %v): run the e2e suite through hack/e2e.sh", addrs, err)
	}
	repo, err := filepath.Abs("../..")
	if err != nil {
		return 0, err
	}
	// hack/e2e.sh names the parent folder so it can stop a rig this process
	// could not (a go test timeout skips deferred functions).
	dir, err := os.MkdirTemp(os.Getenv("IDPBUILDER_E2E_RIGS"), "idpbuilder-e2e-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	r := &rig{dir: dir, repo: repo, canary: "canary-" + randomHex(20), env: map[string]string{}}
	if err := os.Mkdir(filepath.Join(dir, "secret"), 0o700); err != nil {
		return 0, err
	}
	if err := r.writePassword(r.canary); err != nil {
		return 0, err
	}
	if r.port, err = freePort(); err != nil {
		return 0, err
	}
	r.registry = "gitea.cnoe.localtest.me:" + r.port

	r.helperDir = filepath.Join(dir, "bin")
	// The helper and its companion program, side by side.
	build := exec.Command("go", "build", "-o", r.helperDir+string(os.PathSeparator), "./cmd/...")
	build.Dir, build.Stdout, build.Stderr = repo, os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return 0, fmt.Errorf("building the helper: %w", err)
	}

	// Stop every part on the way out, also after a failure.
	var started []string
	defer func() {
		for i := len(started) - 1; i >= 0; i-- {
			if err := r.script(started[i], "down"); err != nil {
				fmt.Fprintf(os.Stderr, "e2e rig: %s down: %v\n", started[i], err)
			}
		}
	}()
	start := time.Now()
	if err := r.script("gitea-cert.sh"); err != nil {
		return 0, err
	}
	for _, part := range []string{"gitea.sh", "kube.sh", "dockerd.sh"} {
		t0 := time.Now()
		if err := r.script(part, "up"); err != nil {
			return 0, err
		}
		started = append(started, part)
		fmt.Fprintf(os.Stderr, "e2e rig: %s up in %s\n", part, time.Since(t0).Round(time.Millisecond))
	}
	for _, f := range []string{"kube.env", "gitea.env", "docker.env"} {
		if err := r.loadEnv(filepath.Join(dir, f)); err != nil {
			return 0, err
		}
	}
	fmt.Fprintf(os.Stderr, "e2e rig: ready in %s (registry %s)\n", time.Since(start).Round(time.Millisecond), r.registry)
	theRig = r
	return scanAfterSuite(r, m.Run()), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	_, port, err := net.SplitHostPort(l.Addr().String())
	return port, err
}

// script runs test/rig/NAME with the rig's environment; its progress lines
// go to stderr.
func (r *rig) script(name string, args ...string) error {
	cmd := exec.Command(filepath.Join(r.repo, "test", "rig", name), args...)
	cmd.Env = append(os.Environ(), "RIG_DIR="+r.dir, "RIG_GITEA_PORT="+r.port)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	os.Stderr.Write(out.Bytes())
	if err != nil {
		return fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return nil
}

// loadEnv reads the `export K=V` lines a rig script wrote.
func (r *rig) loadEnv(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimPrefix(strings.TrimSpace(sc.Text()), "export ")
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		r.env[k] = strings.Trim(v, `"'`)
	}
	return sc.Err()
}

func (r *rig) writePassword(pw string) error {
	return os.WriteFile(filepath.Join(r.dir, "secret", "gitea-password"), []byte(pw), 0o600)
}

// setPassword changes the admin password in Gitea and in the cluster's
// secret, as `idpbuilder create --dev-password` does.
func (r *rig) setPassword(t *testing.T, pw string) {
	t.Helper()
	if err := r.writePassword(pw); err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{"gitea.sh", "kube.sh"} {
		if err := r.script(part, "set-password"); err != nil {
			t.Fatal(err)
		}
	}
}

// recreateCluster does what `idpbuilder delete` + `create` do: a new API
// server CA and etcd, and a new admin password in Gitea and in the secret.
// The canary password is restored when the test ends.
func (r *rig) recreateCluster(t *testing.T, password string) {
	t.Helper()
	t.Cleanup(func() { r.setPassword(t, r.canary) })
	if err := r.writePassword(password); err != nil {
		t.Fatal(err)
	}
	for _, step := range [][]string{{"kube.sh", "recreate"}, {"gitea.sh", "set-password"}} {
		if err := r.script(step[0], step[1]); err != nil {
			t.Fatal(err)
		}
	}
	// The new API server listens on new ports.
	if err := r.loadEnv(filepath.Join(r.dir, "kube.env")); err != nil {
		t.Fatal(err)
	}
}

// user is one person's machine: a fresh HOME, docker config and helper
// config, the rig's kubeconfig, the helper on PATH.
type user struct {
	t                          *testing.T
	home, dockerConfig, config string
	env                        []string
}

func (r *rig) newUser(t *testing.T, extra ...string) *user {
	t.Helper()
	home := t.TempDir()
	recordHome(t, home)
	u := &user{t: t, home: home, dockerConfig: filepath.Join(home, ".docker")}
	u.config = filepath.Join(home, ".config", "docker-credential-idpbuilder", "config.json")
	if err := os.MkdirAll(u.dockerConfig, 0o700); err != nil {
		t.Fatal(err)
	}
	// buildx is a CLI plugin found in $DOCKER_CONFIG/cli-plugins.
	if plugins := r.env["RIG_DOCKER_CLI_PLUGINS"]; plugins != "" {
		if err := os.Symlink(plugins, filepath.Join(u.dockerConfig, "cli-plugins")); err != nil {
			t.Fatal(err)
		}
	}
	runtimeDir := filepath.Join(home, "run")
	os.MkdirAll(runtimeDir, 0o700)
	u.env = []string{
		"HOME=" + home,
		"PATH=" + r.helperDir + string(os.PathListSeparator) + os.Getenv("PATH"),
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"XDG_RUNTIME_DIR=" + runtimeDir,
		"DOCKER_CONFIG=" + u.dockerConfig,
		"KUBECONFIG=" + r.env["RIG_KUBECONFIG"],
		"DBUS_SESSION_BUS_ADDRESS=" + os.Getenv("DBUS_SESSION_BUS_ADDRESS"),
		"DOCKER_HOST=" + r.env["DOCKER_HOST"],
	}
	if tmp := os.Getenv("TMPDIR"); tmp != "" {
		u.env = append(u.env, "TMPDIR="+tmp)
	}
	u.env = append(u.env, extra...)
	return u
}

// with returns a copy of the user with more environment.
func (u *user) with(kv ...string) *user {
	c := *u
	c.env = append(append([]string(nil), u.env...), kv...)
	return &c
}

type result struct {
	stdout, stderr string
	code           int
	elapsed        time.Duration
}

// run runs a command as the user; stdin may be empty.
func (u *user) run(stdin string, name string, args ...string) result {
	u.t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = u.env
	cmd.Dir = u.home
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	res := result{stdout: out.String(), stderr: errb.String(), elapsed: time.Since(start)}
	if exitErr, ok := err.(*exec.ExitError); ok {
		res.code = exitErr.ExitCode()
	} else if err != nil {
		u.t.Fatalf("%s: %v", name, err)
	}
	return res
}

// must runs a command that has to succeed.
func (u *user) must(stdin string, name string, args ...string) result {
	u.t.Helper()
	res := u.run(stdin, name, args...)
	if res.code != 0 {
		u.t.Fatalf("%s %s: exit %d\nstdout: %s\nstderr: %s", name, strings.Join(args, " "), res.code, res.stdout, res.stderr)
	}
	return res
}

// helper runs docker-credential-idpbuilder.
func (u *user) helper(stdin string, args ...string) result {
	u.t.Helper()
	return u.run(stdin, filepath.Join(theRig.helperDir, "docker-credential-idpbuilder"), args...)
}
