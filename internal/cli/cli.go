// Package cli holds what the two programs share on their command lines:
// exit codes, the one-line usage error and quiet flag parsing.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// Name is the program users run; both programs speak under it.
const Name = "docker-credential-idpbuilder"

// Exit codes.
const (
	ExitOK    = 0
	ExitError = 1 // the protocol's failure code; docker reads stdout then
	ExitUsage = 2
)

// UsageError prints a one-line usage error.
func UsageError(stderr io.Writer, format string, args ...any) {
	fmt.Fprintf(stderr, "%s: %s; run '%s help' for usage\n", Name, fmt.Sprintf(format, args...), Name)
}

// ParseFlags parses quietly: errors become one line on stderr, --help prints
// help and the flags on stdout. done is true when the caller should return
// code.
func ParseFlags(fs *flag.FlagSet, help string, args []string, stdout, stderr io.Writer) (done bool, code int) {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		io.WriteString(stdout, help)
		fs.SetOutput(stdout)
		fs.PrintDefaults()
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
