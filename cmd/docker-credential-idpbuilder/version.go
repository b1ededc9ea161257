package main

import (
	"context"
	"fmt"
	"io"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/companion"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/version"
)

// printVersion prints the helper's stamp (its first line is the one the
// credential helpers' version verb prints) and the companion it would run.
// A companion missing or of another release is a warning on stderr: the
// helper still answers from its cache, and stdout keeps the version lines.
func printVersion(stdout, stderr io.Writer) {
	own := version.Get()
	own.Write(stdout, name)
	program, err := companion.FindProgram()
	if err != nil {
		fmt.Fprintln(stdout, "companion: not found")
		fmt.Fprintf(stderr, "%s: warning: %v\n", name, err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), companion.VersionTimeout)
	defer cancel()
	v, err := companion.ProgramVersion(ctx, program)
	if err != nil {
		fmt.Fprintf(stdout, "companion: %s (version unknown)\n", program)
		fmt.Fprintf(stderr, "%s: warning: cannot tell the companion's version (%v): it may be from another release; %s\n",
			name, err, companion.ReinstallBoth)
		return
	}
	fmt.Fprintf(stdout, "companion: %s %s\n", program, v)
	if err := companion.CheckHelper(own.Version, v, program); err != nil {
		fmt.Fprintf(stderr, "%s: warning: %v\n", name, err)
	}
}
