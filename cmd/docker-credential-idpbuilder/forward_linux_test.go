package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// actAsHelper makes the test binary run `install` as the helper would, so a
// test can kill it and watch what happens to the companion it forwarded to.
const actAsHelper = "IDPBUILDER_TEST_ACT_AS_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(actAsHelper) != "" {
		os.Exit(run([]string{"install"}, os.Stdin, os.Stdout, os.Stderr, os.Getenv))
	}
	os.Exit(m.Run())
}

// A helper killed with SIGKILL takes its companion with it: an install or
// uninstall must not finish on its own after the user (or a test) killed it.
func TestKilledHelperTakesTheCompanionWithIt(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "companion.pid")
	companion := "#!/bin/sh\necho $$ > " + pidFile + ".tmp && mv " + pidFile + ".tmp " + pidFile + "\nexec sleep 30\n"
	if err := os.WriteFile(filepath.Join(dir, "docker-credential-idpbuilder-cluster"), []byte(companion), 0o755); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	helper := exec.Command(self)
	helper.Env = append(os.Environ(), actAsHelper+"=1", "PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	var pid int
	for deadline := time.Now().Add(10 * time.Second); pid == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			helper.Process.Kill()
			t.Fatal("the companion never started")
		}
		if data, err := os.ReadFile(pidFile); err == nil {
			pid, _ = strconv.Atoi(strings.TrimSpace(string(data)))
		}
	}
	helper.Process.Kill()
	helper.Wait()
	for deadline := time.Now().Add(5 * time.Second); alive(pid); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("the companion (pid %d) outlived the helper killed with SIGKILL", pid)
		}
	}
}

// alive reports whether pid runs; a zombie waiting for init counts as gone.
func alive(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	fields := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z"
}
