// Package config holds the helper's registry table: which registry hosts are
// served from which idpbuilder cluster, and the tunables read from the
// environment. The file never holds a credential.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/atomicfile"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/cli"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
)

// Registry says where the credentials of one registry host come from.
type Registry struct {
	// Context is the kubeconfig context. Empty means idpbuilder.DefaultContext when the
	// kubeconfig has it, else the current context.
	Context string `json:"context,omitempty"`
	// Kubeconfig is an explicit kubeconfig path; empty means the standard
	// loading rules ($KUBECONFIG, then ~/.kube/config).
	Kubeconfig string `json:"kubeconfig,omitempty"`
	Namespace  string `json:"namespace,omitempty"`
	Secret     string `json:"secret,omitempty"`
	// Protocol is the scheme git reaches the host with: empty or "https"
	// (the default), or "http" for a cluster made with
	// `idpbuilder create --protocol http`. Git's credential requests with
	// another scheme get no answer.
	Protocol string `json:"protocol,omitempty"`
	// UsernameKey and PasswordKey name the secret's keys; empty means
	// idpbuilder's "username" and "password" (the gitea-credential secret).
	UsernameKey string `json:"usernameKey,omitempty"`
	PasswordKey string `json:"passwordKey,omitempty"`
	// Username, when set, is the user name (what a GiteaProvider's
	// status.adminUser.username states): the secret then needs only the
	// password key, and UsernameKey stays empty.
	Username string `json:"username,omitempty"`
}

// SecretRef is where the entry's credentials are, every default filled.
func (r Registry) SecretRef() idpbuilder.SecretRef {
	return idpbuilder.SecretRef{Namespace: r.Namespace, Name: r.Secret, UsernameKey: r.UsernameKey,
		PasswordKey: r.PasswordKey, Username: r.Username}.WithDefaults()
}

// WithDefaults fills the namespace and secret name idpbuilder uses.
func (r Registry) WithDefaults() Registry {
	if r.Namespace == "" {
		r.Namespace = idpbuilder.DefaultNamespace
	}
	if r.Secret == "" {
		r.Secret = idpbuilder.DefaultSecret
	}
	return r
}

// File is the on-disk registry table.
type File struct {
	// Registries maps a normalised host[:port] to its source.
	Registries map[string]Registry `json:"registries"`
	// Installed lists files install wrote (CA certificates, the CA
	// bundle), so uninstall removes exactly those.
	Installed []string `json:"installed,omitempty"`
}

// Table is the registry table in use: the file's, or the built-in default
// when there is no file.
type Table struct {
	Registries map[string]Registry
	// Installed lists files install wrote; see File.
	Installed []string
	// FromFile is false when the built-in default is in use.
	FromFile bool
	Path     string
}

// Lookup finds the registry for a client-supplied server address.
func (t *Table) Lookup(serverURL string) (host string, reg Registry, ok bool) {
	host, err := Normalize(serverURL)
	if err != nil {
		return "", Registry{}, false
	}
	reg, ok = t.Registries[host]
	return host, reg.WithDefaults(), ok
}

// Hosts returns the registry hosts in a stable order.
func (t *Table) Hosts() []string {
	hosts := make([]string, 0, len(t.Registries))
	for h := range t.Registries {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	return hosts
}

// DefaultTable is what the helper serves when no config file exists.
func DefaultTable(path string) *Table {
	return &Table{Registries: map[string]Registry{idpbuilder.DefaultRegistry: {}}, Path: path}
}

// Load reads the table at path; a missing file gives the default table. A
// table that cannot be served as written (see Validate) is an error.
func Load(path string) (*Table, error) {
	t, err := LoadForEdit(path)
	if err != nil {
		return nil, err
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return t, nil
}

// Validate refuses entries whose meaning would depend on where the helper
// runs: a relative kubeconfig path is read from whatever folder docker or
// git runs in, so a repository holding a file of that name would choose the
// cluster (and run its exec plugin). It is never resolved against the
// current folder.
func (t *Table) Validate() error {
	var bad []string
	for _, host := range t.Hosts() {
		if kc := t.Registries[host].Kubeconfig; kc != "" && !filepath.IsAbs(kc) {
			bad = append(bad, fmt.Sprintf("registry %s has the relative kubeconfig path %q, which would be read from whatever folder the client runs in; record an absolute one: docker-credential-idpbuilder refresh --registry %s --kubeconfig /absolute/path", host, kc, host))
		}
		if err := t.Registries[host].checkSecret(); err != nil {
			bad = append(bad, fmt.Sprintf("registry %s: %v; correct the entry or run 'docker-credential-idpbuilder install' again", host, err))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("helper config %s: %s", t.Path, strings.Join(bad, "; "))
	}
	return nil
}

// checkSecret refuses key names and a user name that cannot be what the
// companion reads (the table may be edited by hand), and a user name given
// both fixed and as a key. The namespace and secret name are left to the
// API server, as before these fields existed: an old table loads as it did.
func (r Registry) checkSecret() error {
	if r.Username != "" && r.UsernameKey != "" {
		return fmt.Errorf("both username %q and usernameKey %q are set; keep one", r.Username, r.UsernameKey)
	}
	return idpbuilder.SecretRef{UsernameKey: r.UsernameKey, PasswordKey: r.PasswordKey, Username: r.Username}.Check()
}

// LoadForEdit reads the table at path like Load, without Validate: for
// commands that repair an entry Validate refuses.
func LoadForEdit(path string) (*Table, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return DefaultTable(path), nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading helper config: %w", err)
	}
	return parse(path, data)
}

func parse(path string, data []byte) (*Table, error) {
	var f File
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("helper config %s is not valid JSON (%v); fix or delete it, then run 'docker-credential-idpbuilder install'", path, err)
	}
	regs := make(map[string]Registry, len(f.Registries))
	for h, r := range f.Registries {
		n, err := Normalize(h)
		if err != nil {
			return nil, fmt.Errorf("helper config %s: %w", path, err)
		}
		regs[n] = r
	}
	return &Table{Registries: regs, Installed: f.Installed, FromFile: true, Path: path}, nil
}

// Update applies change to the table as the file holds it now (the
// built-in default, FromFile false, when there is no file), and writes
// the result (owner-only) when change reports a change, all under the
// file's lock (atomicfile.Edit): two commands recording different hosts at
// once both land. It returns the table as written (with dryRun, as it would
// be).
func Update(path string, dryRun bool, change func(*Table) (bool, error)) (*Table, bool, error) {
	var t *Table
	changed, err := atomicfile.Edit(path, 0o600, dryRun, func(data []byte, exists bool) ([]byte, bool, error) {
		var err error
		if t = DefaultTable(path); exists {
			if t, err = parse(path, data); err != nil {
				return nil, false, err
			}
		}
		changed, err := change(t)
		if err != nil || !changed {
			return nil, false, err
		}
		out, err := json.MarshalIndent(File{Registries: t.Registries, Installed: t.Installed}, "", "  ")
		return append(out, '\n'), true, err
	})
	if err != nil {
		return nil, false, fmt.Errorf("updating helper config %s: %w", path, err)
	}
	t.FromFile = t.FromFile || changed
	return t, changed, nil
}

// DefaultPath is $IDPBUILDER_HELPER_CONFIG, else
// <user config dir>/docker-credential-idpbuilder/config.json.
func DefaultPath(getenv func(string) string) (string, error) {
	if p := getenv(EnvConfig); p != "" {
		return p, nil
	}
	dir := getenv("XDG_CONFIG_HOME")
	if dir == "" || !filepath.IsAbs(dir) {
		var err error
		if dir, err = os.UserConfigDir(); err != nil {
			return "", fmt.Errorf("cannot find the user config folder (%w); set %s", err, EnvConfig)
		}
	}
	return filepath.Join(dir, cli.Name, "config.json"), nil
}

// truthy reports whether an environment value means "on".
func truthy(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}
