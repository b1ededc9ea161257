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
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/cnoe-io/docker-credential-idpbuilder/cluster"
	"github.com/cnoe-io/docker-credential-idpbuilder/config"
	"github.com/cnoe-io/docker-credential-idpbuilder/helper"
	"github.com/cnoe-io/docker-credential-idpbuilder/secrets"
)

// Cluster is what install reads from the cluster.
type Cluster interface {
	Context() string
	Fingerprint() string
	Localbuilds(ctx context.Context) ([]secrets.Localbuild, error)
	ReadSecret(ctx context.Context, namespace, name string) (cluster.Credentials, error)
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

	found, caPEM, err := in.discover(ctx, kc, rep)
	if err != nil {
		return err
	}
	hosts, err := mergeHosts(found, opts.Registries)
	if err != nil {
		return err
	}
	if len(hosts) == 0 {
		return fmt.Errorf("no registry found in context %q; name one with --registry HOST:PORT", kc.Context())
	}

	// A docker config that cannot be edited stops install before anything
	// is written.
	dockerConfig := in.dockerConfigPath(opts.DockerConfigDir)
	if _, err := editJSONFile(dockerConfig, true, true, func(o *object) ([]string, error) { return wire(o, hosts) }); err != nil {
		return err
	}

	// The credentials must be readable before anything points at us.
	creds, err := kc.ReadSecret(ctx, config.DefaultNamespace, config.DefaultSecret)
	if err != nil {
		return err
	}
	rep.line("ok", "secret %s/%s in context %s is readable (user %s)", config.DefaultNamespace, config.DefaultSecret, kc.Context(), creds.Username)

	table, err := in.loadTable()
	if err != nil {
		return err
	}
	kubeconfig := opts.Kubeconfig
	if kubeconfig != "" {
		if kubeconfig, err = filepath.Abs(kubeconfig); err != nil {
			return err
		}
	}
	tableChanged := !table.FromFile
	if !table.FromFile {
		// The built-in default only stood in for a missing file.
		table.Registries = map[string]config.Registry{}
	}
	for _, h := range hosts {
		want := config.Registry{Context: kc.Context(), Kubeconfig: kubeconfig}
		if cur, ok := table.Registries[h]; !ok || cur.Context != want.Context || cur.Kubeconfig != want.Kubeconfig {
			table.Registries[h] = want
			tableChanged = true
		}
	}

	if opts.TrustCA {
		before := len(table.Installed)
		if err := in.trustCA(rep, table, hosts, caPEM, opts); err != nil {
			return err
		}
		tableChanged = tableChanged || len(table.Installed) != before
	}
	if tableChanged && !opts.DryRun {
		if err := table.Save(); err != nil {
			return err
		}
	}
	status := "ok"
	if tableChanged {
		status = "changed"
	}
	rep.line(status, "helper config %s: %s", table.Path, strings.Join(hosts, ", "))

	if !opts.DryRun {
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

	changes, err := editJSONFile(dockerConfig, true, opts.DryRun, func(o *object) ([]string, error) { return wire(o, hosts) })
	if err != nil {
		return err
	}
	reportFile(rep, "docker config "+dockerConfig, changes)

	for _, path := range in.containersAuthFiles() {
		changes, err := editJSONFile(path, false, opts.DryRun, func(o *object) ([]string, error) {
			if !holdsAuthFor(o, hosts) {
				return nil, nil
			}
			return wire(o, hosts)
		})
		if err != nil {
			rep.line("warning", "%v", err)
			continue
		}
		if len(changes) > 0 {
			reportFile(rep, "containers auth "+path, changes)
		}
	}

	if opts.Git {
		caFile := ""
		if opts.TrustCA {
			caFile = gitCAFile(table)
		}
		in.configureGit(rep, hosts, caFile, opts.DryRun)
	}

	if c := in.pathCheck(); c.OK {
		rep.line("ok", "%s", c.Detail)
	} else {
		rep.line("warning", "%s: %s", c.Detail, c.Fix)
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

func holdsAuthFor(o *object, hosts []string) bool {
	auths, _, err := o.subObject("auths")
	if err != nil {
		return true // let wire report the malformed file
	}
	for _, h := range hosts {
		if _, ok := auths.get(h); ok {
			return true
		}
	}
	return false
}

// discover finds the registry hosts from the Localbuild objects. A cluster
// without the resource (an older idpbuilder) gives the default host.
func (in *Installer) discover(ctx context.Context, kc Cluster, rep *report) (hosts []string, caPEM string, err error) {
	builds, err := kc.Localbuilds(ctx)
	if errors.Is(err, secrets.ErrNoLocalbuildResource) {
		rep.line("warning", "context %s has no Localbuild resource (older idpbuilder?): using %s", kc.Context(), config.DefaultRegistry)
		return []string{config.DefaultRegistry}, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	if len(builds) == 0 {
		rep.line("warning", "context %s has no Localbuild object: using %s", kc.Context(), config.DefaultRegistry)
		return []string{config.DefaultRegistry}, "", nil
	}
	// idpbuilder uses the first Localbuild; one cluster normally has one.
	lb := builds[0]
	if len(builds) > 1 {
		rep.line("warning", "context %s has %d Localbuild objects; using %s, as idpbuilder does", kc.Context(), len(builds), lb.Name)
	}
	hosts = RegistryHosts(lb)
	if lb.UsePathRouting {
		rep.line("warning", "Localbuild %s uses path routing; Gitea's registry needs subdomain routing (idpbuilder create without --use-path-routing), so pushes to %s may fail", lb.Name, hosts[0])
	}
	return hosts, lb.SelfSignedCert, nil
}

// RegistryHosts gives the registry hosts a Localbuild serves: gitea.<host>:<port>
// with subdomain routing (and gitea.<ingressHost>:<port> when that differs),
// <host>:<port> with path routing.
func RegistryHosts(lb secrets.Localbuild) []string {
	host, port := lb.Host, lb.Port
	if host == "" {
		host = "cnoe.localtest.me"
	}
	if port == "" {
		port = "8443"
	}
	join := func(h string) string {
		h = strings.ToLower(h)
		if (lb.Protocol == "http" && port == "80") || (lb.Protocol != "http" && port == "443") {
			return h // clients send the bare host for the default port
		}
		return net.JoinHostPort(h, port)
	}
	if lb.UsePathRouting {
		return []string{join(host)}
	}
	hosts := []string{join("gitea." + host)}
	if lb.IngressHost != "" && !strings.EqualFold(lb.IngressHost, host) {
		hosts = append(hosts, join("gitea."+lb.IngressHost))
	}
	return hosts
}

func mergeHosts(found, extra []string) ([]string, error) {
	set := map[string]bool{}
	for _, h := range found {
		set[h] = true
	}
	for _, r := range extra {
		h, err := config.Normalize(r)
		if err != nil {
			return nil, fmt.Errorf("--registry: %w", err)
		}
		set[h] = true
	}
	out := make([]string, 0, len(set))
	for h := range set {
		out = append(out, h)
	}
	sort.Strings(out)
	return out, nil
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
		changes, err := editJSONFile(path, false, opts.DryRun, unwire)
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
