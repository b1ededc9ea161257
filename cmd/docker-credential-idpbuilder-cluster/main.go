// Command docker-credential-idpbuilder-cluster is the part of
// docker-credential-idpbuilder that talks to the cluster: install,
// uninstall, status, refresh, and reading the secret on a cache miss. It
// links client-go, so the protocol helper runs it only when it must; users
// run its commands through docker-credential-idpbuilder.
package main

import (
	"io"
	"os"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/cli"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/companion"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/helper"
	"github.com/cnoe-io/docker-credential-idpbuilder/secrets"
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

type subcommand func(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int

// subcommands are the commands the helper hands over (companion.Forwarded)
// and the read-secret request of a cache miss.
func subcommands() map[string]subcommand {
	return map[string]subcommand{
		"install":                   runInstall,
		"uninstall":                 runUninstall,
		"status":                    runStatus,
		"refresh":                   runRefresh,
		companion.ReadSecretCommand: runReadSecret,
	}
}

const usage = `docker-credential-idpbuilder-cluster: the cluster side of docker-credential-idpbuilder

Run its commands through docker-credential-idpbuilder (install, uninstall,
status, refresh; see 'docker-credential-idpbuilder help'). read-secret is
how the helper reads the secret on a cache miss.
`

func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "--help" || args[0] == "-h" {
		if len(args) > 1 {
			if sub, ok := subcommands()[args[1]]; ok {
				return sub([]string{"--help"}, stdin, stdout, stderr, getenv)
			}
		}
		io.WriteString(stdout, usage)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	if sub, ok := subcommands()[args[0]]; ok {
		return sub(args[1:], stdin, stdout, stderr, getenv)
	}
	cli.UsageError(stderr, "unknown command %q", args[0])
	return exitUsage
}

// resolveKube resolves a context and talks to it with client-go.
func resolveKube(kubeconfigPath, context string) (helper.Cluster, error) {
	return helper.ResolverOf(secrets.Resolve)(kubeconfigPath, context)
}
