// Package cli is the command line both programs share: the command table
// and its dispatch (help, --help, version, unknown commands), --flag
// parsing, exit codes and the one-line usage error.
package cli

import (
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
	// Name is what follows the program's name on the command line.
	Name string
	// Args is what follows Name in usage lines: "[flags]", "<get|store|erase>".
	Args string
	// Summary is the command's line in the program's usage; a command
	// without one is not listed there.
	Summary string
	// Help is what `help NAME` and `NAME --help` print after the command's
	// usage line, followed by its flags. A command without Flags takes
	// help, --help or -h as its only argument for it. A command with
	// neither Help nor Flags gets every argument as given, --help too: a
	// forwarded command's help comes from the program that runs it.
	Help string
	// Flags declares the command's flags on fs, bound to variables Run
	// reads: the App parses them before it calls Run. nil: no flags.
	Flags func(fs *pflag.FlagSet)
	// Run runs the command with the arguments after its name, or with none
	// when the App parsed Flags.
	Run RunFunc
	// Protocol marks a credential-protocol verb (docker's get, store,
	// erase, list): its input is stdin only, so any argument is a usage
	// error and `help NAME` prints the program's usage. The verbs share one
	// line there.
	Protocol bool
}

// App dispatches a program's arguments to its commands and answers help,
// -h, --help, version and unknown commands the same way in both programs.
type App struct {
	// Name and Title make the first line of the program's usage.
	Name, Title string
	// Commands, in the order the usage lists them.
	Commands []Command
	// About is the usage's text after the list of commands.
	About string
	// Version prints the version on stdout, warnings on stderr; nil means
	// no version command.
	Version func(stdout, stderr io.Writer)
}

// Run runs the command args names and returns the exit code.
func (a App) Run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		UsageError(stderr, "a command is required")
		return ExitUsage
	}
	name, rest := args[0], args[1:]
	switch {
	case name == "help" || isHelpFlag(name):
		if len(rest) > 0 {
			if c, ok := a.find(rest[0]); ok && !c.Protocol {
				return c.run([]string{"--help"}, stdin, stdout, stderr, getenv)
			}
		}
		a.writeUsage(stdout)
		return ExitOK
	case a.Version != nil && (name == "version" || name == "--version" || name == "-v"):
		if len(rest) > 0 {
			UsageError(stderr, "%q takes no arguments", name)
			return ExitUsage
		}
		a.Version(stdout, stderr)
		return ExitOK
	}
	c, ok := a.find(name)
	if !ok {
		UsageError(stderr, "unknown command %q", name)
		return ExitUsage
	}
	return c.run(rest, stdin, stdout, stderr, getenv)
}

func (a App) find(name string) (Command, bool) {
	for _, c := range a.Commands {
		if c.Name == name {
			return c, true
		}
	}
	return Command{}, false
}

func isHelpFlag(arg string) bool { return arg == "--help" || arg == "-h" }

// writeUsage prints the program's usage: its title, a line for each
// command with a summary, and About.
func (a App) writeUsage(w io.Writer) {
	fmt.Fprintf(w, "%s: %s\n\n", a.Name, a.Title)
	var lines [][2]string // synopsis, summary
	var verbs []string
	verbsAt := -1
	for _, c := range a.Commands {
		switch {
		case c.Protocol:
			if verbsAt < 0 {
				verbsAt = len(lines)
				lines = append(lines, [2]string{"", c.Summary})
			}
			verbs = append(verbs, c.Name)
		case c.Summary != "":
			lines = append(lines, [2]string{strings.TrimSpace(c.Name + " " + c.Args), c.Summary})
		}
	}
	if verbsAt >= 0 {
		lines[verbsAt][0] = "<" + strings.Join(verbs, "|") + ">"
	}
	if len(lines) > 0 {
		if a.Version != nil {
			lines = append(lines, [2]string{"version", "print the version"})
		}
		lines = append(lines, [2]string{"help [COMMAND]", "this text, or a command's flags"})
		width := 0
		for _, l := range lines {
			width = max(width, len(l[0]))
		}
		io.WriteString(w, "Usage:\n")
		for _, l := range lines {
			fmt.Fprintf(w, "  %s %-*s  %s\n", Name, width, l[0], l[1])
		}
		io.WriteString(w, "\n")
	}
	io.WriteString(w, a.About)
}

// run runs the command after the App's share: arguments checked, flags
// parsed, help answered.
func (c Command) run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	switch {
	case c.Protocol:
		if len(args) > 0 {
			UsageError(stderr, "%q takes no arguments (it reads standard input)", c.Name)
			return ExitUsage
		}
	case c.Flags != nil:
		fs, done, code := c.parseFlags(args, stdout, stderr)
		if done {
			return code
		}
		args = fs.Args()
	case c.Help != "" && len(args) == 1 && (args[0] == "help" || isHelpFlag(args[0])):
		c.writeHelp(stdout, nil)
		return ExitOK
	}
	return c.Run(args, stdin, stdout, stderr, getenv)
}

// parseFlags parses quietly: an error is one line on stderr, -h and --help
// print the help on stdout. done is true when the command must not run.
func (c Command) parseFlags(args []string, stdout, stderr io.Writer) (fs *pflag.FlagSet, done bool, code int) {
	fs = pflag.NewFlagSet(c.Name, pflag.ContinueOnError)
	fs.SortFlags = false
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	c.Flags(fs)
	help := fs.BoolP("help", "h", false, "print this help")
	if arg, name := singleDashLong(fs, args); arg != "" {
		UsageError(stderr, "%s: flags take two dashes: --%s, not %s", c.Name, name, arg)
		return fs, true, ExitUsage
	}
	err := fs.Parse(args)
	switch {
	case err != nil:
		UsageError(stderr, "%s: %v", c.Name, err)
		return fs, true, ExitUsage
	case *help:
		c.writeHelp(stdout, fs)
		return fs, true, ExitOK
	case fs.NArg() > 0:
		UsageError(stderr, "%s takes flags only, not %q", c.Name, fs.Arg(0))
		return fs, true, ExitUsage
	}
	return fs, false, ExitOK
}

// singleDashLong finds a long flag written with one dash, as Go's flag
// package took them (-context): pflag would read it as the shorthands
// -c -o -n ..., and its error would not say what is wrong.
func singleDashLong(fs *pflag.FlagSet, args []string) (arg, name string) {
	for _, a := range args {
		if a == "--" {
			break
		}
		if !strings.HasPrefix(a, "-") || strings.HasPrefix(a, "--") {
			continue
		}
		name, _, _ := strings.Cut(a[1:], "=")
		if len(name) > 1 && fs.Lookup(name) != nil {
			return a, name
		}
	}
	return "", ""
}

// writeHelp prints the command's usage line, Help, and its flags the pflag
// way.
func (c Command) writeHelp(w io.Writer, fs *pflag.FlagSet) {
	fmt.Fprintf(w, "Usage: %s %s\n\n%s", Name, strings.TrimSpace(c.Name+" "+c.Args), c.Help)
	if fs != nil {
		fmt.Fprintf(w, "\nFlags:\n%s", fs.FlagUsages())
	}
}

// UsageError prints a one-line usage error.
func UsageError(stderr io.Writer, format string, args ...any) {
	fmt.Fprintf(stderr, "%s: %s; run '%s help' for usage\n", Name, fmt.Sprintf(format, args...), Name)
}
