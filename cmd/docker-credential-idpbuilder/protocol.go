package main

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/docker/docker-credential-helpers/credentials"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/companion"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/config"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/helper"
)

// serveProtocol runs one protocol verb. Errors go to stdout, where docker
// reads them; the not-found text must stay exactly the library's.
func serveProtocol(verb string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	if verb == "get" {
		in, err := io.ReadAll(io.LimitReader(stdin, maxRequest))
		if err == nil && notOurs(getenv, string(bytes.TrimSpace(in))) {
			fmt.Fprintln(stdout, credentials.NewErrCredentialsNotFound())
			return exitError
		}
		stdin = bytes.NewReader(in)
	}
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

// maxRequest bounds what a get reads from stdin: one registry address.
const maxRequest = 64 << 10

// notOurs reports whether the registry table's file does not even name
// serverURL: the answer is then not-found with no table decoded and no
// keyring opened (config.Mentions). Any doubt goes the normal way.
func notOurs(getenv func(string) string, serverURL string) bool {
	path, err := config.DefaultPath(getenv)
	if err != nil {
		return false
	}
	data, err := os.ReadFile(path)
	return err == nil && !config.Mentions(data, serverURL)
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
