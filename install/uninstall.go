package install

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/atomicfile"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/cli"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/config"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/gitconfig"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/jsonedit"
)

// Uninstall removes what install added: credHelpers entries naming us, the
// keyring entries and files install wrote, and the helper config.
func (in *Installer) Uninstall(opts Options) error {
	rep := &cli.Report{W: in.Out, DryRun: opts.DryRun}
	// Uninstall reads no cluster, so a table get would refuse (a relative
	// kubeconfig path) is still one the user can always undo.
	table, err := in.loadTableWith(config.LoadForEdit)
	if err != nil {
		return err
	}
	files := append([]string{in.dirs().DockerConfigFile(opts.DockerConfigDir)}, in.dirs().ContainersAuthFiles()...)
	for _, path := range files {
		changes, err := jsonedit.EditFile(path, false, opts.DryRun, unwire)
		if err != nil {
			rep.Line("warning", "%v", err)
			continue
		}
		if len(changes) > 0 {
			reportFile(rep, path, changes)
		}
	}
	if in.Cache != nil {
		for _, h := range table.Hosts() {
			if opts.DryRun {
				rep.Line("changed", "keyring entry for %s", h)
				continue
			}
			if existed, err := in.Cache.Delete(h); err != nil {
				rep.Line("warning", "keyring entry for %s not removed: %v", h, err)
			} else if existed {
				rep.Line("changed", "removed the keyring entry for %s", h)
			}
		}
	}
	if in.Hot != nil && !opts.DryRun {
		if err := in.Hot(table.Path).ClearAll(); err != nil {
			rep.Line("warning", "answers in the kernel keyring not removed (they expire within the fresh window): %v", err)
		}
	}
	if g, err := gitconfig.Open(in.dirs().Home(), in.Getenv); err == nil {
		g.Unconfigure(caCopyFile(table), opts.DryRun, rep.Line)
	}
	in.untrustBuildx(rep, opts)
	// Before the copy goes: it names the certificate to remove.
	in.untrustInOSStore(rep, caCopyFile(table), opts.DryRun)
	for _, f := range table.Installed {
		if opts.DryRun {
			rep.Line("changed", "remove %s", f)
			continue
		}
		if err := os.Remove(f); err == nil {
			rep.Line("changed", "removed %s", f)
			_ = os.Remove(filepath.Dir(f)) // the host folder, when install made it and it is empty
		} else if !errors.Is(err, os.ErrNotExist) {
			rep.Line("warning", "%s not removed: %v", f, err)
		}
	}
	if table.FromFile {
		if !opts.DryRun {
			if err := os.Remove(table.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("removing %s: %w", table.Path, err)
			}
			if err := atomicfile.RemoveLock(table.Path); err != nil {
				return fmt.Errorf("removing the lock beside %s: %w", table.Path, err)
			}
			_ = os.Remove(filepath.Dir(table.Path))
		}
		rep.Line("changed", "removed helper config %s", table.Path)
	}
	if !rep.Warned {
		fmt.Fprintf(in.Out, "  done: nothing of %s is left configured\n", cli.Name)
	}
	return nil
}
