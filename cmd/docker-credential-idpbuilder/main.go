// Command docker-credential-idpbuilder is a docker credential helper that
// serves the Gitea admin credentials of an idpbuilder cluster.
package main

import (
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

// Exit codes.
const (
	exitOK    = 0
	exitError = 1 // the protocol's failure code; docker reads stdout then
	exitUsage = 2
)

type subcommand func(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int

// subcommands are the commands people run; the protocol verbs are separate.
var subcommands = map[string]subcommand{
	"refresh":   runRefresh,
	"install":   runInstall,
	"uninstall": runUninstall,
	"status":    runStatus,
	"git":       runGit,
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		usageError(stderr, "a command is required")
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "get", "store", "erase", "list":
		if len(rest) > 0 {
			usageError(stderr, "%q takes no arguments (it reads standard input)", cmd)
			return exitUsage
		}
		return serveProtocol(cmd, stdin, stdout, stderr, getenv)
	case "version", "--version", "-v":
		if len(rest) > 0 {
			usageError(stderr, "%q takes no arguments", cmd)
			return exitUsage
		}
		printVersion(stdout)
		return exitOK
	case "help", "--help", "-h":
		if len(rest) > 0 {
			if sub, ok := subcommands[rest[0]]; ok {
				return sub([]string{"--help"}, stdin, stdout, stderr, getenv)
			}
		}
		io.WriteString(stdout, usage)
		return exitOK
	default:
		if sub, ok := subcommands[cmd]; ok {
			return sub(rest, stdin, stdout, stderr, getenv)
		}
		usageError(stderr, "unknown command %q", cmd)
		return exitUsage
	}
}
