package main

import (
	"fmt"
	"io"
	"runtime/debug"

	"github.com/docker/docker-credential-helpers/credentials"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/companion"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/helper"
)

const modulePath = "github.com/cnoe-io/docker-credential-idpbuilder"

// version is set with -ldflags "-X main.version=..." by release builds; go
// install builds take it from the module's build info.
var version = ""

const usage = `docker-credential-idpbuilder: docker credentials for idpbuilder's Gitea registry

Usage:
  docker-credential-idpbuilder <get|store|erase|list>   credential-helper protocol (run by docker, crane, ...)
  docker-credential-idpbuilder git <get|store|erase>    git's credential-helper protocol (run by git)
  docker-credential-idpbuilder install [flags]         wire docker and the containers tools to the cluster
  docker-credential-idpbuilder uninstall [flags]       undo install
  docker-credential-idpbuilder status [-o json]        check every registry and say how to fix what fails
  docker-credential-idpbuilder refresh [flags]         re-read the cluster now and rewrite the cache
  docker-credential-idpbuilder version                 print the version
  docker-credential-idpbuilder help [COMMAND]          this text, or a command's flags

Docker runs the helper for the registries that name it in ~/.docker/config.json:
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

func printVersion(w io.Writer) {
	v := version
	if v == "" {
		v = "(devel)"
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
			v = bi.Main.Version
		}
	}
	// The same shape as the credentials package's own version line.
	fmt.Fprintf(w, "%s (%s) %s\n", name, modulePath, v)
}

// serveProtocol runs one protocol verb. Errors go to stdout, where docker
// reads them; the not-found text must stay exactly the library's.
func serveProtocol(verb string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	h, err := newHelper(getenv, stderr)
	if err == nil {
		err = credentials.HandleCommand(h, verb, stdin, stdout)
	}
	if err == nil {
		return exitOK
	}
	if credentials.IsErrCredentialsNotFound(err) {
		fmt.Fprintln(stdout, err)
	} else {
		fmt.Fprintf(stdout, "%s: %v\n", name, err)
	}
	return exitError
}

// newHelper is the production helper: clusters resolved without client-go,
// secrets read through the companion program (its diagnostics reach stderr
// only in debug mode).
func newHelper(getenv func(string) string, stderr io.Writer) (*helper.Helper, error) {
	h, err := helper.FromEnvironment(getenv, stderr, nil)
	if err != nil {
		return nil, err
	}
	var programStderr io.Writer
	if h.Settings.Debug {
		programStderr = stderr
	}
	h.Resolve = helper.ResolverOf(companion.Resolver(getenv, programStderr))
	return h, nil
}
