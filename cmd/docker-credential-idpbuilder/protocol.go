package main

import (
	"fmt"
	"io"

	"github.com/docker/docker-credential-helpers/credentials"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/companion"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/helper"
)

// serveProtocol runs one protocol verb. Errors go to stdout, where docker
// reads them; the not-found text must stay exactly the library's.
func serveProtocol(verb string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	h, err := newHelper(getenv, stderr)
	if err == nil {
		err = credentials.HandleCommand(h, verb, stdin, stdout)
	}
	if err == nil {
		return exitOK
	}
	if credentials.IsErrCredentialsNotFound(err) {
		fmt.Fprintln(stdout, err)
	} else {
		fmt.Fprintf(stdout, "%s: %v\n", name, err)
	}
	return exitError
}

// newHelper is the production helper: clusters resolved without client-go,
// secrets read through the companion program (its diagnostics reach stderr
// only in debug mode).
func newHelper(getenv func(string) string, stderr io.Writer) (*helper.Helper, error) {
	h, err := helper.FromEnvironment(getenv, stderr, nil)
	if err != nil {
		return nil, err
	}
	var programStderr io.Writer
	if h.Settings.Debug {
		programStderr = stderr
	}
	h.Resolve = helper.ResolverOf(companion.Resolver(getenv, programStderr))
	return h, nil
}
