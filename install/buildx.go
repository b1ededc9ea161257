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
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/config"
)

// editAttempts bounds the re-reads when buildx rewrites the file while
// install edits it.
const editAttempts = 5

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
func (in *Installer) trustBuildx(rep *report, table *config.Table, hosts []string, caPEM string, opts Options) {
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
	changed, err := editFile(path, opts.DryRun, func(data []byte, exists bool) ([]byte, bool, error) {
		added := false
		for _, h := range https {
			out, ch, err := buildx.AddCA(data, exists || added, h, caFile)
			var left *buildx.LeftAloneError
			if errors.As(err, &left) {
				rep.line("warning", "buildx default BuildKit config %s: left as it is for %s: %v", path, h, err)
				continue
			}
			if err != nil {
				return nil, false, err
			}
			data, added = out, added || ch
		}
		return data, added, nil
	})
	switch {
	case err != nil:
		rep.line("warning", "buildx default BuildKit config %s not changed: %v; fix the file, then run install again", path, err)
		return
	case changed:
		rep.line("changed", "buildx default BuildKit config %s: trusts %s for %s (builders created from now on)", path, caFile, strings.Join(https, ", "))
		// docker/buildx#2985, still so in v0.38: any default config makes
		// `buildx create --driver remote` fail.
		rep.line("note", "while %s exists, 'docker buildx create --driver remote' fails with \"setting config file is not supported\": move it aside for that one command", path)
	default:
		rep.line("ok", "buildx default BuildKit config %s: already trusts the CA", path)
	}
	in.noteOldBuilders(rep, https, caPEM, caFile, opts)
}

// noteOldBuilders names the builders made before the CA was trusted:
// buildx copied the configuration when it created them.
func (in *Installer) noteOldBuilders(rep *report, hosts []string, caPEM, caFile string, opts Options) {
	builders, err := buildx.ReadBuilders(buildx.ConfigDir(in.Getenv, in.dirs().DockerConfigDir(opts.DockerConfigDir)))
	if err != nil {
		rep.line("warning", "%v", err)
		return
	}
	for _, b := range builders {
		for _, h := range hosts {
			v := buildx.Assess(b, buildx.Registry{Host: h, CA: []byte(caPEM), CAFile: caFile, DefaultTrusts: true, ClientTrusts: true})
			if !v.OK && !v.Unknown && v.Fix != "" {
				rep.line("note", "buildx builder %s (%s) was made before and cannot push to %s; recreate it: %s", b.Name, b.Driver, h, v.Fix)
				break
			}
		}
	}
}

// untrustBuildx removes what trustBuildx added to buildx's default BuildKit
// configuration, and the file when install created it and nothing else is
// in it.
func (in *Installer) untrustBuildx(rep *report, opts Options) {
	path := in.BuildxConfigFile(opts.DockerConfigDir)
	var removeFile bool
	changed, err := editFile(path, opts.DryRun, func(data []byte, exists bool) ([]byte, bool, error) {
		if !exists {
			return data, false, nil
		}
		out, ch, rm, notes, err := buildx.RemoveCA(data)
		for _, n := range notes {
			rep.line("warning", "buildx default BuildKit config %s, %s", path, n)
		}
		removeFile = rm
		return out, ch, err
	})
	switch {
	case err != nil:
		rep.line("warning", "buildx default BuildKit config %s not changed: %v", path, err)
	case changed && removeFile && !opts.DryRun:
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			rep.line("warning", "%s not removed: %v", path, err)
			return
		}
		rep.line("changed", "removed %s", path)
	case changed:
		rep.line("changed", "buildx default BuildKit config %s: removed the registry CA install added", path)
	}
}

// editFile applies edit to path's content and writes the result
// atomically when it changed, re-reading when the file changed meanwhile.
// A new file is 0644, like the one buildx would write: it holds no secret.
func editFile(path string, dryRun bool, edit func(data []byte, exists bool) ([]byte, bool, error)) (bool, error) {
	for range editAttempts {
		data, err := os.ReadFile(path)
		exists := err == nil
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return false, err
		}
		out, changed, err := edit(data, exists)
		if err != nil || !changed || dryRun {
			return changed, err
		}
		expect := data
		if !exists {
			expect = []byte{} // must still be absent (or empty) when we write
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return false, fmt.Errorf("creating %s: %w", filepath.Dir(path), err)
		}
		err = atomicfile.Replace(path, expect, out, 0o644)
		if errors.Is(err, atomicfile.ErrChanged) {
			continue
		}
		if err != nil {
			return false, fmt.Errorf("writing %s: %w", path, err)
		}
		return true, nil
	}
	return false, fmt.Errorf("%s kept changing while it was being edited; run the command again", path)
}
