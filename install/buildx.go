package install

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/atomicfile"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/buildx"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/cli"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/config"
)

// BuildxConfigFile is the default BuildKit configuration that buildx copies
// into each builder it creates.
func (in *Installer) BuildxConfigFile(dockerConfigDir string) string {
	return buildx.DefaultConfigFile(in.Getenv, in.dirs().DockerConfigDir(dockerConfigDir))
}

// CAFile is the copy of the cluster's CA that --trust-ca keeps beside the
// helper's table; buildx's default BuildKit configuration names it.
func CAFile(table *config.Table) string { return caCopyFile(table) }

// CABundleFile is the bundle (system roots plus the cluster's CA) that
// --trust-ca writes for SSL_CERT_FILE.
func CABundleFile(table *config.Table) string {
	return filepath.Join(filepath.Dir(table.Path), "ca-bundle.pem")
}

// trustBuildx writes the cluster's CA into buildx's default BuildKit
// configuration for the https hosts, so that docker-container and
// kubernetes builders created from now on trust the registry (BuildKit
// reads no certs.d). A file install cannot edit safely is a warning with
// the lines to add by hand: docker itself is already wired.
func (in *Installer) trustBuildx(rep *cli.Report, table *config.Table, hosts []string, caPEM string, opts Options) {
	var https []string
	for _, h := range hosts {
		if table.Registries[h].Protocol != "http" {
			https = append(https, h)
		}
	}
	if len(https) == 0 {
		return
	}
	path := in.BuildxConfigFile(opts.DockerConfigDir)
	caFile := caCopyFile(table)
	// What the last run of the edit found (it runs again when another
	// program rewrites the file meanwhile).
	var trusted []string
	var leftAlone []error
	changed, err := editFile(path, opts.DryRun, func(data []byte, exists bool) ([]byte, bool, error) {
		added := false
		trusted, leftAlone = nil, nil
		for _, h := range https {
			out, ch, err := buildx.AddCA(data, exists || added, h, caFile)
			var left *buildx.LeftAloneError
			if errors.As(err, &left) {
				leftAlone = append(leftAlone, fmt.Errorf("left as it is for %s, so builders do not trust the CA for it: %w", h, err))
				continue
			}
			if err != nil {
				return nil, false, err
			}
			data, added = out, added || ch
			trusted = append(trusted, h)
		}
		return data, added, nil
	})
	for _, e := range leftAlone {
		rep.Line("warning", "buildx default BuildKit config %s: %v", path, e)
	}
	switch {
	case err != nil:
		rep.Line("warning", "buildx default BuildKit config %s not changed: %v; fix the file, then run install again", path, err)
		return
	case len(trusted) == 0:
		return // each host has its warning
	case changed:
		rep.Line("changed", "buildx default BuildKit config %s: trusts %s for %s (builders created from now on)", path, caFile, strings.Join(trusted, ", "))
		// docker/buildx#2985, still so in v0.38: any default config makes
		// `buildx create --driver remote` fail.
		rep.Line("note", "while %s exists, 'docker buildx create --driver remote' fails with \"setting config file is not supported\": move it aside for that one command", path)
	default:
		rep.Line("ok", "buildx default BuildKit config %s: already trusts the CA for %s", path, strings.Join(trusted, ", "))
	}
	in.noteOldBuilders(rep, trusted, caPEM, caFile, opts)
}

// noteOldBuilders names the builders made before the CA was trusted:
// buildx copied the configuration when it created them.
func (in *Installer) noteOldBuilders(rep *cli.Report, hosts []string, caPEM, caFile string, opts Options) {
	builders, err := buildx.ReadBuilders(buildx.ConfigDir(in.Getenv, in.dirs().DockerConfigDir(opts.DockerConfigDir)))
	if err != nil {
		rep.Line("warning", "%v", err)
		return
	}
	for _, b := range builders {
		for _, h := range hosts {
			v := buildx.Assess(b, buildx.Registry{Host: h, CA: []byte(caPEM), CAFile: caFile, DefaultTrusts: true, ClientTrusts: true})
			if !v.OK && !v.Unknown && v.Fix != "" {
				rep.Line("note", "buildx builder %s (%s) was made before and cannot push to %s; recreate it: %s", b.Name, b.Driver, h, v.Fix)
				break
			}
		}
	}
}

// untrustBuildx removes what trustBuildx added to buildx's default BuildKit
// configuration, and the file when install created it and nothing else is
// in it.
func (in *Installer) untrustBuildx(rep *cli.Report, opts Options) {
	path := in.BuildxConfigFile(opts.DockerConfigDir)
	var removeFile bool
	changed, err := editFile(path, opts.DryRun, func(data []byte, exists bool) ([]byte, bool, error) {
		if !exists {
			return data, false, nil
		}
		out, ch, rm, notes, err := buildx.RemoveCA(data)
		for _, n := range notes {
			rep.Line("warning", "buildx default BuildKit config %s, %s", path, n)
		}
		removeFile = rm
		return out, ch, err
	})
	switch {
	case err != nil:
		rep.Line("warning", "buildx default BuildKit config %s not changed: %v", path, err)
	case changed && removeFile && !opts.DryRun:
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			rep.Line("warning", "%s not removed: %v", path, err)
			return
		}
		rep.Line("changed", "removed %s", path)
	case changed:
		rep.Line("changed", "buildx default BuildKit config %s: removed the registry CA install added", path)
	}
}

// editFile edits path with atomicfile.Edit. A new file is 0644, like the
// one buildx would write: it holds no secret.
func editFile(path string, dryRun bool, edit func(data []byte, exists bool) ([]byte, bool, error)) (bool, error) {
	return atomicfile.Edit(path, 0o644, dryRun, edit)
}
