//go:build !unix

package companion

import "os/exec"

// ownGroup: Windows would need a job object to end an exec plugin the
// companion left behind; there the plugin may outlive a read that timed
// out (RELIABILITY.md).
func ownGroup(*exec.Cmd) (end func()) { return func() {} }
