package install

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/atomicfile"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/cli"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
)

// Runner runs one of the platform's programs (macOS security, Windows
// certutil) with the user's terminal, so the OS can ask them to confirm.
// Its arguments never hold a secret.
type Runner interface {
	Run(ctx context.Context, name string, args ...string) error
}

// goos is the platform install acts for: GOOS, else the running one.
func (in *Installer) goos() string {
	if in.GOOS != "" {
		return in.GOOS
	}
	return runtime.GOOS
}

// osStore is the user's own trust store of a platform whose Go clients use
// the OS verifier: how to add the cluster CA to it and remove it again.
type osStore struct {
	name    string // "your login keychain"
	confirm string // how the OS asks the user
	add     []string
	remove  func(sha1Hex string) []string
}

// osStore is the platform's store where Go's crypto/x509 asks the OS
// verifier and ignores SSL_CERT_FILE (macOS, Windows), else nil.
// Never a machine-wide store: the System keychain and the LocalMachine
// stores need an administrator and would trust the CA for every user.
func (in *Installer) osStore(caCopy string) *osStore {
	switch in.goos() {
	case "darwin":
		keychain := filepath.Join(in.dirs().Home(), "Library", "Keychains", "login.keychain-db")
		return &osStore{
			name:    "your login keychain",
			confirm: "macOS asks you to confirm",
			add:     []string{"/usr/bin/security", "add-trusted-cert", "-r", "trustRoot", "-p", "ssl", "-k", keychain, caCopy},
			// -t drops the user trust setting add-trusted-cert made, too.
			remove: func(sha1Hex string) []string {
				return []string{"/usr/bin/security", "delete-certificate", "-t", "-Z", sha1Hex, keychain}
			},
		}
	case "windows":
		return &osStore{
			name:    "your Windows Root store (CurrentUser)",
			confirm: "Windows shows a dialog to confirm",
			add:     []string{"certutil", "-user", "-addstore", "Root", caCopy},
			remove: func(sha1Hex string) []string {
				return []string{"certutil", "-user", "-delstore", "Root", sha1Hex}
			},
		}
	}
	return nil
}

// run runs argv with the installer's Runner.
func (in *Installer) run(argv []string) error {
	if in.Runner == nil {
		return fmt.Errorf("no way to run programs on %s", in.goos())
	}
	// No deadline: the OS may wait for the user to confirm.
	return in.Runner.Run(context.Background(), argv[0], argv[1:]...)
}

// trustInOSStore adds the CA to the user's trust store when the copy
// install keeps has changed (an unchanged copy is a CA an earlier install
// added), saying so first: the OS may stop to ask the user. Then it removes
// the CA the copy replaced, a recreated cluster's old one. A failed add puts
// the copy back, so the next install tries again, and stops install with
// the command to run by hand.
func (in *Installer) trustInOSStore(rep *cli.Report, store *osStore, caCopy string, previous, ca []byte, dryRun bool) error {
	if bytes.Equal(previous, ca) {
		rep.Line("ok", "%s: trusts the cluster CA", store.name)
		return nil
	}
	cmdline := commandLine(store.add)
	if dryRun {
		rep.Line("note", "would run: %s", cmdline)
	} else {
		rep.Line("note", "adding the cluster CA to %s as trusted for SSL; %s", store.name, store.confirm)
		if err := in.run(store.add); err != nil {
			if previous != nil {
				_ = atomicfile.Write(caCopy, previous, 0o644)
			} else {
				_ = os.Remove(caCopy)
			}
			return fmt.Errorf("%s failed (%v); the cluster CA is not trusted by Go clients: add the CA by hand: %s", cmdline, err, cmdline)
		}
		rep.Line("changed", "%s: trusts the cluster CA for SSL", store.name)
		rep.Line("note", "restart Docker Desktop: it reads trusted CAs when it starts")
	}
	in.removeFromOSStore(rep, store, previous, ca, dryRun)
	return nil
}

// untrustInOSStore removes from the user's trust store the CA of the copy
// install kept; a failure is a warning.
func (in *Installer) untrustInOSStore(rep *cli.Report, caCopy string, dryRun bool) {
	store := in.osStore(caCopy)
	if store == nil {
		return
	}
	data, err := os.ReadFile(caCopy)
	if err != nil {
		return // no copy: install never trusted a CA here
	}
	in.removeFromOSStore(rep, store, data, nil, dryRun)
}

// removeFromOSStore removes each certificate of old from the store, except
// those keep still holds.
func (in *Installer) removeFromOSStore(rep *cli.Report, store *osStore, old, keep []byte, dryRun bool) {
	kept := idpbuilder.CertificateDERs(keep)
	for _, der := range idpbuilder.CertificateDERs(old) {
		if slices.ContainsFunc(kept, func(k []byte) bool { return bytes.Equal(k, der) }) {
			continue
		}
		argv := store.remove(thumbprint(der))
		cmdline := commandLine(argv)
		if dryRun {
			rep.Line("note", "would run: %s", cmdline)
			continue
		}
		rep.Line("note", "removing the cluster CA install added from %s", store.name)
		if err := in.run(argv); err != nil {
			rep.Line("warning", "%s failed (%v); remove the CA by hand: %s", cmdline, err, cmdline)
			continue
		}
		rep.Line("changed", "%s: removed the cluster CA", store.name)
	}
}

// thumbprint is the SHA-1 of a certificate's DER in upper-case hex, as
// security -Z and certutil name a certificate.
func thumbprint(der []byte) string {
	sum := sha1.Sum(der)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// commandLine is argv as the user would type it, an argument with a space
// or quote in double quotes.
func commandLine(argv []string) string {
	out := make([]string, len(argv))
	for i, a := range argv {
		if a == "" || strings.ContainsAny(a, " \t'\"") {
			a = `"` + strings.ReplaceAll(a, `"`, `\"`) + `"`
		}
		out[i] = a
	}
	return strings.Join(out, " ")
}
