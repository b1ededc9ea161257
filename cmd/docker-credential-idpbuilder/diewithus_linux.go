package main

import (
	"os/exec"
	"runtime"
	"syscall"
)

// dieWithUs makes the kernel kill the companion when this process dies, so
// that killing `docker-credential-idpbuilder uninstall` stops the uninstall,
// as it did when install and uninstall ran in this process. The signal is
// tied to the thread that starts the child, so the caller stays on it until
// the child is reaped, then calls release.
func dieWithUs(cmd *exec.Cmd) (release func()) {
	runtime.LockOSThread()
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	return runtime.UnlockOSThread
}
