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

// app is the companion's command table: the commands the helper hands over
// (companion.Forwarded) and the read-secret request of a cache miss.
func app() cli.App {
	return cli.App{Usage: usage, Commands: []cli.Command{
		{Name: "install", Run: runInstall},
		{Name: "uninstall", Run: runUninstall},
		{Name: "status", Run: runStatus},
		{Name: "refresh", Run: runRefresh},
		{Name: companion.ReadSecretCommand, Run: runReadSecret},
	}}
}

const usage = `docker-credential-idpbuilder-cluster: the cluster side of docker-credential-idpbuilder

Run its commands through docker-credential-idpbuilder (install, uninstall,
status, refresh; see 'docker-credential-idpbuilder help'). read-secret is
how the helper reads the secret on a cache miss.
`

func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	return app().Run(args, stdin, stdout, stderr, getenv)
}

// resolveKube resolves a context and talks to it with client-go.
func resolveKube(kubeconfigPath, context string) (helper.Cluster, error) {
	return helper.ResolverOf(secrets.Resolve)(kubeconfigPath, context)
}
