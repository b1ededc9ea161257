package status

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/cnoe-io/docker-credential-idpbuilder/install"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/buildx"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/config"
)

// Buildx is what status says about buildx: its default BuildKit
// configuration and each builder `docker buildx create` made.
type Buildx struct {
	Dir           string `json:"dir"`
	DefaultConfig string `json:"defaultConfig"`
	// DefaultTrusts are the registries whose CA the default configuration
	// trusts, which builders created from now on copy.
	DefaultTrusts []string  `json:"defaultTrusts"`
	Builders      []Builder `json:"builders"`
	// Error says why buildx's files could not be read.
	Error string `json:"error,omitempty"`
}

// Builder is one buildx builder and what it can do with each registry.
type Builder struct {
	Name       string            `json:"name"`
	Driver     string            `json:"driver"`
	Endpoint   string            `json:"endpoint,omitempty"`
	InUse      bool              `json:"inUse,omitempty"`
	Registries []BuilderRegistry `json:"registries"`
}

// BuilderRegistry is whether one builder can push to one registry.
type BuilderRegistry struct {
	Host string `json:"host"`
	// State is "ok", "fail" (Problems say why, Fix what to do) or
	// "unknown" (a remote daemon: Snippet is the configuration it needs).
	State    string   `json:"state"`
	Problems []string `json:"problems,omitempty"`
	Notes    []string `json:"notes,omitempty"`
	Fix      string   `json:"fix,omitempty"`
	Snippet  string   `json:"snippet,omitempty"`
}

// buildx reads buildx's own files (never the docker CLI) and says, per
// builder and https registry in the table, whether it trusts the cluster's
// CA and can reach the registry. Nil when buildx was never used and no
// https registry needs it.
func (c *Checker) buildx(table *config.Table, opts Options) *Buildx {
	dockerDir := c.dirs().DockerConfigDir(opts.DockerConfigDir)
	dir := buildx.ConfigDir(c.Installer.Getenv, dockerDir)
	if _, err := os.Stat(dir); err != nil {
		return nil
	}
	bx := &Buildx{Dir: dir, DefaultConfig: c.Installer.BuildxConfigFile(opts.DockerConfigDir)}
	builders, err := buildx.ReadBuilders(dir)
	if err != nil {
		bx.Error = err.Error()
	}
	defaults, _ := os.ReadFile(bx.DefaultConfig)
	caFile := install.CAFile(table)
	var regs []buildx.Registry
	for _, host := range table.Hosts() {
		_, entry, _ := table.Lookup(host)
		if entry.Protocol == "http" {
			continue
		}
		ca := c.clusterCA(entry)
		reg := buildx.Registry{Host: host, CA: []byte(ca), Loopback: loopback(host, c.Installer.Settings.Timeout),
			CAFile: caFile, Bundle: install.CABundleFile(table), ClientTrusts: c.systemTrusts(ca)}
		if _, changed, err := buildx.AddCA(defaults, len(defaults) > 0, host, caFile); err == nil && !changed {
			reg.DefaultTrusts = true
			bx.DefaultTrusts = append(bx.DefaultTrusts, host)
		}
		regs = append(regs, reg)
	}
	for _, b := range builders {
		out := Builder{Name: b.Name, Driver: b.Driver, InUse: b.InUse}
		for _, reg := range regs {
			v := buildx.Assess(b, reg)
			out.Endpoint = v.Endpoint
			st := BuilderRegistry{Host: reg.Host, State: "ok", Problems: v.Problems, Notes: v.Notes, Fix: v.Fix, Snippet: v.Snippet}
			switch {
			case v.Unknown:
				st.State = "unknown"
			case !v.OK:
				st.State = "fail"
			}
			out.Registries = append(out.Registries, st)
		}
		bx.Builders = append(bx.Builders, out)
	}
	return bx
}

// clusterCA is the self-signed CA of the cluster the entry reads, or ""
// when the cluster cannot be read (the registry checks say why).
func (c *Checker) clusterCA(entry config.Registry) string {
	kc, err := c.Installer.Resolve(entry.Kubeconfig, entry.Context)
	if err != nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.Installer.Settings.Timeout)
	defer cancel()
	builds, err := kc.Localbuilds(ctx)
	if err != nil || len(builds) == 0 {
		return ""
	}
	return builds[0].SelfSignedCert
}

// systemTrusts reports whether this process's Go roots ($SSL_CERT_FILE,
// else the system's), which buildx also uses, trust the CA (PEM).
func (c *Checker) systemTrusts(caPEM string) bool {
	roots := c.SystemRoots
	if roots == nil {
		var err error
		if roots, err = x509.SystemCertPool(); err != nil {
			return false
		}
	}
	block, _ := pem.Decode([]byte(caPEM))
	if block == nil {
		return false
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return false
	}
	_, err = cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	return err == nil
}

// loopback reports whether host's name resolves to a loopback address
// (idpbuilder's *.cnoe.localtest.me does). A name that does not resolve
// counts as loopback: host networking is then the safe advice.
func loopback(hostPort string, timeout time.Duration) bool {
	name, _, err := net.SplitHostPort(hostPort)
	if err != nil {
		name = hostPort
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupIPAddr(ctx, name)
	if err != nil || len(addrs) == 0 {
		return true
	}
	for _, a := range addrs {
		if a.IP.IsLoopback() {
			return true
		}
	}
	return false
}

// WriteText prints the builders' part of the report.
func (bx *Buildx) WriteText(w io.Writer) {
	trusts := "trusts no registry CA yet"
	if len(bx.DefaultTrusts) > 0 {
		trusts = "trusts the CA for " + strings.Join(bx.DefaultTrusts, ", ")
	}
	fmt.Fprintf(w, "buildx: %s %s (builders created from now on copy it)\n", bx.DefaultConfig, trusts)
	if bx.Error != "" {
		fmt.Fprintf(w, "  warn %s\n", bx.Error)
	}
	for _, b := range bx.Builders {
		what := b.Driver
		if b.Endpoint != "" && b.Driver == "remote" {
			what += " " + b.Endpoint
		}
		if b.InUse {
			what += ", in use"
		}
		fmt.Fprintf(w, "buildx builder %s (%s):\n", b.Name, what)
		for _, r := range b.Registries {
			mark := map[string]string{"ok": "ok  ", "fail": "warn", "unknown": "note"}[r.State]
			lines := r.Problems
			if r.State != "fail" {
				lines = r.Notes
			}
			if len(lines) == 0 {
				lines = []string{"nothing to check"}
			}
			fmt.Fprintf(w, "  %s %s: %s\n", mark, r.Host, strings.Join(lines, "; "))
			if r.Fix != "" {
				fmt.Fprintf(w, "       fix: %s\n", r.Fix)
			}
			for _, l := range strings.Split(strings.TrimRight(r.Snippet, "\n"), "\n") {
				if l != "" {
					fmt.Fprintf(w, "         %s\n", l)
				}
			}
		}
	}
}
