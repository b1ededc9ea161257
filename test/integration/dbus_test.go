//go:build integration

package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestNoSessionBusStartsNoDaemon: over SSH or in CI there is no
// DBUS_SESSION_BUS_ADDRESS and no /run/user/<uid>/bus, and godbus (under
// go-keyring) would run dbus-launch, leaving a dbus-daemon behind per get.
// The helper must instead treat the keyring as unavailable and read the
// cluster. Each process the burst could start carries a marker in its
// environment (dbus-launch passes it on to the daemon), so the count is
// exact even while other sessions start and stop daemons on the machine.
func TestNoSessionBusStartsNoDaemon(t *testing.T) {
	if _, err := exec.LookPath("dbus-launch"); err != nil {
		t.Fatal("dbus-launch not found (apt-get install dbus-x11): without it this test cannot see the leak it guards against")
	}
	if bus := fmt.Sprintf("/run/user/%d/bus", os.Getuid()); fileThere(bus) {
		t.Skipf("%s exists: the helper finds this machine's session bus there, so nothing would autolaunch", bus)
	}
	api := newFakeAPI(t, "no-session-bus-0123456789")
	mark := fmt.Sprintf("IDPBUILDER_IT_DBUS_MARK=%d-%d", os.Getpid(), time.Now().UnixNano())
	var env []string
	for _, kv := range baseEnv(t, api.kubeconfig(t)) {
		if !strings.HasPrefix(kv, "DBUS_SESSION_BUS_ADDRESS=") {
			env = append(env, kv)
		}
	}
	env = append(env, mark, "IDPBUILDER_HELPER_DEBUG=1")
	t.Cleanup(func() {
		// Whatever the burst started (a daemon, the keyring it activated).
		for _, p := range marked(mark) {
			syscall.Kill(p.pid, syscall.SIGKILL)
		}
	})

	before := countDaemons()
	const burst = 5
	var stderr string
	for i := 0; i < burst; i++ {
		r := runHelper(t, env, registry+"\n", "get")
		if r.code != 0 || !strings.Contains(r.stdout, "no-session-bus-0123456789") {
			t.Fatalf("get %d without a session bus: %+v", i+1, r)
		}
		if i == 0 {
			stderr = r.stderr
		}
	}
	after := countDaemons()
	t.Logf("dbus-daemon processes on the machine: %d before, %d after %d gets", before, after, burst)

	var started []string
	daemons := 0
	for _, p := range marked(mark) {
		started = append(started, fmt.Sprintf("%s (PID %d)", p.comm, p.pid))
		if p.comm == "dbus-daemon" {
			daemons++
		}
	}
	if len(started) != 0 {
		t.Fatalf("%d gets with no session bus started %d dbus-daemon processes, and in all: %s", burst, daemons, strings.Join(started, ", "))
	}
	// No Secret Service: the hot tier (the kernel keyring) is the cache
	// where it is usable, and every get reads the cluster where it is not;
	// the first get's debug output says why the OS keyring is off.
	want := int64(burst)
	if hotTierUsable() {
		want = 1
	}
	if got := api.reads.Load(); got != want {
		t.Fatalf("the cluster was read %d times for %d gets; want %d", got, burst, want)
	}
	if !strings.Contains(stderr, "no D-Bus session bus") || strings.Contains(stderr, "no-session-bus-0123456789") {
		t.Fatalf("debug output of the last get: %q", stderr)
	}
}

type proc struct {
	pid  int
	comm string
}

// countDaemons counts the machine's dbus-daemon processes, zombies included.
func countDaemons() int {
	n := 0
	for _, p := range procs() {
		if p.comm == "dbus-daemon" {
			n++
		}
	}
	return n
}

// marked lists the live processes whose environment holds mark.
func marked(mark string) []proc {
	var out []proc
	for _, p := range procs() {
		environ, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p.pid), "environ"))
		if err == nil && strings.Contains("\x00"+string(environ), "\x00"+mark+"\x00") {
			out = append(out, p)
		}
	}
	return out
}

func procs() []proc {
	entries, _ := os.ReadDir("/proc")
	var out []proc
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		comm, err := os.ReadFile(filepath.Join("/proc", e.Name(), "comm"))
		if err != nil {
			continue
		}
		out = append(out, proc{pid: pid, comm: strings.TrimSpace(string(comm))})
	}
	return out
}

func fileThere(name string) bool {
	_, err := os.Stat(name)
	return !os.IsNotExist(err)
}
