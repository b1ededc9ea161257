// Package install wires docker and the containers tools to the helper: the
// registry table, credHelpers entries, the containers auth files and, on
// request, trust in the cluster's self-signed CA.
package install

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/config"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/helper"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/jsonedit"
)

// Cluster is what install reads from the cluster.
type Cluster interface {
	Context() string
	Fingerprint() string
	Localbuilds(ctx context.Context) ([]idpbuilder.Localbuild, error)
	ReadSecret(ctx context.Context, namespace, name string) (idpbuilder.Credentials, error)
}

// Options are the install command's flags.
type Options struct {
	Kubeconfig string
	Context    string
	// Registries are added by hand to what the cluster's Localbuilds give.
	Registries []string
	// DockerConfigDir overrides $DOCKER_CONFIG and ~/.docker.
	DockerConfigDir string
	TrustCA         bool
	DryRun          bool
	// Git gives git the helper for the registry hosts (see git.go).
	Git bool
}

// Installer carries what install touches, so tests can point it at
// temporary folders and fakes.
type Installer struct {
	Getenv   func(string) string
	Resolve  func(kubeconfig, context string) (Cluster, error)
	LookPath func(string) (string, error)
	// FindProgram finds the companion program for the helper at a path;
	// nil skips that check.
	FindProgram func(helper string) (string, error)
	// Cache is where credentials are primed; nil means no caching.
	Cache helper.Cache
	// Settings bound the cluster reads.
	Settings config.Settings
	// SystemRoot prefixes /etc paths; empty in production.
	SystemRoot string
	// SystemRoots are the CAs the machine trusts; nil means the system's.
	SystemRoots *x509.CertPool
	Out         io.Writer
}

// report prints what install did, one line a step, for a person to scan.
type report struct {
	w      io.Writer
	dryRun bool
	warned bool
}

func (r *report) line(status, format string, args ...any) {
	if r.dryRun && status == "changed" {
		status = "would change"
	}
	if status == "warning" || status == "error" {
		r.warned = true
	}
	fmt.Fprintf(r.w, "  %-12s %s\n", status, fmt.Sprintf(format, args...))
}

// Install runs the install command.
func (in *Installer) Install(opts Options) error {
	rep := &report{w: in.Out, dryRun: opts.DryRun}
	kc, err := in.Resolve(opts.Kubeconfig, opts.Context)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), in.Settings.Timeout)
	defer cancel()

	found, err := in.discover(ctx, kc, rep)
	if err != nil {
		return err
	}
	hosts, explicit, err := mergeHosts(found.hosts, opts.Registries)
	if err != nil {
		return err
	}
	if len(hosts) == 0 {
		return fmt.Errorf("no registry found in context %q; name one with --registry HOST:PORT", kc.Context())
	}

	// A docker config that cannot be edited stops install before anything
	// is written.
	dockerConfig := in.dockerConfigPath(opts.DockerConfigDir)
	if _, err := jsonedit.EditFile(dockerConfig, true, true, func(o *jsonedit.Object) ([]string, error) { return wire(o, hosts, nil) }); err != nil {
		return err
	}
	table, err := in.loadTable()
	if err != nil {
		return err
	}
	// The credentials must be readable before anything points at us.
	creds, err := readSecrets(ctx, kc, rep, table, hosts)
	if err != nil {
		return err
	}
	files := readConfigFiles(append([]string{dockerConfig}, in.containersAuthFiles()...))
	if hosts = keepUnclaimed(rep, hosts, explicit, files, creds); len(hosts) == 0 {
		return errors.New("no registry left to install: each one found is someone else's (see the warnings above); name one with --registry HOST to take it over")
	}

	if err := in.recordTable(rep, table, hosts, found, kc.Context(), opts); err != nil {
		return err
	}
	if !opts.DryRun {
		in.primeCache(rep, table, kc, hosts)
	}
	if err := in.wireFiles(rep, dockerConfig, hosts, creds, opts.DryRun); err != nil {
		return err
	}
	if opts.Git {
		caFile := ""
		if opts.TrustCA {
			caFile = gitCAFile(table)
		}
		in.configureGit(rep, table, hosts, caFile, opts.DryRun)
	}

	if c := in.pathCheck(); c.OK {
		rep.line("ok", "%s", c.Detail)
	} else {
		rep.line("warning", "%s: %s", c.Detail, c.Fix)
	}
	return nil
}

// recordTable records the hosts in the registry table, with --trust-ca the
// CA files written for them, and saves it when that changed anything.
func (in *Installer) recordTable(rep *report, table *config.Table, hosts []string, found discovery, kubeContext string, opts Options) error {
	kubeconfig := opts.Kubeconfig
	if kubeconfig != "" {
		var err error
		if kubeconfig, err = filepath.Abs(kubeconfig); err != nil {
			return err
		}
	}
	changed := recordHosts(table, hosts, config.Registry{Context: kubeContext, Kubeconfig: kubeconfig}, found)
	if opts.TrustCA {
		before := len(table.Installed)
		if err := in.trustCA(rep, table, hosts, found.caPEM, opts); err != nil {
			return err
		}
		changed = changed || len(table.Installed) != before
	}
	if changed && !opts.DryRun {
		if err := table.Save(); err != nil {
			return err
		}
	}
	status := "ok"
	if changed {
		status = "changed"
	}
	rep.line(status, "helper config %s: %s", table.Path, strings.Join(hosts, ", "))
	return nil
}

// readSecrets reads, once each, the secrets the hosts' table entries name
// (idpbuilder's by default), and gives each host its credentials.
func readSecrets(ctx context.Context, kc Cluster, rep *report, table *config.Table, hosts []string) (map[string]idpbuilder.Credentials, error) {
	type ref struct{ namespace, name string }
	read := map[ref]idpbuilder.Credentials{}
	out := make(map[string]idpbuilder.Credentials, len(hosts))
	for _, h := range hosts {
		reg := table.Registries[h].WithDefaults()
		r := ref{reg.Namespace, reg.Secret}
		creds, ok := read[r]
		if !ok {
			var err error
			if creds, err = kc.ReadSecret(ctx, r.namespace, r.name); err != nil {
				return nil, err
			}
			read[r] = creds
			rep.line("ok", "secret %s/%s in context %s is readable (user %s)", r.namespace, r.name, kc.Context(), creds.Username)
		}
		out[h] = creds
	}
	return out, nil
}

// recordHosts points each host's table entry at the cluster install read
// (context and kubeconfig), merging: what else the entry records (the
// namespace and secret set with refresh, the protocol) stays. The protocol
// a Localbuild states for its hosts is recorded ("http" for a cluster made
// with --protocol http; https is the default, left out). It reports whether
// the table changed.
func recordHosts(table *config.Table, hosts []string, source config.Registry, found discovery) bool {
	changed := !table.FromFile
	if !table.FromFile {
		// The built-in default only stood in for a missing file.
		table.Registries = map[string]config.Registry{}
	}
	for _, h := range hosts {
		cur, ok := table.Registries[h]
		next := cur
		next.Context, next.Kubeconfig = source.Context, source.Kubeconfig
		if found.protocol != "" && slices.Contains(found.hosts, h) {
			next.Protocol = ""
			if found.protocol == "http" {
				next.Protocol = "http"
			}
		}
		if !ok || next != cur {
			table.Registries[h] = next
			changed = true
		}
	}
	return changed
}

// primeCache reads the cluster into the keyring for each host, so the
// first push pays nothing.
func (in *Installer) primeCache(rep *report, table *config.Table, kc Cluster, hosts []string) {
	h := &helper.Helper{Table: table, Cache: in.Cache, Settings: in.Settings,
		Resolve: func(string, string) (helper.Cluster, error) { return kc, nil }}
	for _, host := range hosts {
		res, err := h.Refresh(host)
		switch {
		case err != nil:
			rep.line("warning", "%s: cache not primed: %v", host, err)
		case res.Override:
			rep.line("warning", "%s: credentials stored by 'docker login' win over the cluster's; 'docker logout %s' drops them", host, host)
		case !res.Cached:
			rep.line("warning", "%s: not cached (%v); every push reads the cluster", host, res.CacheErr)
		default:
			rep.line("ok", "%s: credentials cached in the OS keyring", host)
		}
	}
}

// wireFiles points the docker config, and every containers auth file that
// would shadow it, at the helper for the hosts.
func (in *Installer) wireFiles(rep *report, dockerConfig string, hosts []string, creds map[string]idpbuilder.Credentials, dryRun bool) error {
	changes, err := jsonedit.EditFile(dockerConfig, true, dryRun, func(o *jsonedit.Object) ([]string, error) { return wire(o, hosts, creds) })
	if err != nil {
		return err
	}
	reportFile(rep, "docker config "+dockerConfig, changes)

	for _, path := range in.containersAuthFiles() {
		changes, err := jsonedit.EditFile(path, false, dryRun, func(o *jsonedit.Object) ([]string, error) {
			if !holdsAuthFor(o, hosts) {
				return nil, nil
			}
			return wire(o, hosts, creds)
		})
		if err != nil {
			rep.line("warning", "%v", err)
			continue
		}
		if len(changes) > 0 {
			reportFile(rep, "containers auth "+path, changes)
		}
	}
	return nil
}

func reportFile(rep *report, what string, changes []string) {
	if len(changes) == 0 {
		rep.line("ok", "%s: already set", what)
		return
	}
	rep.line("changed", "%s: %s", what, strings.Join(changes, "; "))
}

// holdsAuthFor reports whether a containers auth file holds a credential
// for one of the hosts under any key form (see authKeys): skopeo, podman
// and buildah would use it instead of the docker config's credHelpers.
func holdsAuthFor(o *jsonedit.Object, hosts []string) bool {
	auths, _, err := o.SubObject("auths")
	if err != nil {
		return true // let wire report the malformed file
	}
	for _, h := range hosts {
		for _, k := range authKeys(auths, h) {
			if raw, _ := auths.Get(k); classifyAuth(raw, idpbuilder.Credentials{}) != authNone {
				return true
			}
		}
	}
	return false
}

// mergeHosts adds the --registry hosts to the discovered ones; explicit
// marks those the user named, which install may take over from another
// helper or credential.
func mergeHosts(found, extra []string) (hosts []string, explicit map[string]bool, err error) {
	set := map[string]bool{}
	for _, h := range found {
		set[h] = true
	}
	explicit = map[string]bool{}
	for _, r := range extra {
		h, err := config.Normalize(r)
		if err == nil {
			err = checkRegistry(h)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("--registry: %w", err)
		}
		set[h], explicit[h] = true, true
	}
	for h := range set {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	return hosts, explicit, nil
}

func (in *Installer) loadTable() (*config.Table, error) {
	path, err := config.DefaultPath(in.Getenv)
	if err != nil {
		return nil, err
	}
	return config.Load(path)
}

func (in *Installer) home() string {
	if h := in.Getenv("HOME"); h != "" {
		return h
	}
	h, _ := os.UserHomeDir()
	return h
}

func (in *Installer) xdgConfigHome() string {
	if d := in.Getenv("XDG_CONFIG_HOME"); d != "" && filepath.IsAbs(d) {
		return d
	}
	return filepath.Join(in.home(), ".config")
}

// dockerConfigDir is --docker-config, else $DOCKER_CONFIG, else ~/.docker.
func (in *Installer) dockerConfigDir(flag string) string {
	if flag != "" {
		return flag
	}
	if d := in.Getenv("DOCKER_CONFIG"); d != "" {
		return d
	}
	return filepath.Join(in.home(), ".docker")
}

func (in *Installer) dockerConfigPath(flag string) string {
	return filepath.Join(in.dockerConfigDir(flag), "config.json")
}

// containersAuthFiles are the files skopeo, podman and buildah read before
// the docker config; an auths entry there shadows our credHelpers entry.
func (in *Installer) containersAuthFiles() []string {
	if f := in.Getenv("REGISTRY_AUTH_FILE"); f != "" {
		return []string{f}
	}
	runtime := in.Getenv("XDG_RUNTIME_DIR")
	var files []string
	if runtime != "" {
		files = append(files, filepath.Join(runtime, "containers", "auth.json"))
	} else {
		files = append(files, filepath.Join(in.SystemRoot+"/run/containers", fmt.Sprint(os.Getuid()), "auth.json"))
	}
	return append(files, filepath.Join(in.xdgConfigHome(), "containers", "auth.json"))
}

// Uninstall removes what install added: credHelpers entries naming us, the
// keyring entries and files install wrote, and the helper config.
func (in *Installer) Uninstall(opts Options) error {
	rep := &report{w: in.Out, dryRun: opts.DryRun}
	table, err := in.loadTable()
	if err != nil {
		return err
	}
	files := append([]string{in.dockerConfigPath(opts.DockerConfigDir)}, in.containersAuthFiles()...)
	for _, path := range files {
		changes, err := jsonedit.EditFile(path, false, opts.DryRun, unwire)
		if err != nil {
			rep.line("warning", "%v", err)
			continue
		}
		if len(changes) > 0 {
			reportFile(rep, path, changes)
		}
	}
	if in.Cache != nil {
		for _, h := range table.Hosts() {
			if opts.DryRun {
				rep.line("changed", "keyring entry for %s", h)
				continue
			}
			if existed, err := in.Cache.Delete(h); err != nil {
				rep.line("warning", "keyring entry for %s not removed: %v", h, err)
			} else if existed {
				rep.line("changed", "removed the keyring entry for %s", h)
			}
		}
	}
	in.unconfigureGit(rep, gitCAFile(table), opts.DryRun)
	for _, f := range table.Installed {
		if opts.DryRun {
			rep.line("changed", "remove %s", f)
			continue
		}
		if err := os.Remove(f); err == nil {
			rep.line("changed", "removed %s", f)
			_ = os.Remove(filepath.Dir(f)) // the host folder, when install made it and it is empty
		} else if !errors.Is(err, os.ErrNotExist) {
			rep.line("warning", "%s not removed: %v", f, err)
		}
	}
	if table.FromFile {
		if !opts.DryRun {
			if err := os.Remove(table.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("removing %s: %w", table.Path, err)
			}
			_ = os.Remove(filepath.Dir(table.Path))
		}
		rep.line("changed", "removed helper config %s", table.Path)
	}
	if !rep.warned {
		fmt.Fprintln(in.Out, "  done: nothing of docker-credential-idpbuilder is left configured")
	}
	return nil
}

// pathCheck finds the helper on PATH, as docker does, and the companion
// program where the helper will look for it.
func (in *Installer) pathCheck() Check {
	p, err := in.LookPath("docker-credential-idpbuilder")
	if err != nil {
		return Check{Name: "path", Detail: "docker-credential-idpbuilder is not on PATH, so docker cannot run it",
			Fix: "put its folder on PATH (for 'go install': export PATH=\"$(go env GOPATH)/bin:$PATH\")", Blocking: true}
	}
	if in.FindProgram != nil {
		if _, err := in.FindProgram(p); err != nil {
			return Check{Name: "path", Detail: err.Error(), Fix: "install docker-credential-idpbuilder-cluster beside docker-credential-idpbuilder", Blocking: true}
		}
	}
	return Check{Name: "path", OK: true, Detail: "helper on PATH: " + p}
}
