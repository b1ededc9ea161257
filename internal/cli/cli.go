// Package cli is what the two programs share on their command lines: the
// command dispatch (help, --help, unknown commands), --flag parsing, exit
// codes and the one-line usage error.
package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"
)

// Name is the program users run; both programs speak under it.
const Name = "docker-credential-idpbuilder"

// Exit codes.
const (
	ExitOK    = 0
	ExitError = 1 // the protocol's failure code; docker reads stdout then
	ExitUsage = 2
)

// RunFunc runs a command with the arguments after its name and returns the
// exit code; the streams and environment are passed in so tests need no
// globals.
type RunFunc func(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int

// Command is one command of a program.
type Command struct {
	Name string
	Run  RunFunc
	// Protocol marks a credential-protocol verb: it reads stdin only, so
	// `help NAME` shows the program's usage instead of running it.
	Protocol bool
}

// App dispatches a program's arguments to its commands and answers help,
// -h, --help, version and unknown commands the same way in both programs.
type App struct {
	// Usage is the program's help text.
	Usage    string
	Commands []Command
	// Version prints the version line; nil means no version command.
	Version func(io.Writer)
}

func (a App) find(name string) (Command, bool) {
	for _, c := range a.Commands {
		if c.Name == name {
			return c, true
		}
	}
	return Command{}, false
}

// Run runs the command args name and returns the exit code.
func (a App) Run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		UsageError(stderr, "a command is required")
		return ExitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "--help", "-h":
		if len(rest) > 0 {
			if c, ok := a.find(rest[0]); ok && !c.Protocol {
				return c.Run([]string{"--help"}, stdin, stdout, stderr, getenv)
			}
		}
		io.WriteString(stdout, a.Usage)
		return ExitOK
	case "version", "--version", "-v":
		if a.Version == nil {
			break
		}
		if len(rest) > 0 {
			UsageError(stderr, "%q takes no arguments", name)
			return ExitUsage
		}
		a.Version(stdout)
		return ExitOK
	}
	if c, ok := a.find(name); ok {
		return c.Run(rest, stdin, stdout, stderr, getenv)
	}
	UsageError(stderr, "unknown command %q", name)
	return ExitUsage
}

// UsageError prints a one-line usage error.
func UsageError(stderr io.Writer, format string, args ...any) {
	fmt.Fprintf(stderr, "%s: %s; run '%s help' for usage\n", Name, fmt.Sprintf(format, args...), Name)
}

// NewFlags returns a flag set for a command, in the --flag style of
// kubectl, docker and crane.
func NewFlags(command string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(command, pflag.ContinueOnError)
	fs.SortFlags = false
	return fs
}

// ParseFlags parses quietly: errors become one line on stderr, -h and
// --help print help and the flags on stdout. done is true when the caller
// should return code.
func ParseFlags(fs *pflag.FlagSet, help string, args []string, stdout, stderr io.Writer) (done bool, code int) {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	for _, a := range args {
		if a == "--" {
			break
		}
		// Go's flag package took -name; pflag reads it as shorthands.
		if name, _, _ := strings.Cut(strings.TrimPrefix(a, "-"), "="); strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && len(name) > 1 && fs.Lookup(name) != nil {
			UsageError(stderr, "%s: flags take two dashes: --%s, not %s", fs.Name(), name, a)
			return true, ExitUsage
		}
	}
	err := fs.Parse(args)
	switch {
	case errors.Is(err, pflag.ErrHelp):
		io.WriteString(stdout, help)
		io.WriteString(stdout, fs.FlagUsages())
		return true, ExitOK
	case err != nil:
		UsageError(stderr, "%s: %v", fs.Name(), err)
		return true, ExitUsage
	case fs.NArg() > 0:
		UsageError(stderr, "%s takes flags only, not %q", fs.Name(), fs.Arg(0))
		return true, ExitUsage
	}
	return false, ExitOK
}
