//go:build e2e

package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The files install edits, under faults: killed at random points, a
// read-only folder, a symlinked config, a full disk.

const killRuns = 200

// unknownDocker is a docker config with settings install knows nothing
// about; every one of them must survive.
const unknownDocker = `{
	"auths": {"quay.io": {"auth": "eDp5"}},
	"experimental": "enabled",
	"proxies": {"default": {"httpProxy": "http://127.0.0.1:3128", "noProxy": "*.local"}},
	"x-unknown": {"nested": [1, 2.5, {"k": null}], "s": "\u00e9\u003c"}
}
`

// containersAuth holds the cluster's own credential for registry, as
// `podman login` with the idpbuilder password leaves it: install removes
// that one (anyone else's credential makes it leave the registry alone).
func containersAuth(registry string) string {
	return `{"auths": {"` + registry + `": {"auth": "` + rigAuth() + `"}, "quay.io": {"auth": "eDp5"}}, "x-unknown": {"a": [true, false]}}`
}

// rigAuth is the auths value of the rig's credential, giteaAdmin:<canary>.
func rigAuth() string {
	return base64.StdEncoding.EncodeToString([]byte("giteaAdmin:" + theRig.canary))
}

// keeps checks path parses as a JSON object and holds every key of want
// except those listed in skip, with the same value; auths["quay.io"] too.
func keeps(path, want string, skip ...string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var got, orig map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		return fmt.Errorf("%s does not parse: %v: %q", path, err, data)
	}
	json.Unmarshal([]byte(want), &orig)
	for k, v := range orig {
		if k == "auths" {
			a, _ := got["auths"].(map[string]any)
			if !reflect.DeepEqual(a["quay.io"], v.(map[string]any)["quay.io"]) {
				return fmt.Errorf("%s lost auths[quay.io]: %s", path, data)
			}
			continue
		}
		if !slices.Contains(skip, k) && !reflect.DeepEqual(got[k], v) {
			return fmt.Errorf("%s lost or changed %q: %s", path, k, data)
		}
	}
	return nil
}

// leftovers lists install's temporary files in dir.
func leftovers(dir string) []string {
	m, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
	return m
}

func TestFilesInstallKilledAtRandomPoints(t *testing.T) {
	r := theRig
	u := r.newUser(t)
	dockerCfg := filepath.Join(u.dockerConfig, "config.json")
	authDir := filepath.Join(u.home, "run", "containers")
	authFile := filepath.Join(authDir, "auth.json")
	if err := os.WriteFile(dockerCfg, []byte(unknownDocker), 0o600); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(authDir, 0o700)
	if err := os.WriteFile(authFile, []byte(containersAuth(r.registry)), 0o600); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		for _, err := range []error{keeps(dockerCfg, unknownDocker, "credHelpers"), keeps(authFile, containersAuth(r.registry), "credHelpers")} {
			if err != nil {
				t.Fatalf("%s: %v", when, err)
			}
		}
		if data, err := os.ReadFile(u.config); err == nil && !json.Valid(data) {
			t.Fatalf("%s: the helper config does not parse: %q", when, data)
		}
	}
	// The time a whole run takes sets the range of the kill points.
	var full time.Duration
	var runs []time.Duration
	for i := 0; i < 3; i++ {
		for _, verb := range []string{"install", "uninstall"} {
			res := u.helper("", verb)
			if res.code != 0 {
				t.Fatalf("%s: %+v", verb, res)
			}
			full = max(full, res.elapsed)
			runs = append(runs, res.elapsed)
		}
	}
	check("after whole runs")
	slices.Sort(runs)
	median := runs[len(runs)/2]
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	var killedMidRun, finished int
	var latest time.Duration
	for i := 0; i < killRuns; i++ {
		verb := []string{"install", "uninstall"}[i%2]
		if verb == "install" {
			// Give install a stored password to remove, so it rewrites
			// the containers file on every run.
			var o map[string]any
			data, _ := os.ReadFile(authFile)
			json.Unmarshal(data, &o)
			if a, _ := o["auths"].(map[string]any); a[r.registry] == nil {
				a[r.registry] = map[string]any{"auth": rigAuth()}
				out, _ := json.Marshal(o)
				os.WriteFile(authFile, out, 0o600)
			}
		}
		cmd := exec.Command(fullHelper(), verb)
		cmd.Env, cmd.Dir = u.env, u.home
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		delay := time.Duration(rng.Int64N(int64(median)))
		time.Sleep(delay)
		cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) && exitErr.Sys().(syscall.WaitStatus).Signaled() {
			killedMidRun++
			latest = max(latest, delay)
		} else {
			finished++
		}
		check(fmt.Sprintf("run %d (%s killed after %s)", i, verb, delay))
	}
	left := append(leftovers(u.dockerConfig), leftovers(authDir)...)
	left = append(left, leftovers(filepath.Dir(u.config))...)
	t.Logf("FIGURE kill -9 of install/uninstall: %d runs, %d killed mid-run (kill points uniform in [0, %s), the median whole run; latest mid-run kill at %s; longest run %s), %d finished first; files parsed and kept every unknown field after each; %d temporary files left behind",
		killRuns, killedMidRun, median.Round(time.Millisecond), latest.Round(time.Millisecond), full.Round(time.Millisecond), finished, len(left))
	for _, f := range left {
		t.Logf("left behind: %s", f)
	}
	// A run to the end afterwards repairs whatever state a kill left.
	if res := u.helper("", "install"); res.code != 0 {
		t.Fatalf("install after the kills: %+v", res)
	}
	check("after a final install")
	if a := u.get(r.registry); a.Secret != r.canary {
		t.Fatal("get after the kills did not answer")
	}
}

// ownMountNamespace skips the test unless it runs in hack/e2e.sh's private
// mount namespace, where mounting changes nothing on the machine: the
// tmpfs e2e.sh mounts on /etc/docker/certs.d exists only there.
func ownMountNamespace(t *testing.T) {
	t.Helper()
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Skip(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) > 4 && f[4] == "/etc/docker/certs.d" && strings.Contains(line, " - tmpfs ") {
			return
		}
	}
	t.Skip("not in hack/e2e.sh's private mount namespace")
}

func mount(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("mount", args...).CombinedOutput(); err != nil {
		t.Fatalf("mount %v: %v %s", args, err, out)
	}
}

func umountAtCleanup(t *testing.T, dir string) {
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
}

// failsCleanly runs install and checks it fails with one line holding
// want, leaving path byte for byte as it was.
func failsCleanly(t *testing.T, u *user, path string, want string) result {
	t.Helper()
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	res := u.helper("", "install")
	if res.code != 1 || strings.Count(res.stderr, "\n") != 1 || !strings.Contains(res.stderr, want) {
		t.Fatalf("install: exit %d, stderr %q (want one line with %q), stdout %q", res.code, res.stderr, want, res.stdout)
	}
	after, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(before, after) {
		t.Fatalf("%s changed: %q -> %q (%v)", path, before, after, err)
	}
	if left := leftovers(filepath.Dir(path)); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
	t.Logf("error line (%s): %s", res.elapsed.Round(time.Millisecond), strings.TrimSpace(res.stderr))
	return res
}

func TestFilesReadOnlyDockerConfigFolder(t *testing.T) {
	ownMountNamespace(t)
	r := theRig
	u := r.newUser(t)
	cfg := filepath.Join(u.dockerConfig, "config.json")
	if err := os.WriteFile(cfg, []byte(unknownDocker), 0o600); err != nil {
		t.Fatal(err)
	}
	mount(t, "--bind", u.dockerConfig, u.dockerConfig)
	umountAtCleanup(t, u.dockerConfig)
	mount(t, "-o", "remount,bind,ro", u.dockerConfig)
	res := failsCleanly(t, u, cfg, "read-only file system")
	if !strings.Contains(res.stderr, cfg) {
		t.Errorf("the error does not name %s", cfg)
	}
	t.Logf("FIGURE read-only docker config folder: install failed in one line in %s, file unchanged", res.elapsed.Round(time.Millisecond))
	if _, err := os.Stat(u.config); err == nil {
		t.Errorf("the helper config %s was written before the docker config failed", u.config)
	}
}

func TestFilesDockerConfigIsASymlink(t *testing.T) {
	r := theRig
	u := r.newUser(t)
	dotfiles := filepath.Join(u.home, "dotfiles")
	os.MkdirAll(dotfiles, 0o700)
	target := filepath.Join(dotfiles, "docker-config.json")
	if err := os.WriteFile(target, []byte(unknownDocker), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(u.dockerConfig, "config.json")
	if err := os.Symlink("../dotfiles/docker-config.json", link); err != nil {
		t.Fatal(err)
	}
	isLink := func(when string) {
		t.Helper()
		if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Fatalf("%s: %s is no longer a symlink (%v)", when, link, err)
		}
	}
	res := u.must("", fullHelper(), "install")
	isLink("after install")
	if err := keeps(target, unknownDocker, "credHelpers"); err != nil {
		t.Fatal(err)
	}
	var got struct{ CredHelpers map[string]string }
	data, _ := os.ReadFile(target)
	json.Unmarshal(data, &got)
	if got.CredHelpers[r.registry] != "idpbuilder" {
		t.Fatalf("the link's target was not wired: %s", data)
	}
	if a := u.get(r.registry); a.Secret != r.canary {
		t.Fatal("get through the symlinked config failed")
	}
	u.must("", fullHelper(), "uninstall")
	isLink("after uninstall")
	if err := keeps(target, unknownDocker); err != nil {
		t.Fatal(err)
	}
	t.Logf("FIGURE symlinked docker config: install (%s) and uninstall kept the link and every unknown field", res.elapsed.Round(time.Millisecond))
}

func TestFilesDiskFull(t *testing.T) {
	ownMountNamespace(t)
	r := theRig
	u := r.newUser(t)
	full := filepath.Join(u.home, "full")
	os.MkdirAll(full, 0o700)
	mount(t, "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", full)
	umountAtCleanup(t, full)
	cfg := filepath.Join(full, "config.json")
	if err := os.WriteFile(cfg, []byte(unknownDocker), 0o600); err != nil {
		t.Fatal(err)
	}
	// Fill the file system to the last byte.
	filler, err := os.Create(filepath.Join(full, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 512)
	for {
		if _, err := filler.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	for _, n := range []int{64, 8, 1} {
		for {
			if _, err := filler.Write(chunk[:n]); err != nil {
				break
			}
		}
	}
	filler.Close()
	res := failsCleanly(t, u.with("DOCKER_CONFIG="+full), cfg, "no space left on device")
	t.Logf("FIGURE full disk: install failed in one line in %s, docker config unchanged, no temporary file left", res.elapsed.Round(time.Millisecond))
}
