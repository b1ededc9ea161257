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
// which run in the companion (companion.Forwarded) and answer --help there.
func app() cli.App {
	a := cli.App{Name: name, Title: "docker credentials for idpbuilder's Gitea registry", About: about, Version: printVersion}
	for _, verb := range []string{"get", "store", "erase", "list"} {
		a.Commands = append(a.Commands, cli.Command{Name: verb, Summary: "credential-helper protocol (run by docker, crane, ...)",
			Protocol: true, Run: protocolVerb(verb)})
	}
	a.Commands = append(a.Commands, cli.Command{Name: "git", Args: "<get|store|erase>", Summary: "git's credential-helper protocol (run by git)",
		Help: gitHelp, Run: runGit})
	for _, c := range companion.Forwarded() {
		c.Run = forward(c.Name)
		a.Commands = append(a.Commands, c)
	}
	// The companion writes the script: the forwarded commands' flags are
	// declared there.
	a.Commands = append(a.Commands, cli.Command{Name: cli.CompletionCommand, Args: "SHELL",
		Summary: "print the completion script for bash, zsh or fish", Run: forward(cli.CompletionCommand)})
	return a
}

const about = `Docker runs the helper for the registries that name it in ~/.docker/config.json:
  "credHelpers": { "gitea.cnoe.localtest.me:8443": "idpbuilder" }

On get it answers from the OS keyring when the cached entry is fresh (5m) and
from the same cluster; otherwise it reads secret gitea/gitea-credential with
your kubeconfig (context kind-localdev, else the current context).

Environment:
  IDPBUILDER_HELPER_CONFIG            registry table (default <config dir>/docker-credential-idpbuilder/config.json)
  IDPBUILDER_HELPER_DEBUG=1           one-line diagnostics on stderr
  IDPBUILDER_HELPER_NO_CACHE=1        never use the OS keyring; read the cluster on every get
  IDPBUILDER_HELPER_TIMEOUT=5s        deadline for one read of the cluster
  IDPBUILDER_HELPER_FRESH=5m          how long a cached answer is used without asking the cluster
  IDPBUILDER_HELPER_MAX_STALE=24h     how old a cached answer may be when the cluster is unreachable
  IDPBUILDER_HELPER_KEYRING_TIMEOUT=3s deadline for each keyring call
  KUBECONFIG                          kubeconfig files, as for kubectl

Exit status: 0 success, 1 failure (protocol errors are printed on stdout, as
the protocol requires), 2 usage error.
`

func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	return app().Run(args, stdin, stdout, stderr, getenv)
}

// protocolVerb runs a docker credential-protocol verb; the App has checked
// that no argument came with it: its input is stdin.
func protocolVerb(verb string) cli.RunFunc {
	return func(_ []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
		return serveProtocol(verb, stdin, stdout, stderr, getenv)
	}
}
