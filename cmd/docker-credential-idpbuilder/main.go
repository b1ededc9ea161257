// Command docker-credential-idpbuilder is a docker credential helper that
// serves the Gitea admin credentials of an idpbuilder cluster. It answers the
// protocol from the keyring cache and leaves everything that talks to the
// cluster to docker-credential-idpbuilder-cluster, which it runs on a cache
// miss and for install, uninstall, status and refresh.
package main

import (
	"io"
	"os"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/cli"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/companion"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

const (
	exitOK    = cli.ExitOK
	exitError = cli.ExitError
	exitUsage = cli.ExitUsage
	name      = cli.Name
)

// app is the helper's command table: the credential-protocol verbs docker
// runs, git's protocol, and the user commands that talk to the cluster,
// which run in the companion (companion.Forwarded).
func app() cli.App {
	a := cli.App{Usage: usage, Version: printVersion}
	for _, verb := range []string{"get", "store", "erase", "list"} {
		a.Commands = append(a.Commands, cli.Command{Name: verb, Run: protocolVerb(verb), Protocol: true})
	}
	a.Commands = append(a.Commands, cli.Command{Name: "git", Run: runGit})
	for _, name := range companion.Forwarded() {
		a.Commands = append(a.Commands, cli.Command{Name: name, Run: forward(name)})
	}
	return a
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	return app().Run(args, stdin, stdout, stderr, getenv)
}

// protocolVerb runs a docker credential-protocol verb: its input is stdin,
// never arguments.
func protocolVerb(verb string) cli.RunFunc {
	return func(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
		if len(args) > 0 {
			cli.UsageError(stderr, "%q takes no arguments (it reads standard input)", verb)
			return exitUsage
		}
		return serveProtocol(verb, stdin, stdout, stderr, getenv)
	}
}
