package companion

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/clusterid"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
)

// envActAs makes the test binary act as the companion program, so the real
// exec, pipe, deadline and exit-code paths of Client.ReadSecret run. Its
// value names the behaviour; envPIDFile, when set, is where a hanging
// companion writes its process id, so a test can check it was killed.
const (
	envActAs   = "COMPANION_TEST_ACT_AS"
	envPIDFile = "COMPANION_TEST_PID_FILE"
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(envActAs); mode != "" {
		os.Exit(actAsCompanion(mode, os.Args[1:]))
	}
	os.Exit(m.Run())
}

// actAsCompanion answers one request the way mode says. The answer is made
// from the parsed request, so the test sees what crossed the command line,
// and no secret is passed in the environment.
func actAsCompanion(mode string, args []string) int {
	if mode == "sleep" { // a process the companion started, holding its stdout
		time.Sleep(5 * time.Second)
		return 0
	}
	// The real companion's handshake, as the release envRelease names
	// (empty: a devel build).
	args, accepted := AcceptHelper(args, os.Getenv(envRelease), fakeCompanionPath, os.Stdout, os.Stderr)
	if !accepted {
		return 1
	}
	if len(args) == 0 || args[0] != ReadSecretCommand {
		fmt.Fprintln(os.Stderr, "not a read-secret request:", args)
		return 2
	}
	req, err := ParseRequest(args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	reply := func(r Reply, code int) int {
		json.NewEncoder(os.Stdout).Encode(r)
		return code
	}
	fp := strings.Join([]string{req.Context, req.Kubeconfig, strconv.FormatInt(req.Timeout.Milliseconds(), 10)}, "|")
	cluster := &clusterid.ID{Context: req.Context, Fingerprint: fp}
	ok := Reply{Username: "giteaAdmin", Password: "pw-" + req.Namespace + "-" + req.Secret, Fingerprint: fp, Cluster: cluster}
	switch mode {
	case "ok":
		return reply(ok, 0)
	case "ok-leaving-a-process":
		leaveAProcessHoldingStdout()
		return reply(ok, 0)
	case "error":
		return reply(Reply{Error: "secrets \"gitea-credential\" is forbidden: the user of context " + req.Context + " may not read it"}, 1)
	case "unreachable":
		return reply(Reply{Error: idpbuilder.ErrUnreachable.Error() + ": no answer from the API server", Unreachable: true, Cluster: cluster}, 1)
	case "no-cluster":
		ok.Cluster = nil
		return reply(ok, 0)
	case "silent-exit-1":
		return 1
	case "silent-exit-0":
		return 0
	case "garbage":
		fmt.Println("panic: something went wrong")
		return 2
	case "hang", "hang-leaving-a-process":
		if mode == "hang-leaving-a-process" {
			leaveAProcessHoldingStdout()
		}
		if f := os.Getenv(envPIDFile); f != "" {
			os.WriteFile(f, []byte(strconv.Itoa(os.Getpid())), 0o600)
		}
		time.Sleep(time.Minute)
		return 0
	}
	return 2
}

// leaveAProcessHoldingStdout starts a process that outlives this one with
// the same stdout, as an exec credential plugin might.
func leaveAProcessHoldingStdout() {
	self, _ := os.Executable()
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), envActAs+"=sleep", envPIDFile+"=")
	cmd.Stdout = os.Stdout
	cmd.Start()
}

func testClient(t *testing.T, mode string) *Client {
	t.Helper()
	t.Setenv(envActAs, mode)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return &Client{Program: self}
}

func TestReadSecretThroughTheProgram(t *testing.T) {
	for _, mode := range []string{"ok", "ok-leaving-a-process"} {
		t.Run(mode, func(t *testing.T) {
			c := testClient(t, mode)
			const deadline = 5 * time.Second
			ctx, cancel := context.WithTimeout(context.Background(), deadline)
			defer cancel()
			start := time.Now()
			creds, id, err := c.ReadSecret(ctx, "/k/my config", "kind-localdev", idpbuilder.SecretRef{Namespace: "gitea", Name: "gitea-credential"})
			if err != nil {
				t.Fatal(err)
			}
			if id == nil || id.Fingerprint != creds.Fingerprint || id.Context != "kind-localdev" {
				t.Fatalf("cluster %+v: want the one the program resolved", id)
			}
			if took := time.Since(start); took > deadline {
				t.Errorf("took %s", took)
			}
			if creds.Username != "giteaAdmin" || creds.Password != "pw-gitea-gitea-credential" {
				t.Errorf("got %+v: the reply or the request's namespace and secret were lost", creds)
			}
			// The fingerprint is the program's; here it carries the request.
			parts := strings.Split(creds.Fingerprint, "|")
			if len(parts) != 3 || parts[0] != "kind-localdev" || parts[1] != "/k/my config" {
				t.Fatalf("fingerprint %q: want the context and kubeconfig the program was given", creds.Fingerprint)
			}
			// The program's deadline is the caller's, a little shorter, so
			// it answers with its reason before it is killed.
			ms, _ := strconv.Atoi(parts[2])
			if got := time.Duration(ms) * time.Millisecond; got >= deadline || got < deadline-2*time.Second {
				t.Errorf("the program's deadline is %s; want a little under the caller's %s", got, deadline)
			}
		})
	}
}

func TestReadSecretFailures(t *testing.T) {
	for _, tc := range []struct {
		mode        string
		deadline    time.Duration
		want        []string
		unreachable bool
	}{
		{"error", 5 * time.Second, []string{`secrets "gitea-credential" is forbidden: the user of context kind-localdev`}, false},
		{"unreachable", 5 * time.Second, []string{idpbuilder.ErrUnreachable.Error() + ": no answer from the API server"}, true},
		{"silent-exit-1", 5 * time.Second, []string{"gave no answer (exit status 1)", "IDPBUILDER_HELPER_DEBUG=1"}, false},
		{"silent-exit-0", 5 * time.Second, []string{"gave no answer: run with IDPBUILDER_HELPER_DEBUG=1"}, false},
		{"garbage", 5 * time.Second, []string{"gave no answer (exit status 2)"}, false},
		{"hang", 500 * time.Millisecond, []string{"no answer from " + Program + " reading secret gitea/gitea-credential before the deadline"}, true},
		{"hang-leaving-a-process", 500 * time.Millisecond, []string{"before the deadline"}, true},
		{"no-cluster", 5 * time.Second, []string{"answered without the cluster it read"}, false},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			c := testClient(t, tc.mode)
			pidFile := filepath.Join(t.TempDir(), "pid")
			t.Setenv(envPIDFile, pidFile)
			ctx, cancel := context.WithTimeout(context.Background(), tc.deadline)
			defer cancel()
			start := time.Now()
			creds, id, err := c.ReadSecret(ctx, "/k/my config", "kind-localdev", idpbuilder.SecretRef{Namespace: "gitea", Name: "gitea-credential"})
			took := time.Since(start)
			if tc.mode == "unreachable" && (id == nil || id.Context != "kind-localdev") {
				t.Errorf("an unreachable reply lost its cluster: %+v", id)
			}
			if err == nil || strings.Contains(err.Error(), "\n") {
				t.Fatalf("got %+v, %v; want a one-line error", creds, err)
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			if errors.Is(err, idpbuilder.ErrUnreachable) != tc.unreachable {
				t.Errorf("errors.Is(%v, ErrUnreachable) = %v, want %v", err, !tc.unreachable, tc.unreachable)
			}
			if strings.Count(err.Error(), idpbuilder.ErrUnreachable.Error()) > 1 {
				t.Errorf("the unreachable prefix is repeated: %v", err)
			}
			// A generous bound: the point is that a hung program, or one
			// that left a process holding the pipe, does not hold the caller.
			if took > tc.deadline+2*time.Second {
				t.Errorf("took %s with a %s deadline", took, tc.deadline)
			}
			if pid, _ := os.ReadFile(pidFile); len(pid) > 0 && runtime.GOOS != "windows" {
				n, _ := strconv.Atoi(string(pid))
				if p, err := os.FindProcess(n); err == nil && p.Signal(syscall.Signal(0)) == nil {
					p.Kill()
					t.Errorf("the program (pid %d) still runs after the deadline", n)
				}
			}
		})
	}
}

func TestReadSecretMissingProgram(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	for name, c := range map[string]*Client{
		"not found":    {},
		"cannot start": {Program: filepath.Join(t.TempDir(), Program)},
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, _, err := c.ReadSecret(ctx, "/k/my config", "kind-localdev", idpbuilder.SecretRef{Namespace: "gitea", Name: "gitea-credential"})
			if err == nil || !strings.Contains(err.Error(), Program) || !strings.Contains(err.Error(), "install both programs (go install github.com/cnoe-io/docker-credential-idpbuilder/cmd/...@latest)") {
				t.Fatalf("err = %v; want one naming %s and how to install both programs", err, Program)
			}
			if errors.Is(err, idpbuilder.ErrUnreachable) {
				t.Errorf("a missing program is not an unreachable cluster (no stale answer may hide it): %v", err)
			}
		})
	}
}

func TestFindProgramBesideTheHelper(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("PATH", t.TempDir())
	prog := filepath.Join(dir, Program)
	if err := os.WriteFile(prog, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := FindProgramBeside(filepath.Join(dir, "docker-credential-idpbuilder"))
	if err != nil || got != prog {
		t.Fatalf("got %q, %v; want %q", got, err, prog)
	}
	if _, err := FindProgramBeside(filepath.Join(t.TempDir(), "docker-credential-idpbuilder")); err == nil || !strings.Contains(err.Error(), "install both programs") {
		t.Fatalf("with no program beside or on PATH: err = %v", err)
	}
}
