//go:build integration

// Package integration runs the built binary against real parts: the OS
// keyring over D-Bus (gnome-keyring), an HTTPS Kubernetes API, and real
// clients (crane). Run it inside hack/with-keyring.sh; see README.md.
package integration

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// helperBin is the docker-credential-idpbuilder binary built for this run,
// with docker-credential-idpbuilder-cluster beside it.
var helperBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "idpbuilder-it-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	helperBin = filepath.Join(dir, "docker-credential-idpbuilder")
	// Both programs, side by side as install puts them: the helper runs its
	// companion on a cache miss.
	build := exec.Command("go", "build", "-o", dir+string(os.PathSeparator), "github.com/cnoe-io/docker-credential-idpbuilder/cmd/...")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the helper:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is one run of the helper.
type result struct {
	stdout, stderr string
	code           int
	elapsed        time.Duration
}

// runHelper runs the binary the way docker does: verb as the only argument,
// the request on stdin, with env added to a minimal environment.
func runHelper(t *testing.T, env []string, stdin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(helperBin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Env = env
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String(), elapsed: time.Since(start)}
	if exitErr, ok := err.(*exec.ExitError); ok {
		r.code = exitErr.ExitCode()
	} else if err != nil {
		t.Fatalf("running %v: %v", args, err)
	}
	return r
}

// baseEnv is a clean environment: a private HOME and config, and the
// session bus of the keyring daemon when there is one.
func baseEnv(t *testing.T, kubeconfig string) []string {
	home := t.TempDir()
	env := []string{
		"HOME=" + home,
		"PATH=" + os.Getenv("PATH"),
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"KUBECONFIG=" + kubeconfig,
	}
	if bus := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); bus != "" {
		env = append(env, "DBUS_SESSION_BUS_ADDRESS="+bus)
	}
	return env
}

func requireSessionBus(t *testing.T) {
	t.Helper()
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		t.Fatal("no D-Bus session: run the integration tests through hack/with-keyring.sh")
	}
}
