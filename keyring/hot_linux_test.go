package keyring

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

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
	if err := h.Set("ttl.example", []byte("short"), time.Second); err != nil {
		t.Fatal(err)
	}
	if _, ok := h.Get("ttl.example"); !ok {
		t.Fatal("no hit right after Set")
	}
	time.Sleep(1600 * time.Millisecond)
	if _, ok := h.Get("ttl.example"); ok {
		t.Fatal("hit after the key's timeout")
	}
	// An update in place sets the timeout again.
	if err := h.Set("ttl.example", []byte("again"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if got, ok := h.Get("ttl.example"); !ok || string(got) != "again" {
		t.Fatalf("Get after a new Set = %q, %v", got, ok)
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
