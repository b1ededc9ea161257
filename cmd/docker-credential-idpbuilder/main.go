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

type subcommand func(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int

// subcommands are the commands people run; the protocol verbs are separate.
// Those that talk to the cluster run in the companion.
func subcommands() map[string]subcommand {
	cmds := map[string]subcommand{"git": runGit}
	for _, name := range companion.Forwarded() {
		cmds[name] = forward(name)
	}
	return cmds
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		cli.UsageError(stderr, "a command is required")
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "get", "store", "erase", "list":
		if len(rest) > 0 {
			cli.UsageError(stderr, "%q takes no arguments (it reads standard input)", cmd)
			return exitUsage
		}
		return serveProtocol(cmd, stdin, stdout, stderr, getenv)
	case "version", "--version", "-v":
		if len(rest) > 0 {
			cli.UsageError(stderr, "%q takes no arguments", cmd)
			return exitUsage
		}
		printVersion(stdout)
		return exitOK
	case "help", "--help", "-h":
		if len(rest) > 0 {
			if sub, ok := subcommands()[rest[0]]; ok {
				return sub([]string{"--help"}, stdin, stdout, stderr, getenv)
			}
		}
		io.WriteString(stdout, usage)
		return exitOK
	default:
		if sub, ok := subcommands()[cmd]; ok {
			return sub(rest, stdin, stdout, stderr, getenv)
		}
		cli.UsageError(stderr, "unknown command %q", cmd)
		return exitUsage
	}
}
