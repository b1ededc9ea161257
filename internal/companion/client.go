package companion

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/clusterid"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/version"
)

// Program is the companion program that talks to the cluster. It links
// client-go, which costs milliseconds of start-up that `get` should only pay
// on a cache miss, so it is a separate executable installed beside the
// helper.
const Program = "docker-credential-idpbuilder-cluster"

// FindProgram looks for Program beside the running executable, then on PATH.
func FindProgram() (string, error) {
	self, _ := os.Executable()
	return FindProgramBeside(self)
}

// FindProgramBeside looks for Program in the folder of exe (symlinks
// followed), then on PATH: where docker-credential-idpbuilder at exe finds it.
func FindProgramBeside(exe string) (string, error) {
	name := Program
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	if exe != "" {
		if resolved, err := filepath.EvalSymlinks(exe); err == nil {
			exe = resolved
		}
		beside := filepath.Join(filepath.Dir(exe), name)
		if fi, err := os.Stat(beside); err == nil && !fi.IsDir() {
			return beside, nil
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%s not found beside docker-credential-idpbuilder or on PATH: %s", name, installBoth)
}

// installBoth is what to do when the companion is missing or cannot run.
const installBoth = "install both programs (go install github.com/cnoe-io/docker-credential-idpbuilder/cmd/...@latest)"

// waitDelay bounds the wait for the program's output after it exits or is
// killed: a process it started that still holds the pipe must not hold the
// caller past its deadline.
const waitDelay = 100 * time.Millisecond

// Reply is what `docker-credential-idpbuilder-cluster read-secret` prints.
type Reply struct {
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
	// Fingerprint is that of the configuration the program read with.
	Fingerprint string `json:"fingerprint,omitempty"`
	// Cluster is the context the program resolved, and the state of the
	// files that chose it; set whenever the kubeconfig could be resolved,
	// errors included, so a stale answer can stand in for the same cluster.
	Cluster *clusterid.ID `json:"cluster,omitempty"`
	// Error is the one-line reason when the read failed.
	Error string `json:"error,omitempty"`
	// Unreachable marks an Error that allows a cached answer (idpbuilder.ErrUnreachable).
	Unreachable bool `json:"unreachable,omitempty"`
}

// Client is the helper's side of the contract: it runs Program, which
// resolves the kubeconfig and reads the secret, and reads the answer from a
// pipe, so the password is never on a command line or in an environment.
type Client struct {
	Stderr io.Writer // the program's diagnostics (debug mode); nil drops them
	// Program is the companion's path; empty means FindProgram's answer.
	Program string
	// HelperVersion is sent in the handshake; empty means this program's.
	HelperVersion string
}

// ReadSecret runs Program to read the secret ref names from the context
// of kubeconfigPath and kubeContext (empty: the loading rules, and the
// companion's choice of context); ctx bounds it. The ID is non-nil when the
// program resolved the context, also when the read failed.
func (r *Client) ReadSecret(ctx context.Context, kubeconfigPath, kubeContext string, ref idpbuilder.SecretRef) (idpbuilder.Credentials, *clusterid.ID, error) {
	program := r.Program
	if program == "" {
		var err error
		if program, err = FindProgram(); err != nil {
			return idpbuilder.Credentials{}, nil, err
		}
	}
	ref = ref.WithDefaults()
	namespace, name := ref.Namespace, ref.Name
	req := Request{Kubeconfig: kubeconfigPath, Context: kubeContext, Namespace: namespace, Secret: name, Username: ref.Username}
	// idpbuilder's own keys go unsaid: the command line stays what it was.
	if ref.UsernameKey != idpbuilder.DefaultUsernameKey {
		req.UsernameKey = ref.UsernameKey
	}
	if ref.PasswordKey != idpbuilder.DefaultPasswordKey {
		req.PasswordKey = ref.PasswordKey
	}
	if deadline, ok := ctx.Deadline(); ok {
		// The program keeps its own deadline a little shorter, so it
		// answers with its reason before it is killed.
		req.Timeout = max((time.Until(deadline) - 50*time.Millisecond).Round(time.Millisecond), time.Millisecond)
	}
	helperVersion := r.HelperVersion
	if helperVersion == "" {
		helperVersion = version.Get().Version
	}
	cmd := exec.CommandContext(ctx, program, WithHelperVersion(helperVersion, req.Args())...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, r.Stderr
	cmd.WaitDelay = waitDelay
	endGroup := ownGroup(cmd)
	runErr := cmd.Run()
	endGroup()
	if errors.Is(runErr, exec.ErrWaitDelay) {
		// The program exited 0; a process it left behind held the pipe.
		runErr = nil
	}
	var reply Reply
	if err := json.Unmarshal(out.Bytes(), &reply); err != nil {
		var exitErr *exec.ExitError
		switch {
		case ctx.Err() != nil:
			return idpbuilder.Credentials{}, nil, fmt.Errorf("%w: no answer from %s reading secret %s/%s before the deadline: is the idpbuilder cluster running?",
				idpbuilder.ErrUnreachable, Program, namespace, name)
		case runErr != nil && !errors.As(runErr, &exitErr):
			return idpbuilder.Credentials{}, nil, fmt.Errorf("cannot run %s: %w: %s", program, runErr, installBoth)
		case runErr != nil:
			return idpbuilder.Credentials{}, nil, fmt.Errorf("%s gave no answer (%v): run with IDPBUILDER_HELPER_DEBUG=1 to see its diagnostics", program, runErr)
		default:
			return idpbuilder.Credentials{}, nil, fmt.Errorf("%s gave no answer: run with IDPBUILDER_HELPER_DEBUG=1 to see its diagnostics", program)
		}
	}
	switch {
	case reply.Error != "" && reply.Unreachable:
		return idpbuilder.Credentials{}, reply.Cluster, fmt.Errorf("%w: %s", idpbuilder.ErrUnreachable, strings.TrimPrefix(reply.Error, idpbuilder.ErrUnreachable.Error()+": "))
	case reply.Error != "":
		return idpbuilder.Credentials{}, reply.Cluster, errors.New(reply.Error)
	case runErr != nil:
		return idpbuilder.Credentials{}, reply.Cluster, fmt.Errorf("%s failed: %v", program, runErr)
	case reply.Cluster == nil:
		return idpbuilder.Credentials{}, nil, fmt.Errorf("%s answered without the cluster it read: %s", program, installBoth)
	}
	return idpbuilder.Credentials{Username: reply.Username, Password: reply.Password, Fingerprint: reply.Fingerprint}, reply.Cluster, nil
}
