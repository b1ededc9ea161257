//go:build (dragonfly && cgo) || (freebsd && cgo) || linux || netbsd || openbsd

package keyring

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	gokeyring "github.com/zalando/go-keyring"
)

// findSessionBus must say "found" exactly where godbus v5.2.2 finds an
// address without autolaunch: a "not found" where godbus finds one loses the
// keyring, a "found" where it finds none lets it start a dbus-daemon.
func TestFindSessionBus(t *testing.T) {
	tests := []struct {
		name   string
		env    map[string]string
		setup  func(t *testing.T, runtime string) // files in godbus's /run/user/<uid>
		noUser bool                               // user.Current fails: godbus skips the runtime folder
		want   bool
	}{
		{name: "address set", env: map[string]string{envSessionBus: "unix:path=/nonexistent/bus"}, want: true},
		{name: "neither", want: false},
		{name: "only the runtime folder's bus socket", setup: socketAt("bus"), want: true},
		{name: "a regular file at the runtime folder's bus", setup: fileAt("bus", ""), want: true},
		{name: "a folder at the runtime folder's bus", setup: func(t *testing.T, dir string) {
			if err := os.Mkdir(filepath.Join(dir, "bus"), 0o700); err != nil {
				t.Fatal(err)
			}
		}, want: true},
		{name: "address autolaunch: means unset", env: map[string]string{envSessionBus: "autolaunch:"}, want: false},
		{name: "autolaunch: with the bus socket", env: map[string]string{envSessionBus: "autolaunch:"}, setup: socketAt("bus"), want: true},
		{name: "a bus socket under XDG_RUNTIME_DIR only: godbus does not look there", env: map[string]string{"XDG_RUNTIME_DIR": "<xdg>"}, want: false},
		{name: "bus socket but no current user", setup: socketAt("bus"), noUser: true, want: false},
		{name: "dbus-session file with an address", setup: fileAt("dbus-session", "DBUS_SESSION_BUS_ADDRESS=unix:abstract=/tmp/dbus-x\n"), want: true},
		{name: "dbus-session file with an empty address", setup: fileAt("dbus-session", "DBUS_SESSION_BUS_ADDRESS=\r\n"), want: false},
		{name: "dbus-session file in another format", setup: fileAt("dbus-session", "# comment\nDBUS_SESSION_BUS_ADDRESS=unix:path=/x\n"), want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runtime := shortTempDir(t)
			if tt.setup != nil {
				tt.setup(t, runtime)
			}
			xdg := shortTempDir(t)
			socketAt("bus")(t, xdg)
			getenv := func(k string) string { return strings.ReplaceAll(tt.env[k], "<xdg>", xdg) }
			runtimeDir := func() (string, error) {
				if tt.noUser {
					return "", errors.New("user: Current requires cgo or $USER set in environment")
				}
				return runtime, nil
			}
			if got := findSessionBus(getenv, runtimeDir); got != tt.want {
				t.Fatalf("findSessionBus = %v, want %v", got, tt.want)
			}
		})
	}
}

// With no bus to find, System fails at once, go-keyring is not called, and
// the cache reports the keyring unavailable (get then reads the cluster).
func TestSystemWithoutSessionBus(t *testing.T) {
	t.Setenv(envSessionBus, "")
	if findSessionBus(os.Getenv, runtimeDir) {
		t.Skip("this machine has a session bus at /run/user/<uid>/bus")
	}
	gokeyring.MockInit()
	if err := gokeyring.Set(Service, "h", `{"username":"u","secret":"s"}`); err != nil {
		t.Fatal(err)
	}
	c := New(System{}, time.Second, nil)
	start := time.Now()
	_, ok, err := c.Get("h")
	if ok || !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "no D-Bus session bus: DBUS_SESSION_BUS_ADDRESS is unset") {
		t.Fatalf("Get = %v, %v; want ErrUnavailable naming the missing bus", ok, err)
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Fatalf("Get took %s; want an immediate answer", d)
	}
	for name, call := range map[string]func() error{
		"Set":    func() error { return System{}.Set(Service, "h", "x") },
		"Delete": func() error { return System{}.Delete(Service, "h") },
	} {
		if err := call(); err == nil || strings.Count(err.Error(), "\n") != 0 {
			t.Fatalf("%s = %v; want a one-line error", name, err)
		}
	}
	if raw, err := gokeyring.Get(Service, "h"); err != nil || raw != `{"username":"u","secret":"s"}` {
		t.Fatalf("go-keyring was reached: %q, %v", raw, err)
	}
}

// The same decision as godbus itself on this machine: its no-autolaunch
// connect fails with "couldn't determine address" exactly when
// findSessionBus finds nothing (the runtime folder is the real one here).
func TestFindSessionBusAgreesWithGodbus(t *testing.T) {
	for _, addr := range []string{"", "autolaunch:", "unix:path=/nonexistent/bus"} {
		t.Setenv(envSessionBus, addr)
		conn, err := dbus.SessionBusPrivateNoAutoStartup()
		if err == nil {
			conn.Close()
		}
		godbusFound := err == nil || !strings.Contains(err.Error(), "couldn't determine address of session bus")
		if got := findSessionBus(os.Getenv, runtimeDir); got != godbusFound {
			t.Errorf("%s=%q: findSessionBus = %v, godbus found an address: %v (%v)", envSessionBus, addr, got, godbusFound, err)
		}
	}
}

// findSessionBus mirrors one version of godbus. A go.mod with another one
// fails here: re-read its getSessionBusAddress (conn.go) and
// tryDiscoverDbusSessionBusAddress (conn_other.go), update findSessionBus,
// then this version.
func TestGodbusVersionPinned(t *testing.T) {
	const mirrored = "github.com/godbus/dbus/v5 v5.2.2"
	f, err := os.Open(filepath.Join("..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for s := bufio.NewScanner(f); s.Scan(); {
		line := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s.Text()), "// indirect"))
		if strings.HasPrefix(line, "github.com/godbus/dbus/v5 ") {
			if line != mirrored {
				t.Fatalf("go.mod requires %q; sessionbus_unix.go mirrors %q", line, mirrored)
			}
			return
		}
	}
	t.Fatal("go.mod no longer requires github.com/godbus/dbus/v5: check how go-keyring finds the session bus now")
}

// shortTempDir is a temporary folder with a short path: a socket path must
// fit in 108 bytes.
func shortTempDir(t *testing.T) string {
	dir, err := os.MkdirTemp("", "sb")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func socketAt(name string) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		l, err := net.Listen("unix", filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
	}
}

func fileAt(name, content string) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// The check runs before every keyring call, a cache hit included.
func BenchmarkCheckSessionBus(b *testing.B) {
	for _, addr := range []string{"unix:path=/run/user/1000/bus", ""} {
		b.Run(fmt.Sprintf("address=%q", addr), func(b *testing.B) {
			b.Setenv(envSessionBus, addr)
			for b.Loop() {
				_ = checkSessionBus()
			}
		})
	}
}
