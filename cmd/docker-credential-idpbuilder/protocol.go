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

// newHelper is the production helper: clusters resolved and secrets read
// by the companion program (its diagnostics reach stderr
// only in debug mode).
func newHelper(getenv func(string) string, stderr io.Writer) (*helper.Helper, error) {
	client := &companion.Client{}
	h, err := helper.FromEnvironment(getenv, stderr, client)
	if err == nil && h.Settings.Debug {
		client.Stderr = stderr
	}
	return h, err
}
