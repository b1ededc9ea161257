package keyring

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The hot tier's rules, on the real kernel keyring of the user running
// the tests.

func testHot(t *testing.T) Hot {
	t.Helper()
	h := NewHot(fmt.Sprintf("test-%d-%s", os.Getpid(), strings.ReplaceAll(t.Name(), "/", "-")))
	if err := h.Usable(); err != nil {
		t.Skipf("no usable kernel keyring here (%v): the helper uses the OS keyring alone", err)
	}
	t.Cleanup(func() { h.ClearAll() })
	return h
}

func describe(t *testing.T, h Hot, host string) (uid, perm uint64) {
	t.Helper()
	id, err := h.find(host)
	if err != nil {
		t.Fatalf("find %s: %v", host, err)
	}
	d, err := unix.KeyctlString(unix.KEYCTL_DESCRIBE, id)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.SplitN(d, ";", 5)
	uid, _ = strconv.ParseUint(parts[1], 10, 32)
	perm, _ = strconv.ParseUint(parts[3], 16, 32)
	return uid, perm
}

func TestHotRoundTrip(t *testing.T) {
	h := testHot(t)
	other := NewHot(h.prefix[len(Service)+1:len(h.prefix)-1] + "-other")
	if _, ok := h.Get("a.example:5000"); ok {
		t.Fatal("hit before any Set")
	}
	if err := h.Set("a.example:5000", []byte("answer-a"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := h.Set("b.example:5000", bytes.Repeat([]byte("b"), 5000), time.Minute); err != nil {
		t.Fatal(err)
	}
	if got, ok := h.Get("a.example:5000"); !ok || string(got) != "answer-a" {
		t.Fatalf("Get = %q, %v", got, ok)
	}
	if got, ok := h.Get("b.example:5000"); !ok || len(got) != 5000 {
		t.Fatalf("Get of a payload larger than the first buffer = %d bytes, %v", len(got), ok)
	}
	if _, ok := other.Get("a.example:5000"); ok {
		t.Fatal("another scope read this scope's key")
	}
	if err := h.Clear("a.example:5000"); err != nil {
		t.Fatal(err)
	}
	if _, ok := h.Get("a.example:5000"); ok {
		t.Fatal("hit after Clear")
	}
	if err := h.Clear("a.example:5000"); err != nil {
		t.Fatalf("Clear of a missing key: %v", err)
	}
	if err := h.ClearAll(); err != nil {
		t.Fatal(err)
	}
	if _, ok := h.Get("b.example:5000"); ok {
		t.Fatal("hit after ClearAll")
	}
}

func TestHotPermissionsAreTheUsersAlone(t *testing.T) {
	h := testHot(t)
	for range 2 { // created, then updated in place
		if err := h.Set("perm.example", []byte("secret"), time.Minute); err != nil {
			t.Fatal(err)
		}
		uid, perm := describe(t, h, "perm.example")
		if uid != uint64(os.Getuid()) {
			t.Fatalf("key owned by uid %d, want %d", uid, os.Getuid())
		}
		if perm != hotPerm || perm&0x0000ffff != 0 {
			t.Fatalf("key permissions %#x, want %#x (nothing for group or others)", perm, hotPerm)
		}
	}
}

func TestHotExpires(t *testing.T) {
	h := testHot(t)
	for _, set := range []struct {
		host string
		ttl  time.Duration
	}{{"ttl.example", time.Second}, {"again.example", time.Second}, {"again.example", time.Minute}} {
		if err := h.Set(set.host, []byte(set.host), set.ttl); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := h.Get("ttl.example"); !ok {
		t.Fatal("no hit right after Set")
	}
	time.Sleep(1600 * time.Millisecond)
	if _, ok := h.Get("ttl.example"); ok {
		t.Fatal("hit after the key's timeout")
	}
	if got, ok := h.Get("again.example"); !ok || string(got) != "again.example" {
		t.Fatalf("a second Set did not set the timeout again: Get = %q, %v", got, ok)
	}
}

// TestHotWithoutPossession re-runs this test binary, as the same user, in
// a new anonymous session keyring that does not link the user keyring, as
// a systemd system service or a container runtime gives one: it possesses
// none of the user's keys, yet reads, writes and clears them.
func TestHotWithoutPossession(t *testing.T) {
	if scope := os.Getenv("HOT_TEST_NO_POSSESSION"); scope != "" {
		runtime.LockOSThread() // a session keyring is a thread's credential
		if _, _, e := unix.Syscall(unix.SYS_KEYCTL, unix.KEYCTL_JOIN_SESSION_KEYRING, 0, 0); e != 0 {
			t.Fatalf("join an anonymous session keyring: %v", e)
		}
		h := NewHot(scope)
		if got, ok := h.Get("parent.example"); !ok || string(got) != "from the parent" {
			t.Errorf("Get of the parent's key = %q, %v", got, ok)
		}
		if err := h.Set("child.example", []byte("from the child"), time.Minute); err != nil {
			t.Errorf("Set: %v", err)
		}
		if _, perm := describe(t, h, "child.example"); perm != hotPerm {
			t.Errorf("key permissions %#x, want %#x", perm, hotPerm)
		}
		if err := h.Clear("parent.example"); err != nil {
			t.Errorf("Clear: %v", err)
		}
		return
	}
	h := testHot(t)
	if err := h.Set("parent.example", []byte("from the parent"), time.Minute); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHotWithoutPossession$")
	cmd.Env = []string{"HOT_TEST_NO_POSSESSION=" + h.prefix[len(Service)+1:len(h.prefix)-1]}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the process without possession: %v\n%s", err, out)
	}
	if got, ok := h.Get("child.example"); !ok || string(got) != "from the child" {
		t.Fatalf("Get of the child's key = %q, %v", got, ok)
	}
	if _, ok := h.Get("parent.example"); ok {
		t.Fatal("the child's Clear left the key")
	}
}

// TestHotAnotherUserCannotRead re-runs this test binary as nobody, which
// looks for the key in its own user keyring and, by id, in ours.
func TestHotAnotherUserCannotRead(t *testing.T) {
	if id := os.Getenv("HOT_TEST_READ_ID"); id != "" {
		n, _ := strconv.Atoi(id)
		buf := make([]byte, 64)
		if _, err := unix.KeyctlBuffer(unix.KEYCTL_READ, n, buf, 0); err == nil {
			fmt.Println("READ")
		}
		if _, err := NewHot(os.Getenv("HOT_TEST_SCOPE")).find("other.example"); err == nil {
			fmt.Println("FOUND")
		}
		return
	}
	if os.Getuid() != 0 {
		t.Skip("needs root to run a process as another user")
	}
	h := testHot(t)
	if err := h.Set("other.example", []byte("secret"), time.Minute); err != nil {
		t.Fatal(err)
	}
	id, _ := h.find("other.example")
	// The test binary, where nobody may run it.
	dir, err := os.MkdirTemp("", "hot-test-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	bin, err := os.ReadFile(os.Args[0])
	if err == nil {
		err = os.WriteFile(dir+"/keyring.test", bin, 0o755)
	}
	if err == nil {
		err = os.Chmod(dir, 0o755)
	}
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(dir+"/keyring.test", "-test.run=^TestHotAnotherUserCannotRead$")
	cmd.Env = []string{"HOT_TEST_READ_ID=" + strconv.Itoa(id), "HOT_TEST_SCOPE=" + h.prefix[len(Service)+1:len(h.prefix)-1]}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the process as nobody: %v\n%s", err, out)
	}
	if bytes.Contains(out, []byte("READ")) || bytes.Contains(out, []byte("FOUND")) {
		t.Fatalf("another user reached the key:\n%s", out)
	}
}

func TestHotNeverPanicsOnABadKey(t *testing.T) {
	h := testHot(t)
	// A key of this name that is not ours to read: a keyring in its place.
	if _, err := unix.AddKey("keyring", h.prefix+"odd.example", nil, unix.KEY_SPEC_USER_KEYRING); err != nil {
		t.Skipf("cannot plant a keyring: %v", err)
	}
	t.Cleanup(func() {
		if id, err := unix.KeyctlSearch(unix.KEY_SPEC_USER_KEYRING, "keyring", h.prefix+"odd.example", 0); err == nil {
			unix.KeyctlInt(unix.KEYCTL_INVALIDATE, id, 0, 0, 0)
		}
	})
	if _, ok := h.Get("odd.example"); ok {
		t.Fatal("a keyring of the same name answered")
	}
}

// TestHotWithoutKeyctl re-runs this test binary under a seccomp filter
// that refuses the keyring calls with EPERM, as Docker's default profile
// does: every method fails quietly, none panics, Get misses.
func TestHotWithoutKeyctl(t *testing.T) {
	if os.Getenv("HOT_TEST_NO_KEYCTL") != "" {
		deny := func(nr uintptr) []unix.SockFilter {
			return []unix.SockFilter{
				{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 0, Jf: 1, K: uint32(nr)},
				{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)},
			}
		}
		filter := []unix.SockFilter{{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 0}} // the call's number
		for _, nr := range []uintptr{unix.SYS_KEYCTL, unix.SYS_ADD_KEY, unix.SYS_REQUEST_KEY} {
			filter = append(filter, deny(nr)...)
		}
		filter = append(filter, unix.SockFilter{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW})
		prog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			t.Fatal(err)
		}
		if _, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&prog))); e != 0 {
			t.Fatalf("seccomp: %v", e)
		}
		h := NewHot("no-keyctl")
		if err := h.Usable(); !errors.Is(err, unix.EPERM) {
			t.Errorf("Usable = %v, want EPERM", err)
		}
		if err := h.Set("a.example", []byte("x"), time.Minute); err == nil {
			t.Error("Set succeeded without keyctl")
		}
		if _, ok := h.Get("a.example"); ok {
			t.Error("Get hit without keyctl")
		}
		if h.Clear("a.example") == nil || h.ClearAll() == nil {
			t.Error("Clear or ClearAll reported success without keyctl")
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHotWithoutKeyctl$", "-test.v")
	cmd.Env = []string{"HOT_TEST_NO_KEYCTL=1"}
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("--- PASS")) {
		t.Fatalf("the process without keyctl: %v\n%s", err, out)
	}
}

func BenchmarkHotGet(b *testing.B) {
	h := NewHot(fmt.Sprintf("bench-%d", os.Getpid()))
	if err := h.Set("bench.example", bytes.Repeat([]byte("x"), 600), time.Minute); err != nil {
		b.Skip(err)
	}
	defer h.ClearAll()
	for b.Loop() {
		if _, ok := h.Get("bench.example"); !ok {
			b.Fatal("miss")
		}
	}
}
