package lockfile

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

func TestAcquireExcludesAndReleases(t *testing.T) {
	path := filepath.Join(t.TempDir(), "locks", "h_1.lock")
	release, err := AcquireInPrivateDir(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("lock file mode %v", fi.Mode().Perm())
	}
	if fi, _ := os.Stat(filepath.Dir(path)); fi.Mode().Perm() != 0o700 {
		t.Fatalf("lock folder mode %v", fi.Mode().Perm())
	}
	start := time.Now()
	if _, err := Acquire(path, 50*time.Millisecond); !errors.Is(err, ErrTimeout) {
		t.Fatalf("second Acquire = %v, want ErrTimeout", err)
	}
	if time.Since(start) > time.Second {
		t.Fatal("the wait overran its timeout")
	}
	release()
	release2, err := Acquire(path, time.Second)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	release2()
}

// A holder killed with SIGKILL must not block the next process.
func TestCrashedHolderDoesNotBlock(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the holder is bash with flock(1)")
	}
	path := filepath.Join(t.TempDir(), "h.lock")
	// One process holds the lock: bash takes it on fd 9, then becomes sleep.
	holder := exec.Command("bash", "-c", `exec 9>"$1" && flock 9 && exec sleep 30`, "bash", path)
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	held := false
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		release, err := Acquire(path, 10*time.Millisecond)
		if errors.Is(err, ErrTimeout) {
			held = true
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		release()
		time.Sleep(10 * time.Millisecond)
	}
	if !held {
		t.Fatal("the holder never took the lock")
	}
	holder.Process.Kill()
	holder.Wait()
	release, err := Acquire(path, time.Second)
	if err != nil {
		t.Fatalf("after the holder died: %v", err)
	}
	release()
}

func TestFileName(t *testing.T) {
	if got := FileName("gitea.cnoe.localtest.me:8443"); got != "gitea.cnoe.localtest.me_8443.lock" {
		t.Fatal(got)
	}
	if got := FileName("[::1]:5000"); got != "__1_5000.lock" {
		t.Fatal(got)
	}
}
