package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"

	"github.com/spf13/pflag"

	"github.com/cnoe-io/docker-credential-idpbuilder/install"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/cli"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/companion"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/config"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/helper"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/status"
	"github.com/cnoe-io/docker-credential-idpbuilder/keyring"
	"github.com/cnoe-io/docker-credential-idpbuilder/secrets"
)

// The help texts below come after the usage line cli writes, and before
// the flags.

const installHelp = `Wires docker, buildx, crane, skopeo, podman and buildah to the idpbuilder
cluster's Gitea registry:
  - finds the registry hosts from the cluster's ready GiteaProviders
    (status.endpoint; their secret and key from status.adminUser), else its
    Localbuild (gitea.<host>:<port>), else the default host; a Localbuild
    whose host, ingressHost, port or protocol, or a ready GiteaProvider
    whose endpoint or secret reference, is not a plain host name, a port
    1-65535, http or https, a secret name or key stops install, nothing
    written
  - checks that the secret (gitea/gitea-credential, or the provider's) is
    readable, caches it
  - records host -> context (and a provider's secret, key and user name) in
    the helper's config file
  - sets credHelpers[host] = "idpbuilder" in the docker config, removing the
    cluster's plain-text password an earlier 'docker login' left there
  - leaves alone, with a warning, a host found in the Localbuild that the
    docker config or a containers auth.json gives to another credential
    helper or to a credential that is not the cluster's; --registry HOST
    takes it over explicitly
  - does the same in containers auth.json files that would shadow it
  - gives git the helper for https://HOST (credential.https://HOST.helper in
    the global git config, through git config), unless --git=false; for a
    cluster made with 'idpbuilder create --protocol http', records
    "protocol": "http" and uses http://HOST
  - with --trust-ca, installs the cluster's self-signed CA for every client
    (git: http.https://HOST.sslCAInfo); an http registry has none; on macOS
    and Windows also in your login keychain or CurrentUser Root store, with
    the OS asking you to confirm (the command is printed first)

Run it again after the cluster is recreated with another host or port; it
changes only what differs. 'docker-credential-idpbuilder uninstall' undoes it.
`

const uninstallHelp = `Removes what install added: credHelpers entries naming idpbuilder, the
git config entries naming the helper (and the CA it set for git), the
keyring entries, the CA files install wrote and the helper config; and
in each cluster of the helper's table, the Secrets and ConfigMaps export
wrote, with the ServiceAccount entries export added. Every other setting
stays. Safe to run twice.
`

func newInstaller(getenv func(string) string, stdout io.Writer) (*install.Installer, error) {
	settings, err := config.SettingsFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	in := &install.Installer{
		Getenv:      getenv,
		LookPath:    exec.LookPath,
		FindProgram: companion.FindProgramBeside,
		Settings:    settings,
		Out:         stdout,
		Runner:      terminalRunner{stdout},
		Resolve: func(kubeconfig, context string) (install.Cluster, error) {
			c, err := secrets.Resolve(kubeconfig, context)
			if err != nil {
				return nil, err
			}
			return c, nil
		},
	}
	if !settings.NoCache {
		in.Cache = keyring.New(keyring.System{}, settings.KeyringTimeout, nil)
		in.Hot = helper.HotTier
	}
	return in, nil
}

// terminalRunner runs the platform's trust commands (macOS security,
// Windows certutil) on the user's terminal, so the OS can ask them to
// confirm; what the command prints joins the report.
type terminalRunner struct{ stdout io.Writer }

func (r terminalRunner) Run(ctx context.Context, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, r.stdout, os.Stderr
	return cmd.Run()
}

func installCommand() cli.Command {
	var opts install.Options
	flags := func(fs *pflag.FlagSet) {
		fs.StringVar(&opts.Context, "context", "", "kubeconfig `context` (default kind-localdev, else the current context)")
		fs.StringVar(&opts.Kubeconfig, "kubeconfig", "", "kubeconfig `path` (default $KUBECONFIG, else ~/.kube/config)")
		fs.StringArrayVar(&opts.Registries, "registry", nil, "registry `host:port` to add by hand, taken over even when another helper or credential holds it (repeatable)")
		fs.StringVar(&opts.DockerConfigDir, "docker-config", "", "docker config `folder` (default $DOCKER_CONFIG, else ~/.docker)")
		fs.BoolVar(&opts.TrustCA, "trust-ca", false, "install the cluster's self-signed CA for docker, the containers tools and Go clients")
		fs.BoolVar(&opts.Git, "git", true, "give git the helper for the registry hosts (credential.https://HOST.helper in the global git config); --git=false skips it")
		fs.BoolVar(&opts.DryRun, "dry-run", false, "print every change without writing anything")
	}
	return cli.Command{Name: "install", Args: "[flags]", Help: installHelp, Flags: flags,
		Run: func(_ []string, _ io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
			return runInstall(opts, stdout, stderr, getenv)
		}}
}

func runInstall(opts install.Options, stdout, stderr io.Writer, getenv func(string) string) int {
	in, err := newInstaller(getenv, stdout)
	if err == nil {
		err = in.Install(opts)
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: install: %v\n", name, err)
		return exitError
	}
	return exitOK
}

func uninstallCommand() cli.Command {
	var opts install.Options
	flags := func(fs *pflag.FlagSet) {
		fs.StringVar(&opts.DockerConfigDir, "docker-config", "", "docker config `folder` (default $DOCKER_CONFIG, else ~/.docker)")
		fs.BoolVar(&opts.DryRun, "dry-run", false, "print every change without writing anything")
	}
	return cli.Command{Name: "uninstall", Args: "[flags]", Help: uninstallHelp, Flags: flags,
		Run: func(_ []string, _ io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
			return runUninstall(opts, stdout, stderr, getenv)
		}}
}

func runUninstall(opts install.Options, stdout, stderr io.Writer, getenv func(string) string) int {
	in, err := newInstaller(getenv, stdout)
	if err == nil {
		// The cluster's part first: the table says where to look.
		uninstallExports(getenv, in.Settings.Timeout, opts.DryRun, stdout)
		err = in.Uninstall(opts)
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: uninstall: %v\n", name, err)
		return exitError
	}
	return exitOK
}

const statusHelp = `Checks, for every registry the helper serves: the cluster and its secret,
the keyring cache, the docker and containers configuration, the helper on
PATH, the registry itself (reachable, TLS trusted) and whether it accepts
the credentials. Each failure says how to fix it. Never prints the password.

Exit status: 0 when every registry is usable, 1 otherwise, 2 usage error.
`

func statusCommand() cli.Command {
	var opts status.Options
	var output string
	flags := func(fs *pflag.FlagSet) {
		fs.StringVarP(&output, "output", "o", "text", "output `format`: text or json")
		fs.StringVar(&opts.DockerConfigDir, "docker-config", "", "docker config `folder` (default $DOCKER_CONFIG, else ~/.docker)")
	}
	return cli.Command{Name: "status", Args: "[flags]", Help: statusHelp, Flags: flags,
		Run: func(_ []string, _ io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
			return runStatus(opts, output, stdout, stderr, getenv)
		}}
}

func runStatus(opts status.Options, output string, stdout, stderr io.Writer, getenv func(string) string) int {
	if output != "text" && output != "json" {
		cli.UsageError(stderr, "status: --output (-o) takes text or json, not %q", output)
		return exitUsage
	}
	in, err := newInstaller(getenv, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "%s: status: %v\n", name, err)
		return exitError
	}
	var rep status.Report
	checker := &status.Checker{Installer: in, Exports: exportedLister(in.Settings.Timeout)}
	rep, err = checker.Run(opts)
	if err != nil {
		fmt.Fprintf(stderr, "%s: status: %v\n", name, err)
		return exitError
	}
	if output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(rep)
	} else {
		rep.WriteText(stdout)
	}
	if !rep.Usable() {
		return exitError
	}
	return exitOK
}
