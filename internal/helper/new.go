package helper

import (
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/cli"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/clusterid"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/config"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/lockfile"
	"github.com/cnoe-io/docker-credential-idpbuilder/keyring"
)

// FromEnvironment wires the production helper: settings from the
// environment, the registry table from the config file, the kernel
// keyring's hot tier and the OS keyring, and source for the clusters.
// Diagnostics go to stderr only when debugging is on.
func FromEnvironment(getenv func(string) string, stderr io.Writer, source Source) (*Helper, error) {
	settings, err := config.SettingsFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	debugf := func(string, ...any) {}
	if settings.Debug {
		debugf = func(format string, args ...any) {
			fmt.Fprintln(stderr, cli.Name+": debug: "+printable(fmt.Sprintf(format, args...)))
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
	h := &Helper{Table: table, Source: source, Settings: settings, Getenv: getenv, Debugf: debugf}
	if settings.NoCache {
		debugf("caching is off (%s)", config.EnvNoCache)
		return h, nil
	}
	h.Cache = keyring.New(keyring.System{}, settings.KeyringTimeout, debugf)
	h.Hot = HotTier(path)
	if dir, err := lockfile.Dir(getenv); err == nil {
		h.Lock = func(host string, timeout time.Duration) func() {
			release, err := lockfile.AcquireInPrivateDir(filepath.Join(dir, lockfile.FileName(host)), timeout)
			if err != nil {
				if timeout > 0 {
					// Go on unlocked: slower under contention, never wrong.
					debugf("%s: no lock (%v)", host, err)
				}
				return nil
			}
			return release
		}
	}
	return h, nil
}

// HotTier is the hot tier of the table at tablePath. Keys are scoped by
// the table: a second table (another user's config, a test's) never reads
// this one's answers.
func HotTier(tablePath string) keyring.Hot {
	scope := fnv.New64a()
	scope.Write([]byte(tablePath))
	return keyring.NewHot(strconv.FormatUint(scope.Sum64(), 36))
}

// printable escapes control characters: debug lines carry what users and
// clients sent (a user name with a NUL, a host with an escape sequence),
// and a terminal must not act on them.
func printable(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if isControl(r) {
			b.WriteString(strings.Trim(strconv.QuoteRune(r), "'"))
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }

// Resolved is a cluster resolved in this process (the companion's, with
// client-go).
type Resolved interface {
	ID() clusterid.ID
	ReadSecret(ctx context.Context, ref idpbuilder.SecretRef) (idpbuilder.Credentials, error)
}

// Resolving is the Source of a process that links client-go: resolve, then
// read, with the ID of what was resolved also when the read fails.
type Resolving[C Resolved] func(kubeconfig, context string) (C, error)

func (resolve Resolving[C]) ReadSecret(ctx context.Context, kubeconfig, context string, ref idpbuilder.SecretRef) (idpbuilder.Credentials, *clusterid.ID, error) {
	c, err := resolve(kubeconfig, context)
	if err != nil {
		return idpbuilder.Credentials{}, nil, err
	}
	id := c.ID()
	creds, err := c.ReadSecret(ctx, ref)
	return creds, &id, err
}
