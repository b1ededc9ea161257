package install

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/atomicfile"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/cli"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/clusterid"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/companion"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/config"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/gitconfig"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/helper"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/jsonedit"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/userdirs"
	"github.com/cnoe-io/docker-credential-idpbuilder/keyring"
)

// Cluster is what install reads from the cluster.
type Cluster interface {
	Discoverer
	Fingerprint() string
	ID() clusterid.ID
	ReadSecret(ctx context.Context, ref idpbuilder.SecretRef) (idpbuilder.Credentials, error)
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
	// Git gives git the helper for the registry hosts (internal/gitconfig).
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
	// Hot gives the hot tier of a table (helper.HotTier), cleared by every
	// write of Cache and emptied by uninstall; nil means none.
	Hot func(tablePath string) keyring.Hot
	// Settings bound the cluster reads.
	Settings config.Settings
	// SystemRoot prefixes /etc and /run paths; empty in production.
	SystemRoot string
	// GOOS is the platform whose folders and trust store install uses;
	// empty means runtime.GOOS. Tests set it.
	GOOS string
	// Runner runs the platform's trust commands (macOS security, Windows
	// certutil); nil where none is needed.
	Runner Runner
	// Out takes the report, one line a step.
	Out io.Writer
}

// dirs finds the user's files in the installer's environment.
func (in *Installer) dirs() userdirs.Dirs {
	return userdirs.Dirs{Getenv: in.Getenv, Root: in.SystemRoot, GOOS: in.goos()}
}

// loadTable reads the helper's table, checking every entry can be used.
func (in *Installer) loadTable() (*config.Table, error) {
	return in.loadTableWith(config.Load)
}

// loadTableWith reads the helper's table with load: config.Load checks
// every entry can be used; config.LoadForEdit reads a table that may not.
func (in *Installer) loadTableWith(load func(path string) (*config.Table, error)) (*config.Table, error) {
	path, err := config.DefaultPath(in.Getenv)
	if err != nil {
		return nil, err
	}
	return load(path)
}

// installRun is one run of install: what each step found, for the next.
type installRun struct {
	in           *Installer
	opts         Options
	rep          *cli.Report
	ctx          context.Context
	cluster      Cluster
	kubeconfig   string // --kubeconfig made absolute
	found        Discovery
	hosts        []string
	explicit     map[string]bool // hosts named with --registry
	dockerConfig string
	table        *config.Table
	creds        map[string]idpbuilder.Credentials // per host
}

// Install runs the install command. Its steps are the lines of its help;
// every check that can stop it comes before the first write.
func (in *Installer) Install(opts Options) error {
	ctx, cancel := context.WithTimeout(context.Background(), in.Settings.Timeout)
	defer cancel()
	run := &installRun{in: in, opts: opts, ctx: ctx, rep: &cli.Report{W: in.Out, DryRun: opts.DryRun}}
	for _, step := range []func() error{
		run.resolve,
		run.discover,
		run.checkDockerConfig,
		run.readSecret,
		run.leaveOthersRegistries,
		run.checkCA,
		run.recordTable,
		run.trustCA,
		run.primeCache,
		run.wireDocker,
		run.wireContainers,
		run.configureGit,
		run.checkPath,
	} {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// resolve finds the kubeconfig context: --context, else kind-localdev,
// else the current one.
func (r *installRun) resolve() (err error) {
	if r.kubeconfig = r.opts.Kubeconfig; r.kubeconfig != "" {
		if r.kubeconfig, err = filepath.Abs(r.kubeconfig); err != nil {
			return fmt.Errorf("--kubeconfig: %w", err)
		}
	}
	r.cluster, err = r.in.Resolve(r.opts.Kubeconfig, r.opts.Context)
	return err
}

// discover finds the registry hosts in the cluster's ready GiteaProviders,
// else its Localbuild, plus --registry.
func (r *installRun) discover() (err error) {
	if r.found, err = Discover(r.ctx, r.cluster); err != nil {
		return err
	}
	for _, n := range r.found.Notes {
		r.rep.Line(n.Level, "%s", n.Text)
	}
	for _, f := range r.found.Registries {
		if f.FromProvider() {
			r.rep.Line("ok", "%s: from %s (secret %s)", f.Host, f.Source, f.Secret)
		}
	}
	if r.hosts, r.explicit, err = mergeHosts(r.found.Hosts(), r.opts.Registries); err != nil {
		return err
	}
	if len(r.hosts) == 0 {
		return fmt.Errorf("no registry found in context %q; name one with --registry HOST:PORT", r.cluster.Context())
	}
	return nil
}

// checkDockerConfig stops install before anything is written when the
// docker config cannot be edited.
func (r *installRun) checkDockerConfig() error {
	r.dockerConfig = r.in.dirs().DockerConfigFile(r.opts.DockerConfigDir)
	changes, err := jsonedit.EditFile(r.dockerConfig, true, true, func(o *jsonedit.Object) ([]string, error) { return wire(o, r.hosts, nil) })
	if err == nil && len(changes) > 0 && !r.opts.DryRun {
		if err = atomicfile.CheckWritable(r.dockerConfig); err != nil {
			err = fmt.Errorf("docker config %s cannot be changed (%w); nothing was written: make its folder writable, or name another with --docker-config", r.dockerConfig, err)
		}
	}
	return err
}

// readSecret checks that the secret the hosts' table entries name is
// readable before anything points at the helper.
func (r *installRun) readSecret() (err error) {
	if r.table, err = r.in.loadTable(); err != nil {
		return err
	}
	r.creds, err = readSecrets(r.ctx, r.cluster, r.rep, r.hosts, func(h string) idpbuilder.SecretRef { return r.entry(r.table, h).SecretRef() })
	return err
}

// leaveOthersRegistries skips the hosts another helper or credential holds.
func (r *installRun) leaveOthersRegistries() error {
	files := readConfigFiles(append([]string{r.dockerConfig}, r.in.dirs().ContainersAuthFiles()...))
	if r.hosts = keepUnclaimed(r.rep, r.hosts, r.explicit, files, r.creds); len(r.hosts) == 0 {
		return errors.New("no registry left to install: each one found is someone else's (see the warnings above); name one with --registry HOST to take it over")
	}
	return nil
}

// checkCA stops install before anything is written when --trust-ca has an
// https host and the Localbuild no usable CA for it.
func (r *installRun) checkCA() error {
	if !r.opts.TrustCA || !slices.ContainsFunc(r.hosts, func(h string) bool { return r.protocol(r.table, h) != "http" }) {
		return nil
	}
	_, err := parseCA(r.found.CAPEM)
	return err
}

// recordTable records host -> context in the helper's table, as the file
// holds it at the time of writing: another install's hosts stay.
func (r *installRun) recordTable() error {
	table, changed, err := config.Update(r.table.Path, r.opts.DryRun, func(t *config.Table) (bool, error) {
		return recordHosts(t, r.hosts, func(h string) config.Registry { return r.entry(t, h) }), nil
	})
	if err != nil {
		return err
	}
	r.table = table
	status := "ok"
	if changed {
		status = "changed"
	}
	r.rep.Line(status, "helper config %s: %s", r.table.Path, strings.Join(r.hosts, ", "))
	return nil
}

// trustCA, with --trust-ca, installs the cluster's CA for every client and
// records the files it creates in the table, for uninstall.
func (r *installRun) trustCA() error {
	if !r.opts.TrustCA {
		return nil
	}
	before := len(r.table.Installed)
	err := r.in.trustCA(r.rep, r.table, r.hosts, r.found.CAPEM, r.opts)
	if err == nil {
		// BuildKit reads no certs.d: builders get the CA from buildx.
		r.in.trustBuildx(r.rep, r.table, r.hosts, r.found.CAPEM, r.opts)
	}
	if written := r.table.Installed[before:]; len(written) > 0 && !r.opts.DryRun {
		// Even when a later file failed: uninstall removes what was written.
		_, _, uerr := config.Update(r.table.Path, false, func(t *config.Table) (bool, error) {
			n := len(t.Installed)
			for _, f := range written {
				if !slices.Contains(t.Installed, f) {
					t.Installed = append(t.Installed, f)
				}
			}
			return len(t.Installed) != n, nil
		})
		err = errors.Join(err, uerr)
	}
	return err
}

// primeCache caches the credentials in the OS keyring, so the first push
// reads no cluster.
func (r *installRun) primeCache() error {
	if !r.opts.DryRun {
		r.in.primeCache(r.rep, r.table, r.cluster, r.hosts)
	}
	return nil
}

// wireDocker sets credHelpers[host] in the docker config, removing the
// cluster's plain-text password an earlier docker login left there.
func (r *installRun) wireDocker() error {
	changes, err := jsonedit.EditFile(r.dockerConfig, true, r.opts.DryRun, func(o *jsonedit.Object) ([]string, error) { return wire(o, r.hosts, r.creds) })
	if err != nil {
		return err
	}
	reportFile(r.rep, "docker config "+r.dockerConfig, changes)
	return nil
}

// wireContainers does the same in the containers auth files that would
// shadow the docker config; a file it cannot fix is a warning.
func (r *installRun) wireContainers() error {
	for _, path := range r.in.dirs().ContainersAuthFiles() {
		if err := wireContainersFile(r.rep, path, r.hosts, r.creds, r.opts.DryRun); err != nil {
			r.rep.Line("warning", "%v", err)
		}
	}
	return nil
}

// configureGit gives git the helper for the hosts, and with --trust-ca the
// cluster's CA.
func (r *installRun) configureGit() error {
	if !r.opts.Git {
		return nil
	}
	g, err := gitconfig.Open(r.in.dirs().Home(), r.in.Getenv)
	if err != nil {
		r.rep.Line("note", "git is not on PATH: git not configured")
		return nil
	}
	caFile := ""
	if r.opts.TrustCA {
		caFile = caCopyFile(r.table)
	}
	hosts := make([]gitconfig.Host, len(r.hosts))
	for i, h := range r.hosts {
		hosts[i] = gitconfig.Host{Name: h, Protocol: r.table.Registries[h].Protocol}
	}
	g.Configure(hosts, caFile, r.opts.DryRun, r.rep.Line)
	return nil
}

// checkPath warns when docker cannot find the helper; install is done.
func (r *installRun) checkPath() error {
	if p, err := r.in.FindHelper(); err != nil {
		r.rep.Line("warning", "%v", err)
	} else {
		r.rep.Line("ok", "helper on PATH: %s", p)
	}
	return nil
}

// readSecrets reads, once each, the secrets the hosts' entries will name
// (ref: idpbuilder's by default), and gives each host its credentials.
func readSecrets(ctx context.Context, kc Cluster, rep *cli.Report, hosts []string, ref func(host string) idpbuilder.SecretRef) (map[string]idpbuilder.Credentials, error) {
	read := map[idpbuilder.SecretRef]idpbuilder.Credentials{}
	out := make(map[string]idpbuilder.Credentials, len(hosts))
	for _, h := range hosts {
		r := ref(h)
		creds, ok := read[r]
		if !ok {
			var err error
			if creds, err = kc.ReadSecret(ctx, r); err != nil {
				return nil, err
			}
			read[r] = creds
			rep.Line("ok", "secret %s/%s in context %s is readable (user %s)", r.Namespace, r.Name, kc.Context(), creds.Username)
		}
		out[h] = creds
	}
	return out, nil
}

// protocol is what the table records for host: what the cluster states
// for its own hosts ("http", or https, left out), else what the entry says.
func (r *installRun) protocol(table *config.Table, host string) string {
	if f, ok := r.found.Lookup(host); ok && f.Protocol != "" {
		if f.Protocol == "http" {
			return "http"
		}
		return ""
	}
	return table.Registries[host].Protocol
}

// entry is host's table entry as install records it: pointed at the
// cluster install read (context and kubeconfig), with the protocol the
// cluster states, and the secret and keys a GiteaProvider states. For the
// other hosts the namespace and secret the entry records (set with refresh)
// stay, except a GiteaProvider's, which no longer applies once the host
// comes from the Localbuild.
func (r *installRun) entry(table *config.Table, host string) config.Registry {
	next := table.Registries[host]
	next.Context, next.Kubeconfig, next.Protocol = r.cluster.Context(), r.kubeconfig, r.protocol(table, host)
	f, ok := r.found.Lookup(host)
	switch {
	case ok && f.FromProvider():
		s := f.Secret
		next.Namespace, next.Secret, next.UsernameKey, next.PasswordKey, next.Username = s.Namespace, s.Name, s.UsernameKey, s.PasswordKey, s.Username
	case ok && (next.UsernameKey != "" || next.PasswordKey != "" || next.Username != ""):
		next.Namespace, next.Secret, next.UsernameKey, next.PasswordKey, next.Username = "", "", "", "", ""
	}
	return next
}

// recordHosts sets each host's table entry to entry(host). It reports
// whether the table changed.
func recordHosts(table *config.Table, hosts []string, entry func(host string) config.Registry) bool {
	changed := !table.FromFile
	if !table.FromFile {
		// The built-in default only stood in for a missing file.
		table.Registries = map[string]config.Registry{}
	}
	for _, h := range hosts {
		cur, ok := table.Registries[h]
		next := entry(h)
		if !ok || next != cur {
			table.Registries[h] = next
			changed = true
		}
	}
	return changed
}

// primeCache reads the cluster into the keyring for each host, so the
// first push pays nothing.
func (in *Installer) primeCache(rep *cli.Report, table *config.Table, kc Cluster, hosts []string) {
	h := &helper.Helper{Table: table, Cache: in.Cache, Settings: in.Settings, Getenv: in.Getenv,
		Source: helper.Resolving[Cluster](func(kubeconfig, context string) (Cluster, error) {
			return asRecorded{kc, clusterid.Inputs(kubeconfig, context, in.Getenv)}, nil
		})}
	if in.Hot != nil {
		h.Hot = in.Hot(table.Path)
	}
	for _, host := range hosts {
		res, err := h.Refresh(host)
		switch {
		case err != nil:
			rep.Line("warning", "%s: cache not primed: %v", host, err)
		case res.Override:
			rep.Line("warning", "%s: credentials stored by 'docker login' win over the cluster's; 'docker logout %s' drops them", host, host)
		case !res.Cached:
			rep.Line("warning", "%s: not cached (%v); every push reads the cluster", host, res.CacheErr)
		default:
			rep.Line("ok", "%s: credentials cached in the OS keyring", host)
		}
	}
}

// asRecorded is install's cluster as a get names it: by the kubeconfig and
// context the table records (a context the flags left to the kubeconfig's
// current one is recorded by name), else no get would use what install
// cached.
type asRecorded struct {
	Cluster
	inputs string
}

func (c asRecorded) ID() clusterid.ID {
	id := c.Cluster.ID()
	id.Inputs = c.inputs
	return id
}

// PathError says why docker cannot run the helper, and what to do.
type PathError struct {
	Problem, Fix string
}

func (e *PathError) Error() string { return e.Problem + ": " + e.Fix }

// FindHelper finds the helper on PATH, as docker does, and the companion
// program where the helper will look for it. Its error is a *PathError.
func (in *Installer) FindHelper() (string, error) {
	p, err := in.LookPath(cli.Name)
	if err != nil {
		return "", &PathError{cli.Name + " is not on PATH, so docker cannot run it",
			"put its folder on PATH (for 'go install': export PATH=\"$(go env GOPATH)/bin:$PATH\")"}
	}
	if in.FindProgram != nil {
		if _, err := in.FindProgram(p); err != nil {
			return "", &PathError{err.Error(), "install " + companion.Program + " beside " + cli.Name}
		}
	}
	return p, nil
}
