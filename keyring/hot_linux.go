package keyring

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// hotPerm: everything for the possessor (the process that makes the key);
// view, read and search for the user's other processes, which need not
// possess it (a session keyring that does not link the user keyring), so
// they can read and invalidate it; nothing for the group or others, and
// no link or setattr for anyone but the possessor. (The kernel's values:
// possessor bits 0x3f000000, user bits 0x00ff0000 with view 0x01, read
// 0x02, search 0x08.)
const hotPerm = 0x3f000000 | 0x000b0000

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

// Set stores payload for host until ttl passes. The key is made in this
// thread's own keyring, where no other thread or process can reach it (the
// user's may only view it), given its permissions and timeout there, and
// only then linked into the user keyring, where it displaces the host's
// old key in one step: no reader sees a key half made. It also works
// where this process does not possess the user keyring (a systemd system
// service, a container's own session keyring): a key made there directly
// would get only the user's view bit, and setperm would be refused.
func (h Hot) Set(host string, payload []byte, ttl time.Duration) error {
	// Keyrings are credentials, which Linux keeps per thread.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	id, err := unix.AddKey("user", h.prefix+host, payload, unix.KEY_SPEC_THREAD_KEYRING)
	if err == nil {
		err = unix.KeyctlSetperm(id, hotPerm)
	}
	if err == nil {
		_, err = unix.KeyctlInt(unix.KEYCTL_SET_TIMEOUT, id, int(max(ttl.Round(time.Second)/time.Second, 1)), 0, 0)
	}
	if err == nil {
		_, err = unix.KeyctlInt(unix.KEYCTL_LINK, id, unix.KEY_SPEC_USER_KEYRING, 0, 0)
	}
	if id > 0 {
		// The user keyring's link is the one that counts; without it
		// (an error above) the key is gone with this unlink.
		unix.KeyctlInt(unix.KEYCTL_UNLINK, id, unix.KEY_SPEC_THREAD_KEYRING, 0, 0)
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
