// Package status checks, for each registry the helper serves, everything a
// push needs (the cluster, the cache, the docker, containers and git
// wiring, the helper on PATH, the registry itself), with a fix for each
// failure.
package status

import (
	"crypto/x509"
	"fmt"
	"io"
	"sync"

	"github.com/cnoe-io/docker-credential-idpbuilder/install"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/config"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/userdirs"
)

// Check is one line of status.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
	// Fix says, in one sentence, what to do when the check failed.
	Fix string `json:"fix,omitempty"`
	// Blocking marks a failure that makes the registry unusable.
	Blocking bool `json:"blocking,omitempty"`
}

// Registry is the status of one registry.
type Registry struct {
	Host   string  `json:"host"`
	Usable bool    `json:"usable"`
	Checks []Check `json:"checks"`
}

// Report is what the status command prints.
type Report struct {
	Config     string     `json:"config"`
	Registries []Registry `json:"registries"`
	// Buildx is about buildx's builders; nil when buildx was never used.
	Buildx *Buildx `json:"buildx,omitempty"`
}

// Usable is true when every registry can be used.
func (r Report) Usable() bool {
	for _, reg := range r.Registries {
		if !reg.Usable {
			return false
		}
	}
	return len(r.Registries) > 0
}

// Options are the status command's flags.
type Options struct {
	// DockerConfigDir overrides $DOCKER_CONFIG and ~/.docker.
	DockerConfigDir string
}

// Checker checks what an installer set up.
type Checker struct {
	// Installer is where the checks look: the user's folders, the cluster,
	// the cache and PATH, as install saw them.
	Installer *install.Installer
	// SystemRoots are the CAs the machine trusts; nil means the system's.
	SystemRoots *x509.CertPool
	// Exports, when set, lists the Secrets 'export' wrote for a registry;
	// status shows them and says which are stale. It is called for
	// several hosts at once.
	Exports ExportLister
}

// Run checks every registry in the helper's table with the machine's own
// trusted CAs.
func Run(in *install.Installer, opts Options) (Report, error) {
	return (&Checker{Installer: in}).Run(opts)
}

// Run checks every registry in the helper's table. It never returns or
// prints the password.
func (c *Checker) Run(opts Options) (Report, error) {
	path, err := config.DefaultPath(c.Installer.Getenv)
	if err != nil {
		return Report{}, err
	}
	table, err := config.Load(path)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Config: table.Path}
	if !table.FromFile {
		rep.Config += " (absent: built-in default)"
	}
	// Hosts are checked at once, so that a cluster that does not answer
	// costs one deadline, not one per host.
	hosts := table.Hosts()
	rep.Registries = make([]Registry, len(hosts))
	var wg sync.WaitGroup
	for i, host := range hosts {
		wg.Go(func() { rep.Registries[i] = c.registry(table, host, opts) })
	}
	wg.Wait()
	rep.Buildx = c.buildx(table, opts)
	return rep, nil
}

func (c *Checker) dirs() userdirs.Dirs {
	return userdirs.Dirs{Getenv: c.Installer.Getenv, Root: c.Installer.SystemRoot, GOOS: c.Installer.GOOS}
}

// registry runs the checks of one host, in the order a push meets them.
func (c *Checker) registry(table *config.Table, host string, opts Options) Registry {
	st := Registry{Host: host}
	_, reg, _ := table.Lookup(host)
	cl := c.clusterChecks(host, reg)
	st.Checks = append(st.Checks, cl.checks...)
	st.Checks = append(st.Checks,
		c.dockerCheck(host, opts.DockerConfigDir),
		c.shadowCheck(host),
		c.gitCheck(host, reg.Protocol),
		c.pathCheck())
	if ch, ok := c.exportCheck(host, reg); ok {
		st.Checks = append(st.Checks, ch)
	}
	st.Checks = append(st.Checks, c.registryChecks(host, reg.Protocol, cl.ca, cl.username, cl.secret)...)
	st.Usable = true
	for _, ch := range st.Checks {
		if !ch.OK && ch.Blocking {
			st.Usable = false
		}
	}
	return st
}

// WriteText prints the report for a person: one line a check, the fix under
// each failure.
func (r Report) WriteText(w io.Writer) {
	fmt.Fprintf(w, "helper config: %s\n", r.Config)
	for _, reg := range r.Registries {
		verdict := "usable"
		if !reg.Usable {
			verdict = "NOT usable"
		}
		fmt.Fprintf(w, "%s: %s\n", reg.Host, verdict)
		for _, c := range reg.Checks {
			mark := "ok  "
			if !c.OK {
				mark = "FAIL"
				if !c.Blocking {
					mark = "warn"
				}
			}
			fmt.Fprintf(w, "  %s %-16s %s\n", mark, c.Name, c.Detail)
			if !c.OK && c.Fix != "" {
				fmt.Fprintf(w, "       %-16s fix: %s\n", "", c.Fix)
			}
		}
	}
	if r.Buildx != nil {
		r.Buildx.WriteText(w)
	}
}
