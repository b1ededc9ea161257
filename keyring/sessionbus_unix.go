//go:build (dragonfly && cgo) || (freebsd && cgo) || linux || netbsd || openbsd

package keyring

// The build constraint is go-keyring's keyring_unix.go: the platforms where
// it talks to the Secret Service over D-Bus.

import (
	"fmt"
	"os"
	"os/user"
	"path"
	"strings"
)

// go-keyring connects with godbus's dbus.SessionBus, which, when it finds no
// session bus, runs dbus-launch: a new dbus-daemon per call, left running
// (SSH sessions, CI), each with an empty keyring. findSessionBus mirrors how
// godbus v5.2.2 finds the bus without launching one (getSessionBusAddress
// with autolaunch false, conn.go; tryDiscoverDbusSessionBusAddress and
// getRuntimeDirectory, conn_other.go), so System fails at once exactly where
// godbus would start a daemon. TestGodbusVersionPinned flags a go.mod change
// that needs this re-read.

const envSessionBus = "DBUS_SESSION_BUS_ADDRESS"

// checkSessionBus costs one environment read when the address is set, and
// a user lookup (cached by os/user, and godbus makes the same one) and one
// stat when it comes from /run/user/<uid>/bus.
func checkSessionBus() error {
	if findSessionBus(os.Getenv, runtimeDir) {
		return nil
	}
	where := "/run/user/<uid>/bus"
	if dir, err := runtimeDir(); err == nil {
		where = path.Join(dir, "bus")
	}
	return fmt.Errorf("no D-Bus session bus: %s is unset and %s does not exist (the helper does not start a bus of its own)", envSessionBus, where)
}

// findSessionBus reports whether godbus finds a session bus address without
// autolaunch. runtimeDir is godbus's /run/user/<uid>, whatever
// $XDG_RUNTIME_DIR says: godbus does not read it.
func findSessionBus(getenv func(string) string, runtimeDir func() (string, error)) bool {
	if addr := getenv(envSessionBus); addr != "" && addr != "autolaunch:" {
		return true
	}
	dir, err := runtimeDir()
	if err != nil {
		return false
	}
	// The socket itself (systemd's user bus). As in godbus, anything there
	// counts, even a file that is no socket: connecting to it then fails at
	// once, without a daemon.
	if exists(path.Join(dir, "bus")) {
		return true
	}
	// An older layout: a file holding DBUS_SESSION_BUS_ADDRESS=<address>.
	file := path.Join(dir, "dbus-session")
	if !exists(file) {
		return false
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return false
	}
	addr, ok := strings.CutPrefix(string(data), envSessionBus+"=")
	return ok && strings.TrimRight(addr, "\n\r") != ""
}

// runtimeDir is where godbus looks for the session bus.
func runtimeDir() (string, error) {
	u, err := user.Current()
	if err != nil {
		return "", err
	}
	return "/run/user/" + u.Uid, nil
}

// exists is godbus's fileExists: any answer but "does not exist" counts.
func exists(name string) bool {
	_, err := os.Stat(name)
	return !os.IsNotExist(err)
}
