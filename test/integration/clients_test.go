//go:build integration

package integration

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// findTool locates a client binary; the integration suite needs the real
// ones, so a missing tool fails rather than skips.
func findTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found on PATH: run test/rig/build-clients.sh and add its bin folder to PATH", name)
	}
	return p
}

// dockerConfigNamingUs writes a docker config whose credHelpers sends the
// registry to docker-credential-idpbuilder, and puts the helper on PATH.
func dockerConfigNamingUs(t *testing.T, env []string) []string {
	t.Helper()
	dir := t.TempDir()
	cfg := `{"credHelpers":{"` + registry + `":"idpbuilder"}}`
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	out := []string{"DOCKER_CONFIG=" + dir}
	for _, kv := range env {
		if strings.HasPrefix(kv, "PATH=") {
			kv = "PATH=" + filepath.Dir(helperBin) + string(os.PathListSeparator) + strings.TrimPrefix(kv, "PATH=")
		}
		out = append(out, kv)
	}
	return out
}

func TestCraneAuthGet(t *testing.T) {
	requireSessionBus(t)
	crane := findTool(t, "crane")
	api := newFakeAPI(t, "crane-sees-this-0123456789")
	env := dockerConfigNamingUs(t, baseEnv(t, api.kubeconfig(t)))
	erase(t, env)
	t.Cleanup(func() { erase(t, env) })

	cmd := exec.Command(crane, "auth", "get", registry)
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("crane auth get: %v (%s)", err, out)
	}
	var a struct{ Username, Secret string }
	if err := json.Unmarshal(out, &a); err != nil {
		t.Fatalf("crane printed %q: %v", out, err)
	}
	if a.Username != "giteaAdmin" || a.Secret != "crane-sees-this-0123456789" {
		t.Fatalf("crane auth get = %+v", a)
	}
	if api.reads.Load() != 1 {
		t.Fatalf("API reads = %d, want 1", api.reads.Load())
	}

	// A registry that is not ours resolves to anonymous, not an error.
	cmd = exec.Command(crane, "auth", "get", "other.registry.example:5000")
	cmd.Env = env
	out, err = cmd.CombinedOutput()
	if err == nil && strings.Contains(string(out), "crane-sees-this") {
		t.Fatalf("crane got our password for another registry: %s", out)
	}
}
