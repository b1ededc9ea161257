//go:build integration

package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestHungPluginEndsWithTheRead (issue 21 item 3): an exec credential plugin
// that hangs must not outlive the get that ran it. The companion cannot
// kill what client-go started, so the helper runs it in a process group of
// its own and ends the group after the read; before, the plugin was still
// running 5 s later, re-parented to PID 1.
func TestHungPluginEndsWithTheRead(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "plugin.pid")
	plugin := filepath.Join(dir, "kube-login")
	script := fmt.Sprintf("#!/bin/sh\necho $$ > %s\nexec sleep 30\n", pidFile)
	if err := os.WriteFile(plugin, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	kubeconfig := filepath.Join(dir, "kubeconfig")
	cfg := `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}
users:
- name: u
  user:
    exec: {apiVersion: client.authentication.k8s.io/v1, command: ` + plugin + `, interactiveMode: Never}
contexts:
- name: kind-localdev
  context: {cluster: c, user: u}
current-context: kind-localdev
`
	if err := os.WriteFile(kubeconfig, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	// 4 s: time for the companion to start the plugin on a busy machine.
	env := append(baseEnv(t, kubeconfig), "IDPBUILDER_HELPER_TIMEOUT=4s", "IDPBUILDER_HELPER_NO_CACHE=1")
	r := runHelper(t, env, registry+"\n", "get")
	// The companion's "timed out", or, when it did not answer in time
	// either, the helper's "before the deadline".
	if r.code == 0 || !strings.Contains(r.stdout, "timed out") && !strings.Contains(r.stdout, "before the deadline") {
		t.Fatalf("get with a hung plugin: exit %d, stdout %q, stderr %q; want a timeout", r.code, r.stdout, r.stderr)
	}
	data, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatalf("the plugin never ran: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	// The group is ended when the read returns; give the kernel a moment.
	deadline := time.Now().Add(2 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("the plugin (pid %d) still runs 2 s after get returned (in %s)", pid, r.elapsed.Round(time.Millisecond))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
