//go:build e2e

package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Secret hygiene: the canary (the Gitea admin password, and every variant
// the tests set, which all start with it) may live only in the rig's
// secret/ folder and in etcd's data, as in a real cluster. Everything else
// the run wrote is searched for it: the rest of the rig folder (Gitea's DB,
// which must hold a hash, and every log), each test user's HOME just before
// it is removed, and the temporary files the run made; and the command
// lines and environments of the rig's daemons and of the helper.

// hygiene collects what the per-user scans found while the suite ran.
var hygiene struct {
	sync.Mutex
	homes, files int
	bytes        int64
	leaks        []string
}

// recordHome scans a test user's HOME when its test ends, before t.TempDir
// removes it (cleanups run last-registered first).
func recordHome(t *testing.T, home string) {
	t.Cleanup(func() {
		if theRig == nil {
			return
		}
		var s scan
		s.tree(home, nil)
		hygiene.Lock()
		defer hygiene.Unlock()
		hygiene.homes++
		hygiene.files += s.files
		hygiene.bytes += s.bytes
		for _, l := range s.leaks {
			hygiene.leaks = append(hygiene.leaks, t.Name()+": "+l)
		}
	})
}

type scan struct {
	canary []byte
	files  int
	bytes  int64
	leaks  []string
	errs   []string
}

// file reports whether path holds the canary; it reads in chunks so that a
// large file (a docker layer) costs little memory.
func (s *scan) file(path string) {
	if s.canary == nil {
		s.canary = []byte(theRig.canary)
	}
	f, err := os.Open(path)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			s.errs = append(s.errs, err.Error())
		}
		return
	}
	defer f.Close()
	s.files++
	buf := make([]byte, 1<<20)
	keep := len(s.canary) - 1
	var carry []byte
	for {
		n, err := f.Read(buf)
		s.bytes += int64(n)
		chunk := append(carry, buf[:n]...)
		if bytes.Contains(chunk, s.canary) {
			s.leaks = append(s.leaks, path)
			return
		}
		if len(chunk) > keep {
			carry = append([]byte(nil), chunk[len(chunk)-keep:]...)
		} else {
			carry = chunk
		}
		if err == io.EOF {
			return
		}
		if err != nil {
			s.errs = append(s.errs, err.Error())
			return
		}
	}
}

// tree scans every regular file under root; skip says which folders or
// files are not searched.
func (s *scan) tree(root string, skip func(path string, d fs.DirEntry) bool) {
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				s.errs = append(s.errs, err.Error())
			}
			return nil
		}
		if skip != nil && skip(path, d) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			s.file(path)
		}
		return nil
	})
}

// processStart is when this test process started (the run's beginning).
func processStart() time.Time {
	if fi, err := os.Stat("/proc/self"); err == nil {
		return fi.ModTime()
	}
	return time.Now().Add(-time.Hour)
}

// checkProc reports whether the canary is in the command line or the
// initial environment of pid; alive is false when the process is gone, and
// read is false while its environment still reads empty (right after exec
// it sometimes does here), so callers count only samples that saw it.
func checkProc(pid int) (alive, read bool, leak string) {
	for _, what := range []string{"cmdline", "environ"} {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/%s", pid, what))
		if err != nil {
			return false, false, ""
		}
		if bytes.Contains(data, []byte(theRig.canary)) {
			return true, true, fmt.Sprintf("/proc/%d/%s", pid, what)
		}
		read = what == "environ" && len(data) > 0
	}
	return true, read, ""
}

// rigDaemons are the PIDs of the rig's servers and of their descendants
// (containerd under dockerd, say).
func rigDaemons(t *testing.T) map[int]string {
	out := map[int]string{}
	for _, p := range []string{"kube/apiserver.pid", "kube/etcd.pid", "gitea/gitea.pid", "docker/dockerd.pid"} {
		data, err := os.ReadFile(filepath.Join(theRig.dir, p))
		if err != nil {
			t.Errorf("no PID file %s: %v", p, err)
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
		if err != nil {
			t.Errorf("PID file %s: %v", p, err)
			continue
		}
		addTree(out, pid, filepath.Base(filepath.Dir(p))+"/"+strings.TrimSuffix(filepath.Base(p), ".pid"))
	}
	return out
}

func addTree(out map[int]string, pid int, name string) {
	if _, seen := out[pid]; seen {
		return
	}
	out[pid] = name
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, f := range tasks {
		data, _ := os.ReadFile(f)
		for _, c := range strings.Fields(string(data)) {
			if cpid, err := strconv.Atoi(c); err == nil {
				comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", cpid))
				addTree(out, cpid, name+">"+strings.TrimSpace(string(comm)))
			}
		}
	}
}

// TestZZSecretHygieneProcesses samples /proc of the rig's daemons and of
// the helper while a get is in flight (held by a slow API server, so the
// process lives long enough to be sampled many times).
func TestZZSecretHygieneProcesses(t *testing.T) {
	r := theRig
	daemons := rigDaemons(t)
	for pid, name := range daemons {
		alive, read, leak := checkProc(pid)
		if leak != "" {
			t.Errorf("the password is in %s (%s)", leak, name)
		}
		if !alive {
			t.Logf("%s (PID %d) is gone", name, pid)
		} else if !read {
			t.Errorf("the environment of %s (PID %d) reads empty", name, pid)
		}
	}
	t.Logf("rig daemons checked: %d processes (%s)", len(daemons), daemonNames(daemons))

	// One get held past its deadline by the API server, one get slowed
	// but answered: the second one has the password in memory.
	for _, tc := range []struct {
		name    string
		hold    time.Duration
		timeout string
		wantOK  bool
	}{
		{"held past the deadline", 10 * time.Second, "2s", false},
		{"slow answer", 1500 * time.Millisecond, "5s", true},
	} {
		p := startSlowProxy(t, r.env["KUBE_API_URL"], tc.hold)
		u := r.newUser(t, "KUBECONFIG="+kubeconfigCopy(t, p.url, "", ""), "IDPBUILDER_HELPER_NO_CACHE=1", "IDPBUILDER_HELPER_TIMEOUT="+tc.timeout)
		recordRegistry(t, u)
		cmd := exec.Command(fullHelper(), "get")
		cmd.Env, cmd.Dir = u.env, u.home
		cmd.Stdin = strings.NewReader(r.registry)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		samples, read, childSamples := 0, 0, 0
		var err error
	sample:
		for {
			select {
			case err = <-done:
				break sample
			default:
			}
			if alive, envRead, leak := checkProc(cmd.Process.Pid); alive {
				samples++
				if envRead {
					read++
				}
				if leak != "" {
					t.Errorf("%s: the password is in the helper's %s", tc.name, leak)
				}
			}
			// The companion program the helper runs for the read.
			for _, child := range childrenOf(cmd.Process.Pid) {
				if alive, _, leak := checkProc(child); alive {
					childSamples++
					if leak != "" {
						t.Errorf("%s: the password is in the companion's %s", tc.name, leak)
					}
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
		ok := err == nil && strings.Contains(out.String(), r.canary)
		if ok != tc.wantOK {
			t.Errorf("%s: get succeeded=%v, want %v: %v %q", tc.name, ok, tc.wantOK, err, out.String())
		}
		if read < 10 {
			t.Errorf("%s: the helper's environment read back in only %d of %d samples", tc.name, read, samples)
		}
		if childSamples == 0 {
			t.Errorf("%s: the companion program was never sampled", tc.name)
		}
		t.Logf("%s: helper /proc/PID/{cmdline,environ} sampled %d times (%d with the environment read back), its companion %d times, canary never seen", tc.name, samples, read, childSamples)
	}
}

// TestZZSecretHygieneDetectors is the control for the scans: a file and a
// process environment holding the password are found.
func TestZZSecretHygieneDetectors(t *testing.T) {
	dir := t.TempDir()
	big := bytes.Repeat([]byte("x"), (1<<20)-5) // the canary straddles a read boundary
	if err := os.WriteFile(filepath.Join(dir, "leak"), append(big, theRig.canary...), 0o600); err != nil {
		t.Fatal(err)
	}
	var s scan
	s.tree(dir, nil)
	if len(s.leaks) != 1 {
		t.Fatalf("the file scan missed a planted password: %+v", s)
	}
	cmd := exec.Command("sleep", "5")
	cmd.Env = []string{"PLANTED=" + theRig.canary}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	deadline := time.Now().Add(2 * time.Second)
	for {
		_, read, leak := checkProc(cmd.Process.Pid)
		if read && leak == "" {
			t.Fatal("the /proc check missed a planted password")
		}
		if leak != "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the environment of the planted process never read back")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func daemonNames(m map[int]string) string {
	var names []string
	for pid, n := range m {
		names = append(names, fmt.Sprintf("%s=%d", n, pid))
	}
	return strings.Join(names, " ")
}

// recordRegistry writes the user's helper table by hand (refresh --registry
// would read the cluster through the user's kubeconfig, which may be the
// broken one under test).
func recordRegistry(t *testing.T, u *user) {
	t.Helper()
	data := fmt.Sprintf(`{"registries":{%q:{"context":"kind-localdev"}}}`, theRig.registry)
	if err := os.MkdirAll(filepath.Dir(u.config), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(u.config, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

// scanAfterSuite is called by TestMain once every test has run, with the
// rig still up: it searches the rig folder, the temporary files of the run
// and the users' HOMEs (scanned as each test ended). A leak turns a passing
// run into a failing one.
func scanAfterSuite(r *rig, code int) int {
	start := time.Now()
	runStart := processStart()
	var s scan
	theRig = r
	etcd := filepath.Join(r.dir, "kube", "etcd")
	secret := filepath.Join(r.dir, "secret")
	giteaDB := filepath.Join(r.dir, "gitea", "data", "gitea.db")
	s.tree(r.dir, func(path string, d fs.DirEntry) bool {
		return path == etcd || path == secret
	})
	rigFiles, rigBytes := s.files, s.bytes
	// Gitea keeps a pbkdf2 hash of the password, never the password.
	dbScanned, dbHash := false, false
	if data, err := os.ReadFile(giteaDB); err == nil && len(data) > 0 {
		dbScanned, dbHash = true, bytes.Contains(data, []byte("pbkdf2"))
	}
	// Temporary files the run made or changed, outside the rig folder.
	tmp := os.TempDir()
	s.tree(tmp, func(path string, d fs.DirEntry) bool {
		if path == r.dir || strings.HasPrefix(filepath.Base(path), "bash_jobs") {
			return true // the rig was scanned above; the job runner's files are not ours
		}
		if d.IsDir() {
			return false
		}
		fi, err := d.Info()
		return err != nil || fi.ModTime().Before(runStart) || fi.Size() > 256<<20
	})
	hygiene.Lock()
	defer hygiene.Unlock()
	leaks := append(s.leaks, hygiene.leaks...)
	fmt.Fprintf(os.Stderr, "e2e hygiene: rig folder %d files (%d MiB; Gitea DB scanned: %v, holds a pbkdf2 hash: %v), %s since %s: %d files, test HOMEs %d (%d files, %d MiB); %d unreadable; %s\n",
		rigFiles, rigBytes>>20, dbScanned, dbHash, tmp, runStart.Format(time.TimeOnly), s.files-rigFiles,
		hygiene.homes, hygiene.files, hygiene.bytes>>20, len(s.errs), time.Since(start).Round(time.Millisecond))
	if len(leaks) > 0 {
		for _, l := range leaks {
			fmt.Fprintf(os.Stderr, "e2e hygiene: FAIL: the Gitea password is in %s\n", l)
		}
		if code == 0 {
			code = 1
		}
	} else {
		fmt.Fprintf(os.Stderr, "e2e hygiene: the password is in no file outside secret/ and etcd's data\n")
	}
	if !dbScanned {
		fmt.Fprintf(os.Stderr, "e2e hygiene: FAIL: Gitea's DB %s was not found, so it was not checked\n", giteaDB)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// childrenOf lists the child processes of pid.
func childrenOf(pid int) []int {
	var out []int
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, task := range tasks {
		data, _ := os.ReadFile(task)
		for _, f := range strings.Fields(string(data)) {
			var child int
			if _, err := fmt.Sscan(f, &child); err == nil {
				out = append(out, child)
			}
		}
	}
	return out
}
