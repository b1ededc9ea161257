//go:build integration

package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/helper"
)

// envValue is the value of key in env.
func envValue(env []string, key string) string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, key+"="); ok {
			return v
		}
	}
	return ""
}

// TestTwoInstallsAtOnceLoseNothing (issue 21.1, issue 23's 40 parallel
// installs): 20 rounds, each from a fresh helper table and docker config,
// of two install processes started together for two different registries.
// Every round both hosts are in the helper's table and in the docker
// config's credHelpers, and get answers for both. Before atomicfile.Edit
// (a68fabc) one host was lost from the table in most rounds.
func TestTwoInstallsAtOnceLoseNothing(t *testing.T) {
	const password = "parallel-installs-0123456789"
	api := newFakeAPI(t, password)
	env := append(baseEnv(t, api.kubeconfig(t)), "IDPBUILDER_HELPER_NO_CACHE=1")
	home := envValue(env, "HOME")
	dockerDir := filepath.Join(home, ".docker")
	table := filepath.Join(envValue(env, "XDG_CONFIG_HOME"), "docker-credential-idpbuilder", "config.json")
	const rounds = 20
	lost := 0
	for i := range rounds {
		os.Remove(table)
		os.Remove(filepath.Join(dockerDir, "config.json"))
		hosts := []string{fmt.Sprintf("a%d.example:5000", i), fmt.Sprintf("b%d.example:5000", i)}
		results := make([]result, len(hosts))
		var wg sync.WaitGroup
		start := make(chan struct{})
		for j, h := range hosts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				results[j] = runHelper(t, env, "", "install", "--git=false", "--registry", h, "--docker-config", dockerDir)
			}()
		}
		close(start)
		wg.Wait()
		for j, res := range results {
			if res.code != 0 {
				t.Fatalf("round %d: install --registry %s: exit %d\nstdout:\n%s\nstderr:\n%s", i, hosts[j], res.code, res.stdout, res.stderr)
			}
		}
		var tbl struct {
			Registries map[string]json.RawMessage `json:"registries"`
		}
		var docker struct {
			CredHelpers map[string]string `json:"credHelpers"`
		}
		for path, v := range map[string]any{table: &tbl, filepath.Join(dockerDir, "config.json"): &docker} {
			data, err := os.ReadFile(path)
			if err != nil || json.Unmarshal(data, v) != nil {
				t.Fatalf("round %d: %s: %v\n%s", i, path, err, data)
			}
		}
		for _, h := range hosts {
			_, inTable := tbl.Registries[h]
			if !inTable || docker.CredHelpers[h] != "idpbuilder" {
				lost++
				t.Errorf("round %d: %s lost: in the table %v, credHelpers %q", i, h, inTable, docker.CredHelpers[h])
				continue
			}
			if a := mustGet(t, env, h); a.Secret != password {
				t.Errorf("round %d: get %s answered user %q and another password", i, h, a.Username)
			}
		}
	}
	t.Logf("FIGURE %d rounds of 2 concurrent installs: %d hosts lost", rounds, lost)
}

// TestInstallReplacesTheHotAnswer: install primes the keyring with the
// cluster's credential and clears the kernel keyring's copy of the old one
// (else get answered the old password for the rest of the fresh window),
// and uninstall leaves no answer in the kernel keyring.
func TestInstallReplacesTheHotAnswer(t *testing.T) {
	requireSessionBus(t)
	if !hotTierUsable() {
		t.Skip("no usable kernel keyring here, so there is no hot tier")
	}
	api := newFakeAPI(t, "hot-old-0123456789")
	env := baseEnv(t, api.kubeconfig(t))
	erase(t, env)
	t.Cleanup(func() { erase(t, env) })
	dockerDir := filepath.Join(envValue(env, "HOME"), ".docker")
	hot := helper.HotTier(filepath.Join(envValue(env, "XDG_CONFIG_HOME"), "docker-credential-idpbuilder", "config.json"))
	install := func() {
		t.Helper()
		if res := runHelper(t, env, "", "install", "--git=false", "--registry", registry, "--docker-config", dockerDir); res.code != 0 {
			t.Fatalf("install: exit %d\n%s%s", res.code, res.stdout, res.stderr)
		}
	}
	install()
	mustGet(t, env, registry)
	if _, ok := hot.Get(registry); !ok {
		t.Fatal("no hot answer after a get")
	}
	api.setPassword("hot-new-0123456789")
	install()
	if a := mustGet(t, env, registry); a.Secret != "hot-new-0123456789" {
		t.Fatal("get after install answered the old password")
	}
	if res := runHelper(t, env, "", "uninstall", "--docker-config", dockerDir); res.code != 0 {
		t.Fatalf("uninstall: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if _, ok := hot.Get(registry); ok {
		t.Fatal("a hot answer is left after uninstall")
	}
}

// TestInstallStopsBeforeItsFirstWrite (issue 21.6): where the user cannot
// write the docker config's folder, install fails before it writes the
// helper's table (it wrote the table and primed the cache, then failed).
// Run as nobody: root writes any folder.
func TestInstallStopsBeforeItsFirstWrite(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root, to run install as another user")
	}
	api := newFakeAPI(t, "read-only-docker-0123456789")
	home, err := os.MkdirTemp("", "idpbuilder-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(home) })
	bin := filepath.Join(home, "bin")
	kubeconfig := filepath.Join(home, "kubeconfig")
	copyFile(t, api.kubeconfig(t), kubeconfig, 0o600)
	for _, p := range []string{helperBin, helperBin + "-cluster"} {
		copyFile(t, p, filepath.Join(bin, filepath.Base(p)), 0o755)
	}
	dockerDir := filepath.Join(home, ".docker")
	if err := os.Mkdir(dockerDir, 0o555); err != nil {
		t.Fatal(err)
	}
	if err := filepath.Walk(home, func(p string, _ os.FileInfo, err error) error {
		if err == nil {
			err = os.Lchown(p, 65534, 65534)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	os.Chmod(home, 0o755)
	cmd := exec.Command(filepath.Join(bin, "docker-credential-idpbuilder"), "install", "--git=false", "--registry", registry)
	cmd.Env = []string{"HOME=" + home, "PATH=" + bin + ":/usr/bin:/bin", "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"KUBECONFIG=" + kubeconfig, "IDPBUILDER_HELPER_NO_CACHE=1"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "nothing was written") || !strings.Contains(string(out), dockerDir) {
		t.Fatalf("install with a read-only docker config folder: %v\n%s", err, out)
	}
	table := filepath.Join(home, ".config", "docker-credential-idpbuilder", "config.json")
	if _, err := os.Stat(table); !os.IsNotExist(err) {
		t.Fatalf("install wrote the helper's table before failing (%v):\n%s", err, out)
	}
}

func copyFile(t *testing.T, from, to string, perm os.FileMode) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err == nil {
		err = os.MkdirAll(filepath.Dir(to), 0o755)
	}
	if err == nil {
		err = os.WriteFile(to, data, perm)
	}
	if err != nil {
		t.Fatal(err)
	}
}
