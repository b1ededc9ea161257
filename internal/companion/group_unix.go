//go:build unix

package companion

import (
	"os/exec"
	"syscall"
)

// ownGroup starts cmd in a process group of its own and returns what ends
// the group once cmd is done: client-go starts exec credential plugins
// that the companion cannot kill at its deadline, and one that hangs must
// not outlive the read. A deadline kills the whole group at once.
func ownGroup(cmd *exec.Cmd) (end func()) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	kill := func() error {
		if cmd.Process == nil {
			return nil
		}
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cmd.Cancel = kill
	return func() { _ = kill() }
}
