package companion

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/kubeconfig"
)

// envActAs makes the test binary act as the companion program, so the real
// exec, pipe, deadline and exit-code paths of Client.ReadSecret run.
const envActAs = "COMPANION_TEST_ACT_AS"

func TestMain(m *testing.M) {
	if mode := os.Getenv(envActAs); mode != "" {
		os.Exit(actAsCompanion(mode, os.Args[1:]))
	}
	os.Exit(m.Run())
}

// actAsCompanion answers one request the way the mode says. The password is
// made from the request, so no secret is passed in the environment.
func actAsCompanion(mode string, args []string) int {
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
	switch mode {
	case "ok":
		return reply(Reply{Username: "giteaAdmin", Password: "pw-" + req.Namespace + "-" + req.Secret,
			Fingerprint: fmt.Sprintf("fp-%s-%s-%s", req.Context, req.Kubeconfig, req.Timeout.Round(time.Second))}, 0)
	case "error":
		return reply(Reply{Error: "forbidden: the user of context " + req.Context + " may not read it"}, 1)
	case "unreachable":
		return reply(Reply{Error: idpbuilder.ErrUnreachable.Error() + ": no answer from the API server", Unreachable: true}, 1)
	case "silent":
		return 1
	case "hang":
		time.Sleep(time.Minute)
		return 0
	}
	return 2
}

func testClient(t *testing.T, mode string) *Client {
	t.Helper()
	t.Setenv(envActAs, mode)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return &Client{Ref: kubeconfig.Ref{Context: "kind-localdev", Server: "https://127.0.0.1:6443", Kubeconfig: "/k/config"}, Program: self}
}

func TestReadSecretThroughTheProgram(t *testing.T) {
	c := testClient(t, "ok")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	creds, err := c.ReadSecret(ctx, "gitea", "gitea-credential")
	if err != nil {
		t.Fatal(err)
	}
	want := idpbuilder.Credentials{Username: "giteaAdmin", Password: "pw-gitea-gitea-credential", Fingerprint: "fp-kind-localdev-/k/config-5s"}
	if creds != want {
		t.Errorf("got %+v, want %+v (the request's fields and a deadline a little under 5s reach the program)", creds, want)
	}
}

func TestReadSecretFailures(t *testing.T) {
	for _, tc := range []struct {
		mode        string
		deadline    time.Duration
		want        string
		unreachable bool
	}{
		{"error", 5 * time.Second, "forbidden: the user of context kind-localdev", false},
		{"unreachable", 5 * time.Second, "no answer from the API server", true},
		{"silent", 5 * time.Second, "gave no answer", false},
		{"hang", 500 * time.Millisecond, "no answer before the deadline", true},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			c := testClient(t, tc.mode)
			ctx, cancel := context.WithTimeout(context.Background(), tc.deadline)
			defer cancel()
			start := time.Now()
			_, err := c.ReadSecret(ctx, "gitea", "gitea-credential")
			took := time.Since(start)
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("err = %v; want one line containing %q", err, tc.want)
			}
			if errors.Is(err, idpbuilder.ErrUnreachable) != tc.unreachable {
				t.Errorf("errors.Is(err, ErrUnreachable) = %v, want %v", !tc.unreachable, tc.unreachable)
			}
			if strings.Count(err.Error(), idpbuilder.ErrUnreachable.Error()) > 1 {
				t.Errorf("the unreachable prefix is repeated: %v", err)
			}
			if took > tc.deadline+2*time.Second {
				t.Errorf("took %s with a %s deadline", took, tc.deadline)
			}
		})
	}
}

func TestMissingProgramSaysHowToInstallBoth(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := FindProgramBeside(filepath.Join(t.TempDir(), "docker-credential-idpbuilder"))
	if err == nil || !strings.Contains(err.Error(), "install both programs") {
		t.Fatalf("err = %v", err)
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
}
