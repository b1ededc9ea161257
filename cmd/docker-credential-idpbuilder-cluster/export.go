package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/cnoe-io/docker-credential-idpbuilder/install"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/cli"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/config"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/export"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/status"
	"github.com/cnoe-io/docker-credential-idpbuilder/secrets"
)

const exportHelp = `Writes a kubernetes.io/dockerconfigjson Secret (default name
idpbuilder-registry) into the namespaces you name, so that pods that pull or
build and push (Tekton, Argo Workflows, kaniko, buildah, BuildKit) can use
the cluster's Gitea registry with no credential helper.

WARNING: this copies the Gitea admin credential into those namespaces:
whoever can read Secrets there can push to, and delete from, every
repository as the Gitea admin. It copies the secret's token key when it
has one (a registry password that can be revoked in Gitea), else the
password.

The Secret holds inline auths for every registry host of the cluster (the
helper's table for that context, else what discovery finds: ready
GiteaProviders, else the Localbuild, else the default): each external
host:port (what pods name in their image references) and the same name
without the port (port 443 inside the cluster, where idpbuilder's kind
configuration sends gitea.<host>:<port> and builders push).

--service-account adds the Secret to that ServiceAccount's imagePullSecrets,
keeping every other entry; --ca-configmap writes the cluster's CA as a
ConfigMap (key ca.crt) for kaniko --registry-certificate, BuildKit's config
or buildah --cert-dir.

Everything it writes is labelled app.kubernetes.io/managed-by=
docker-credential-idpbuilder: 'refresh' updates the Secrets after the
password changed, 'status' lists them and says which are stale,
'export --delete' and 'uninstall' remove exactly them (and only the
ServiceAccount entries export added). It prints names, never a credential.
The permissions it needs are README.md's idpbuilder-export Role. It gives
up after 60 s, or after IDPBUILDER_HELPER_TIMEOUT when that is set.
`

// exportTimeout bounds one export unless the user set IDPBUILDER_HELPER_TIMEOUT:
// it may write into many namespaces, more than one read's deadline allows.
const exportTimeout = 60 * time.Second

// exportDeadline is the deadline of an export, or of refresh's update of
// the exported Secrets: the user's IDPBUILDER_HELPER_TIMEOUT when set.
func exportDeadline(getenv func(string) string) (time.Duration, error) {
	if getenv(config.EnvTimeout) == "" {
		return exportTimeout, nil
	}
	s, err := config.SettingsFromEnv(getenv)
	return s.Timeout, err
}

type exportFlags struct {
	req        export.Request
	kubeconfig string
	context    string
	registries []string
	remove     bool
	dryRun     bool
}

func exportCommand() cli.Command {
	var f exportFlags
	flags := func(fs *pflag.FlagSet) {
		fs.StringArrayVar(&f.req.Namespaces, "namespace", nil, "`namespace` to write the Secret into (repeatable)")
		fs.BoolVar(&f.req.AllNamespaces, "all-namespaces", false, "write into every namespace (narrowed by --selector)")
		fs.StringVar(&f.req.Selector, "selector", "", "label `selector` on namespaces, with --all-namespaces (team=a,env!=prod)")
		fs.StringVar(&f.req.Name, "name", export.DefaultName, "`name` of the Secret")
		fs.StringVar(&f.req.ServiceAccount, "service-account", "", "add the Secret to ServiceAccount `name`'s imagePullSecrets in each namespace")
		fs.StringVar(&f.req.CAConfigMap, "ca-configmap", "", "also write the cluster's CA as ConfigMap `name` (key ca.crt)")
		fs.BoolVar(&f.remove, "delete", false, "remove the Secret (with its CA ConfigMap and the ServiceAccount entries export added) instead")
		fs.StringArrayVar(&f.registries, "registry", nil, "registry `host:port` to export (repeatable; default: every registry of the cluster)")
		fs.StringVar(&f.context, "context", "", "kubeconfig `context` (default kind-localdev, else the current context)")
		fs.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig `path` (default $KUBECONFIG, else ~/.kube/config)")
		fs.BoolVar(&f.dryRun, "dry-run", false, "print every change without writing anything")
	}
	return cli.Command{Name: "export", Args: "--namespace NS|--all-namespaces [flags]", Help: exportHelp, Flags: flags,
		Run: func(_ []string, _ io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
			return runExport(f, stdout, stderr, getenv)
		}}
}

func runExport(f exportFlags, stdout, stderr io.Writer, getenv func(string) string) int {
	if err := f.req.Validate(); err != nil {
		cli.UsageError(stderr, "export: %v", err)
		return exitUsage
	}
	if f.remove && (f.req.ServiceAccount != "" || f.req.CAConfigMap != "" || len(f.registries) > 0) {
		cli.UsageError(stderr, "export: --delete takes --name and the namespaces only (it removes what export recorded on the Secret)")
		return exitUsage
	}
	err := func() error {
		deadline, err := exportDeadline(getenv)
		if err != nil {
			return err
		}
		c, err := secrets.Resolve(f.kubeconfig, f.context)
		if err != nil {
			return err
		}
		ex, err := newExporter(c, stdout)
		if err != nil {
			return err
		}
		ex.DryRun = f.dryRun
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		defer cancel()
		if f.remove {
			return ex.Delete(ctx, f.req)
		}
		if f.req.Sources, f.req.CA, err = exportSources(ctx, c, f, getenv, ex.Report); err != nil {
			return err
		}
		return ex.Apply(ctx, f.req)
	}()
	if err != nil {
		fmt.Fprintf(stderr, "%s: export: %v\n", name, err)
		return exitError
	}
	return exitOK
}

// newExporter talks to the cluster c with client-go's dynamic client; its
// report lines go to out in install's layout.
func newExporter(c *secrets.Cluster, out io.Writer) (*export.Exporter, error) {
	client, err := c.Dynamic()
	if err != nil {
		return nil, err
	}
	return &export.Exporter{
		Kube: client, Context: c.Context(), Unreachable: c.Unreachable,
		Report: func(status, format string, args ...any) {
			fmt.Fprintf(out, "  %-12s %s\n", status, fmt.Sprintf(format, args...))
		},
	}, nil
}

// exportSources finds the registry hosts of the cluster and the Gitea
// secret each one's credential comes from: the helper's table entries for
// this cluster (install records what discovery found, secret and keys
// included), else what install.Discover finds (ready GiteaProviders, else
// the Localbuild, else the default); --registry picks hosts by hand. The
// CA is discovery's (the Localbuild's), read only for --ca-configmap.
func exportSources(ctx context.Context, c *secrets.Cluster, f exportFlags, getenv func(string) string, report func(status, format string, args ...any)) ([]export.Source, string, error) {
	path, err := config.DefaultPath(getenv)
	if err != nil {
		return nil, "", err
	}
	table, err := config.Load(path)
	if err != nil {
		return nil, "", err
	}
	var hosts []string
	for _, r := range f.registries {
		h, err := config.Normalize(r)
		if err != nil {
			return nil, "", fmt.Errorf("--registry: %w", err)
		}
		hosts = append(hosts, h)
	}
	if hosts == nil && table.FromFile {
		hosts = tableHostsOf(table, c)
	}
	var found *install.Discovery
	if hosts == nil || f.req.CAConfigMap != "" {
		d, err := install.Discover(ctx, c)
		if err != nil {
			return nil, "", err
		}
		for _, n := range d.Notes {
			report(n.Level, "%s", n.Text)
		}
		found = &d
	}
	ca := ""
	if found != nil {
		ca = found.CAPEM
		if hosts == nil {
			hosts = found.Hosts()
		}
	}
	return sourcesFor(table, found, hosts), ca, nil
}

// tableHostsOf lists the table's hosts whose entry resolves to the same
// cluster as c (context and fingerprint; no network call).
func tableHostsOf(table *config.Table, c *secrets.Cluster) []string {
	var hosts []string
	for _, h := range table.Hosts() {
		reg := table.Registries[h]
		rc, err := secrets.Resolve(reg.Kubeconfig, reg.Context)
		if err == nil && rc.Context() == c.Context() && rc.Fingerprint() == c.Fingerprint() {
			hosts = append(hosts, h)
		}
	}
	return hosts
}

// sourcesFor groups the hosts by the Gitea secret (and keys) their
// credential comes from: the GiteaProvider's that discovery found for the
// host, else what the table names for it (idpbuilder's by default).
func sourcesFor(table *config.Table, found *install.Discovery, hosts []string) []export.Source {
	by := map[idpbuilder.SecretRef]*export.Source{}
	var refs []idpbuilder.SecretRef
	for _, h := range hosts {
		_, reg, _ := table.Lookup(h)
		ref := reg.SecretRef()
		if found != nil {
			if fd, ok := found.Lookup(h); ok && fd.FromProvider() {
				ref = fd.Secret.WithDefaults()
			}
		}
		if by[ref] == nil {
			by[ref] = &export.Source{Namespace: ref.Namespace, Name: ref.Name, UsernameKey: ref.UsernameKey, PasswordKey: ref.PasswordKey, Username: ref.Username}
			refs = append(refs, ref)
		}
		by[ref].Hosts = append(by[ref].Hosts, h)
	}
	sort.Slice(refs, func(i, j int) bool { return refs[i].String() < refs[j].String() })
	out := make([]export.Source, 0, len(refs))
	for _, ref := range refs {
		s := *by[ref]
		sort.Strings(s.Hosts)
		out = append(out, s)
	}
	return out
}

// clusterGroup is one cluster of the helper's table, for the commands that
// visit every exported Secret: refresh, status, uninstall.
type clusterGroup struct {
	cluster *secrets.Cluster
	hosts   []string
}

// clustersOf resolves the table's entries (no network call) and groups the
// hosts by cluster; entries that do not resolve are left out, and so are
// entries with a relative kubeconfig path, which would be read from the
// current folder.
func clustersOf(table *config.Table, hosts []string) []clusterGroup {
	var out []clusterGroup
	for _, h := range hosts {
		reg := table.Registries[h]
		if reg.Kubeconfig != "" && !filepath.IsAbs(reg.Kubeconfig) {
			continue
		}
		c, err := secrets.Resolve(reg.Kubeconfig, reg.Context)
		if err != nil {
			continue
		}
		found := false
		for i := range out {
			if out[i].cluster.Context() == c.Context() && out[i].cluster.Fingerprint() == c.Fingerprint() {
				out[i].hosts = append(out[i].hosts, h)
				found = true
				break
			}
		}
		if !found {
			out = append(out, clusterGroup{cluster: c, hosts: []string{h}})
		}
	}
	return out
}

// errorsOf splits a joined error into its one-line parts.
func errorsOf(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// refreshExports updates the Secrets export wrote into the clusters of the
// hosts just refreshed; it prints what changed, and reports whether one
// could not be updated. A user who may not list Secrets in all namespaces
// cannot have them found: refresh says nothing of them then.
func refreshExports(table *config.Table, hosts []string, deadline time.Duration, stdout, stderr io.Writer) (failed bool) {
	for _, g := range clustersOf(table, hosts) {
		ex, err := newExporter(g.cluster, io.Discard)
		if err != nil {
			continue // refresh already said why the cluster cannot be used
		}
		ex.Report = func(status, format string, args ...any) {
			if status == "changed" {
				fmt.Fprintf(stdout, "refreshed %s\n", fmt.Sprintf(format, args...))
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		err = ex.Refresh(ctx)
		cancel()
		if err == nil || export.IsListForbidden(err) {
			continue
		}
		for _, e := range errorsOf(err) {
			fmt.Fprintf(stderr, "%s: refresh: exported secret not updated: %v\n", name, e)
		}
		failed = true
	}
	return failed
}

// uninstallExports removes what export wrote into each cluster of the
// helper's table, before the table goes. A cluster that cannot be reached
// is a warning with the command to run later.
func uninstallExports(getenv func(string) string, timeout time.Duration, dryRun bool, stdout io.Writer) {
	path, err := config.DefaultPath(getenv)
	if err != nil {
		return
	}
	table, err := config.LoadForEdit(path)
	if err != nil {
		return // uninstall itself reports the table
	}
	for _, g := range clustersOf(table, table.Hosts()) {
		ex, err := newExporter(g.cluster, stdout)
		if err != nil {
			continue
		}
		ex.DryRun = dryRun
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		err = ex.DeleteAll(ctx)
		cancel()
		switch {
		case err == nil:
		case export.IsListForbidden(err):
			ex.Report("note", "context %s: the user may not list Secrets in all namespaces, so Secrets written by export were not looked for; remove them with '%s export --delete --namespace NS'", g.cluster.Context(), name)
		default:
			ex.Report("warning", "context %s: Secrets written by export not removed: %v; run '%s export --delete --namespace NS' when the cluster is up", g.cluster.Context(), err, name)
		}
	}
}

// exportedLister gives status the Secrets export wrote for a registry host,
// listing each cluster once.
func exportedLister(timeout time.Duration) func(host string, reg config.Registry) ([]status.ExportedSecret, error) {
	type listed struct {
		list []export.Exported
		err  error
	}
	seen := map[string]listed{}
	// One list at a time: the hosts of one cluster wait for its list
	// rather than each asking again.
	var mu sync.Mutex
	return func(host string, reg config.Registry) ([]status.ExportedSecret, error) {
		mu.Lock()
		defer mu.Unlock()
		if reg.Kubeconfig != "" && !filepath.IsAbs(reg.Kubeconfig) {
			return nil, nil
		}
		c, err := secrets.Resolve(reg.Kubeconfig, reg.Context)
		if err != nil {
			return nil, err
		}
		key := c.Context() + "\x00" + c.Fingerprint()
		l, ok := seen[key]
		if !ok {
			var ex *export.Exporter
			if ex, l.err = newExporter(c, io.Discard); l.err == nil {
				ctx, cancel := context.WithTimeout(context.Background(), timeout)
				l.list, l.err = ex.List(ctx)
				cancel()
			}
			seen[key] = l
		}
		if export.IsListForbidden(l.err) {
			return nil, nil
		}
		if l.err != nil {
			return nil, l.err
		}
		var out []status.ExportedSecret
		for _, x := range l.list {
			if slices.Contains(x.Registries, host) {
				out = append(out, status.ExportedSecret{Namespace: x.Namespace, Name: x.Name, Stale: x.Stale, Unknown: x.Unknown})
			}
		}
		return out, nil
	}
}
