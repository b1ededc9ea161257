package main

import (
	"errors"
	"fmt"
	"io"
	"os/exec"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/cli"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/companion"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/version"
)

// forward runs a command of the companion program with the same arguments
// and standard streams, and returns its exit code: install, status and the
// others talk to the cluster, which only that program links.
func forward(command string) cli.RunFunc {
	return func(args []string, stdin io.Reader, stdout, stderr io.Writer, _ func(string) string) int {
		program, err := companion.FindProgram()
		if err != nil {
			fmt.Fprintf(stderr, "%s: %s: %v\n", name, command, err)
			return exitError
		}
		// The handshake first: a companion of another release refuses
		// with one line instead of misreading the command.
		cmd := exec.Command(program, companion.WithHelperVersion(version.Get().Version, append([]string{command}, args...))...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
		release := dieWithUs(cmd)
		err = cmd.Run()
		release()
		var exitErr *exec.ExitError
		switch {
		case err == nil:
			return exitOK
		case errors.As(err, &exitErr) && exitErr.ExitCode() > 0:
			return exitErr.ExitCode()
		default:
			fmt.Fprintf(stderr, "%s: %s: %v\n", name, command, err)
			return exitError
		}
	}
}
