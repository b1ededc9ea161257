//go:build !linux

package main

import "os/exec"

// dieWithUs has no portable equivalent of Linux's parent-death signal; a
// killed helper leaves a forwarded command to finish on its own there.
func dieWithUs(*exec.Cmd) (release func()) { return func() {} }
