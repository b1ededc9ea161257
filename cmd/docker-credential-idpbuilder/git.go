package main

import (
	"fmt"
	"io"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/cli"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/gitcred"
)

// gitHelp follows the usage line cli writes.
const gitHelp = `git's credential helper: git runs it for the hosts install configured,
  credential.https://HOST.helper = "!docker-credential-idpbuilder git"
and writes key=value lines (protocol, host, ...) on standard input.

  get    answers username= and password= from the keyring cache or the
         cluster, under the same rules as docker's get; a user name in
         the URL gets what git stored for that user, or nothing; other
         hosts, and plain http for an https registry, get no answer
  store  keeps a credential git used that differs from the helper's own
         answer: for the cluster's user as the login docker uses too, for
         another user for git requests naming that user only
  erase  drops exactly the credential the server rejected, so the next
         get reads the cluster again

Other operations are ignored, as gitcredentials(7) asks. Errors are one line
on stderr, which git shows; stdout carries only the answer.
`

func runGit(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) != 1 {
		cli.UsageError(stderr, "git takes one operation (get, store or erase)")
		return exitUsage
	}
	op := args[0]
	if !gitcred.Known(op) {
		return exitOK
	}
	h, err := newHelper(getenv, stderr)
	if err == nil {
		err = gitcred.Serve(h, op, stdin, stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: git %s: %v\n", name, op, err)
		return exitError
	}
	return exitOK
}
