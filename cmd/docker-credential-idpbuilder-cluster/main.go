// Command docker-credential-idpbuilder-cluster is the part of
// docker-credential-idpbuilder that talks to the cluster: install,
// uninstall, status, refresh, and reading the secret on a cache miss. It
// links client-go, so the protocol helper runs it only when it must; users
// run its commands through docker-credential-idpbuilder.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/cli"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/companion"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/helper"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/version"
	"github.com/cnoe-io/docker-credential-idpbuilder/secrets"
)

func main() {
	stderr := os.Stderr
	// client-go gives an exec credential plugin the process's stderr and
	// logs there with klog, and a plugin that fails may print anything,
	// its token included: read-secret's stderr reaches docker's or git's in
	// debug mode, the others' a terminal or a CI log. So os.Stderr is the
	// null device for the whole process, and the commands write their own
	// diagnostics to the real one, given to them here.
	if null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0); err == nil {
		os.Stderr = null
	} else {
		fmt.Fprintf(stderr, "%s: cannot open %s for the exec plugins' output: %v\n", companion.Program, os.DevNull, err)
		os.Exit(exitError)
	}
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, stderr, os.Getenv))
}

const (
	exitOK    = cli.ExitOK
	exitError = cli.ExitError
	exitUsage = cli.ExitUsage
	name      = cli.Name
)

// app is the companion's command table: the commands the helper hands over
// (companion.Forwarded) and the read-secret request of a cache miss. None
// has a summary: users run them through the helper, whose usage lists them.
func app() cli.App {
	return cli.App{
		Name:    companion.Program,
		Title:   "the cluster side of " + name,
		About:   about,
		Version: printVersion,
		Commands: []cli.Command{
			installCommand(),
			uninstallCommand(),
			statusCommand(),
			refreshCommand(),
			exportCommand(),
			// read-secret parses its own arguments: companion.ParseRequest
			// is the one definition of them.
			{Name: companion.ReadSecretCommand, Run: runReadSecret},
		},
		// The helper forwards completion: the flags it completes are
		// declared here.
	}.WithCompletion(companion.ForwardedNames()...)
}

const about = `Run its commands through docker-credential-idpbuilder (install, uninstall,
status, refresh, export; see 'docker-credential-idpbuilder help'). read-secret is
how the helper reads the secret on a cache miss.
`

func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	self, _ := os.Executable()
	args, ok := companion.AcceptHelper(args, version.Get().Version, self, stdout, stderr)
	if !ok {
		return exitError
	}
	return app().Run(args, stdin, stdout, stderr, getenv)
}

// printVersion prints the companion's stamp; the helper's version command
// reads its first line.
func printVersion(stdout, _ io.Writer) { version.Get().Write(stdout, companion.Program) }

// clusterSource reads secrets in this process, with client-go.
func clusterSource() helper.Source { return helper.Resolving[*secrets.Cluster](secrets.Resolve) }
