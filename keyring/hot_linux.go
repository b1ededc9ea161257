package keyring

import (
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// hotPerm: everything for the possessor; view, read, write, search and
// setattr for the user's other processes (those whose session keyring
// does not link the user keyring, so do not possess the key); nothing for
// the group or others. No link: the key stays in the user keyring only.
// (The kernel's values: possessor bits 0x3f000000, user bits 0x00ff0000
// with view 0x01, read 0x02, write 0x04, search 0x08, setattr 0x20.)
const hotPerm = 0x3f000000 | 0x002f0000

// Hot is the hot tier: a copy of a cached answer in the user's kernel
// keyring (a "user" key in @u, see RELIABILITY.md for why not the
// persistent keyring), so a hit costs two system calls instead of a D-Bus
// conversation. The OS keyring stays the record; every method is best
// effort, and any failure (a container runtime forbidding keyctl, a quota)
// is a miss.
type Hot struct{ prefix string }

// NewHot scopes keys by scope (one table, one scope).
func NewHot(scope string) Hot { return Hot{prefix: Service + ":" + scope + ":"} }

func (h Hot) find(host string) (int, error) {
	return unix.KeyctlSearch(unix.KEY_SPEC_USER_KEYRING, "user", h.prefix+host, 0)
}

// Get returns host's payload; ok is false on a miss or any error.
func (h Hot) Get(host string) (payload []byte, ok bool) {
	id, err := h.find(host)
	if err != nil {
		return nil, false
	}
	buf := make([]byte, 2048)
	for {
		n, err := unix.KeyctlBuffer(unix.KEYCTL_READ, id, buf, 0)
		if err != nil || n == 0 {
			return nil, false
		}
		if n <= len(buf) {
			return buf[:n], true
		}
		buf = make([]byte, n)
	}
}

// Set stores payload for host until ttl passes. The key gets a placeholder
// (a user key cannot be empty) and its permissions before the payload goes
// in, so a key whose permissions could not be set never holds a secret;
// the timeout comes last, since the kernel drops it when a key's payload
// is replaced, and a key left without one is cleared.
func (h Hot) Set(host string, payload []byte, ttl time.Duration) error {
	desc := h.prefix + host
	id, err := unix.AddKey("user", desc, []byte{'-'}, unix.KEY_SPEC_USER_KEYRING)
	if err == nil {
		err = unix.KeyctlSetperm(id, hotPerm)
	}
	if err == nil {
		_, err = unix.AddKey("user", desc, payload, unix.KEY_SPEC_USER_KEYRING)
	}
	if err == nil {
		if _, err = unix.KeyctlInt(unix.KEYCTL_SET_TIMEOUT, id, int(max(ttl.Round(time.Second)/time.Second, 1)), 0, 0); err != nil {
			unix.KeyctlInt(unix.KEYCTL_INVALIDATE, id, 0, 0, 0)
		}
	}
	if err != nil {
		return fmt.Errorf("kernel keyring: %w", err)
	}
	return nil
}

// Clear removes host's key; none is not an error.
func (h Hot) Clear(host string) error {
	id, err := h.find(host)
	if err == unix.ENOKEY || err == unix.EKEYREVOKED || err == unix.EKEYEXPIRED {
		return nil // none, or one on its way out
	}
	if err == nil {
		_, err = unix.KeyctlInt(unix.KEYCTL_INVALIDATE, id, 0, 0, 0)
	}
	if err != nil {
		return fmt.Errorf("kernel keyring: %w", err)
	}
	return nil
}

// ClearAll removes every key of this scope from the user keyring.
func (h Hot) ClearAll() error {
	buf := make([]byte, 4096)
	n, err := unix.KeyctlBuffer(unix.KEYCTL_READ, unix.KEY_SPEC_USER_KEYRING, buf, 0)
	if n > len(buf) {
		buf = make([]byte, n)
		n, err = unix.KeyctlBuffer(unix.KEYCTL_READ, unix.KEY_SPEC_USER_KEYRING, buf, 0)
	}
	if err != nil {
		return fmt.Errorf("kernel keyring: %w", err)
	}
	for i := 0; i+4 <= min(n, len(buf)); i += 4 {
		id := int(int32(binary.NativeEndian.Uint32(buf[i:])))
		// "type;uid;gid;perm;description"
		if d, err := unix.KeyctlString(unix.KEYCTL_DESCRIBE, id); err == nil && strings.HasPrefix(d, "user;") {
			if parts := strings.SplitN(d, ";", 5); len(parts) == 5 && strings.HasPrefix(parts[4], h.prefix) {
				unix.KeyctlInt(unix.KEYCTL_INVALIDATE, id, 0, 0, 0)
			}
		}
	}
	return nil
}

// Usable reports whether the kernel keyring can be used here.
func (h Hot) Usable() error {
	if _, err := unix.KeyctlGetKeyringID(unix.KEY_SPEC_USER_KEYRING, true); err != nil {
		return fmt.Errorf("kernel keyring: %w", err)
	}
	return nil
}
