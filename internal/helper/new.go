package helper

import (
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/cli"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/config"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/fetchtime"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/lockfile"
	"github.com/cnoe-io/docker-credential-idpbuilder/keyring"
)

// FromEnvironment wires the production helper: settings from the
// environment, the registry table from the config file, the OS keyring, and
// resolve for the clusters (callers that need the settings first, such as
// docker-credential-idpbuilder for the companion resolver, pass nil and set Resolve after).
// Diagnostics go to stderr only when debugging is on.
func FromEnvironment(getenv func(string) string, stderr io.Writer, resolve Resolver) (*Helper, error) {
	settings, err := config.SettingsFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	debugf := func(string, ...any) {}
	if settings.Debug {
		debugf = func(format string, args ...any) {
			fmt.Fprintf(stderr, cli.Name+": debug: "+format+"\n", args...)
		}
	}
	path, err := config.DefaultPath(getenv)
	if err != nil {
		return nil, err
	}
	table, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	h := &Helper{
		Table:    table,
		Resolve:  resolve,
		Settings: settings,
		Debugf:   debugf,
	}
	if settings.NoCache {
		debugf("caching is off (%s)", config.EnvNoCache)
	} else {
		h.Cache = keyring.New(keyring.System{}, settings.KeyringTimeout, debugf)
	}
	if dir, err := lockfile.Dir(getenv); err == nil {
		if h.Cache != nil {
			// Fetch times live beside the locks, in the same folder of
			// the user's (tmpfs under XDG_RUNTIME_DIR).
			h.Fetched = fetchtime.New(dir)
		}
		h.Lock = func(host string, timeout time.Duration) func() {
			release, err := lockfile.Acquire(filepath.Join(dir, lockfile.FileName(host)), timeout)
			if err != nil {
				// Go on unlocked: slower under contention, never wrong.
				debugf("%s: no lock (%v)", host, err)
				return nil
			}
			return release
		}
	}
	return h, nil
}

// ResolverOf turns a resolver that returns a concrete cluster type (the
// companion's client, or the client-go reader) into a Resolver.
func ResolverOf[C Cluster](resolve func(kubeconfigPath, context string) (C, error)) Resolver {
	return func(kubeconfigPath, context string) (Cluster, error) {
		c, err := resolve(kubeconfigPath, context)
		if err != nil {
			return nil, err
		}
		return c, nil
	}
}
