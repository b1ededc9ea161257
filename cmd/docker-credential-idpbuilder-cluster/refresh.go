package main

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/cli"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/config"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/helper"
)

// refreshHelp follows the usage line cli writes; the flags follow it.
const refreshHelp = `Re-reads the Gitea credentials from the cluster now and rewrites the keyring
cache, for every registry the helper serves, or for --registry HOST only.
Use it after the password changed (idpbuilder create --dev-password). It
also updates the Secrets 'export' wrote into those clusters (found by their
label, in all namespaces) whose credential is no longer the cluster's.

--registry HOST with any of --context, --kubeconfig, --namespace, --secret
records where HOST's credentials come from in the helper's config file. With
a single registry configured, those flags apply to it without --registry.

It prints the host, user and context; never the password.
`

func refreshCommand() cli.Command {
	var registry string
	// changes are the source fields to record for the registry.
	var changes config.Registry
	flags := func(fs *pflag.FlagSet) {
		fs.StringVar(&registry, "registry", "", "registry `host[:port]` to refresh (default: all)")
		fs.StringVar(&changes.Context, "context", "", "kubeconfig `context` (default kind-localdev, else the current context)")
		fs.StringVar(&changes.Kubeconfig, "kubeconfig", "", "kubeconfig `path` (default $KUBECONFIG, else ~/.kube/config)")
		fs.StringVar(&changes.Namespace, "namespace", "", "`namespace` of the secret (default gitea)")
		fs.StringVar(&changes.Secret, "secret", "", "`name` of the secret (default gitea-credential)")
	}
	return cli.Command{Name: "refresh", Args: "[flags]", Help: refreshHelp, Flags: flags,
		Run: func(_ []string, _ io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
			return runRefresh(registry, changes, stdout, stderr, getenv)
		}}
}

func runRefresh(registry string, changes config.Registry, stdout, stderr io.Writer, getenv func(string) string) int {
	if changes.Kubeconfig != "" {
		// Recorded as given, a relative path would be read from whatever
		// folder docker runs in.
		abs, err := filepath.Abs(changes.Kubeconfig)
		if err != nil {
			fmt.Fprintf(stderr, "%s: --kubeconfig: %v\n", name, err)
			return exitError
		}
		changes.Kubeconfig = abs
	}
	var hosts []string
	if registry != "" {
		host, err := config.Normalize(registry)
		if err != nil {
			cli.UsageError(stderr, "--registry: %v", err)
			return exitUsage
		}
		hosts = []string{host}
	}
	if changes != (config.Registry{}) || registry != "" {
		// The table as it is on disk, not as the helper loads it: recording
		// is how an entry the helper refuses (a relative kubeconfig) is
		// repaired.
		path, err := config.DefaultPath(getenv)
		several := false
		var recorded string
		if err == nil {
			_, _, err = config.Update(path, false, func(t *config.Table) (bool, error) {
				target := hosts
				if target == nil {
					target = t.Hosts()
				}
				if changes == (config.Registry{}) && has(t, target[0]) {
					return false, nil
				}
				if several = len(target) != 1; several {
					return false, nil
				}
				recorded = target[0]
				record(t, recorded, changes)
				return true, nil
			})
		}
		switch {
		case err != nil:
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			return exitError
		case several:
			cli.UsageError(stderr, "several registries are configured; name one with --registry")
			return exitUsage
		case recorded != "":
			fmt.Fprintf(stdout, "recorded %s in %s\n", recorded, path)
		}
	}
	h, err := helper.FromEnvironment(getenv, stderr, clusterSource())
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return exitError
	}
	if hosts == nil {
		hosts = h.Table.Hosts()
	}

	failed := false
	var refreshed []string
	for _, host := range hosts {
		res, err := h.Refresh(host)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			failed = true
			continue
		}
		refreshed = append(refreshed, host)
		fmt.Fprintf(stdout, "refreshed %s: user %s from context %s; %s\n", res.Host, res.Username, res.Context, cacheNote(res))
	}
	// The Secrets export wrote into those clusters follow the same change.
	deadline, _ := exportDeadline(getenv) // FromEnvironment has read the settings
	if refreshExports(h.Table, refreshed, deadline, stdout, stderr) {
		failed = true
	}
	if failed {
		return exitError
	}
	return exitOK
}

func has(t *config.Table, host string) bool {
	_, ok := t.Registries[host]
	return ok
}

// record merges the given source fields into the table entry.
func record(t *config.Table, host string, changes config.Registry) {
	reg := t.Registries[host]
	for _, f := range []struct {
		dst *string
		src string
	}{
		{&reg.Context, changes.Context},
		{&reg.Kubeconfig, changes.Kubeconfig},
		{&reg.Namespace, changes.Namespace},
		{&reg.Secret, changes.Secret},
	} {
		if f.src != "" {
			*f.dst = f.src
		}
	}
	t.Registries[host] = reg
}

func cacheNote(res helper.RefreshResult) string {
	switch {
	case res.Override:
		return fmt.Sprintf("credentials stored by 'docker login' still win; 'docker logout %s' drops them", res.Host)
	case res.Cached:
		return "cached in the OS keyring"
	default:
		return fmt.Sprintf("not cached (%v); every get reads the cluster", res.CacheErr)
	}
}
