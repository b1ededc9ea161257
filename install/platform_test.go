package install

import (
	"context"
	"crypto/sha1"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fakeRunner records each command's argv, and what the report and the CA
// copy looked like when it ran.
type fakeRunner struct {
	r      *rig
	err    error
	calls  [][]string
	outAt  []string // the report so far, at each call
	copyAt []bool   // whether the CA copy existed, at each call
}

func (f *fakeRunner) Run(_ context.Context, name string, args ...string) error {
	f.calls = append(f.calls, append([]string{name}, args...))
	f.outAt = append(f.outAt, f.r.out.String())
	_, err := os.Stat(f.r.caCopy())
	f.copyAt = append(f.copyAt, err == nil)
	return f.err
}

func (r *rig) caCopy() string {
	return filepath.Join(r.home, ".config", "docker-credential-idpbuilder", "ca.crt")
}

// platformRig is the install rig acting for goos, with a fake runner.
func platformRig(t *testing.T, goos string) (*rig, *fakeRunner, string) {
	kc := localbuild(t)
	r := newRig(t, kc)
	return r, forPlatform(r, goos), kc.Builds[0].SelfSignedCert
}

// forPlatform sets the rig to act for goos, with a fake runner.
func forPlatform(r *rig, goos string) *fakeRunner {
	r.in.GOOS = goos
	r.setenv("USERPROFILE", r.home) // Windows' HOME
	run := &fakeRunner{r: r}
	r.in.Runner = run
	return run
}

// sha1Hex is the CA's thumbprint, worked out here apart from the code.
func sha1Hex(t *testing.T, caPEM string) string {
	t.Helper()
	block, _ := pem.Decode([]byte(caPEM))
	if block == nil {
		t.Fatal("no PEM")
	}
	return fmt.Sprintf("%X", sha1.Sum(block.Bytes))
}

type platformCase struct {
	goos string
	// add and remove are the commands install and uninstall run; nil: none.
	add, remove func(r *rig, thumb string) []string
	// say is what install says before it runs add; goClients where Go
	// clients find the CA.
	say, goClients string
}

func platformCases() []platformCase {
	keychain := func(r *rig) string { return filepath.Join(r.home, "Library", "Keychains", "login.keychain-db") }
	return []platformCase{
		{goos: "linux", goClients: "export SSL_CERT_FILE="},
		{goos: "freebsd", goClients: "export SSL_CERT_FILE="},
		{goos: "darwin",
			add: func(r *rig, _ string) []string {
				return []string{"/usr/bin/security", "add-trusted-cert", "-r", "trustRoot", "-p", "ssl", "-k", keychain(r), r.caCopy()}
			},
			remove: func(r *rig, thumb string) []string {
				return []string{"/usr/bin/security", "delete-certificate", "-t", "-Z", thumb, keychain(r)}
			},
			say:       "adding the cluster CA to your login keychain as trusted for SSL; macOS asks you to confirm",
			goClients: "Go clients such as crane use your login keychain, not SSL_CERT_FILE"},
		{goos: "windows",
			add: func(r *rig, _ string) []string {
				return []string{"certutil", "-user", "-addstore", "Root", r.caCopy()}
			},
			remove: func(r *rig, thumb string) []string {
				return []string{"certutil", "-user", "-delstore", "Root", thumb}
			},
			say:       "adding the cluster CA to your Windows Root store (CurrentUser) as trusted for SSL; Windows shows a dialog to confirm",
			goClients: "Go clients such as crane use your Windows Root store (CurrentUser), not SSL_CERT_FILE"},
	}
}

func TestTrustCAPerPlatform(t *testing.T) {
	for _, tc := range platformCases() {
		t.Run(tc.goos, func(t *testing.T) {
			r, run, ca := platformRig(t, tc.goos)
			thumb := sha1Hex(t, ca)
			if err := r.in.Install(Options{TrustCA: true}); err != nil {
				t.Fatalf("Install: %v\n%s", err, r.out)
			}
			out := r.out.String()
			var want [][]string
			if tc.add != nil {
				want = [][]string{tc.add(r, thumb)}
			}
			if !slices.EqualFunc(run.calls, want, slices.Equal) {
				t.Fatalf("install ran %q, want %q", run.calls, want)
			}
			if tc.add != nil {
				if !strings.Contains(run.outAt[0], "note         "+tc.say+"\n") || !run.copyAt[0] {
					t.Fatalf("install ran %s before saying so, or before writing the CA copy; report then:\n%s", run.calls[0][0], run.outAt[0])
				}
			}
			if !strings.Contains(out, tc.goClients) {
				t.Fatalf("output lacks %q:\n%s", tc.goClients, out)
			}
			if tc.add != nil && strings.Contains(out, "SSL_CERT_FILE=") {
				t.Fatalf("SSL_CERT_FILE hint on %s, whose Go ignores it:\n%s", tc.goos, out)
			}
			// Docker Desktop's folder everywhere; the machine's folders only
			// where a dockerd on the host reads them.
			if read(t, filepath.Join(r.home, ".docker", "certs.d", gitHost, "ca.crt")) != ca {
				t.Fatal("~/.docker/certs.d lacks the CA")
			}
			for _, d := range []string{"docker", "containers"} {
				_, err := os.Stat(filepath.Join(r.root, "etc", d, "certs.d", gitHost, "ca.crt"))
				if written := err == nil; written != (tc.add == nil) {
					t.Fatalf("/etc/%s/certs.d written: %v, on %s", d, written, tc.goos)
				}
			}

			r.out.Reset()
			run.calls, run.outAt, run.copyAt = nil, nil, nil
			if err := r.in.Uninstall(Options{}); err != nil {
				t.Fatal(err)
			}
			want = nil
			if tc.remove != nil {
				want = [][]string{tc.remove(r, thumb)}
			}
			if !slices.EqualFunc(run.calls, want, slices.Equal) {
				t.Fatalf("uninstall ran %q, want %q", run.calls, want)
			}
			if tc.remove != nil && !run.copyAt[0] {
				t.Fatal("uninstall removed the CA copy before removing the CA from the store")
			}
			if _, err := os.Stat(r.caCopy()); !os.IsNotExist(err) {
				t.Fatal("uninstall left the CA copy")
			}
			if !strings.Contains(r.out.String(), "done: nothing") {
				t.Fatalf("uninstall output:\n%s", r.out)
			}
		})
	}
}

func TestTrustCAPerPlatformDryRun(t *testing.T) {
	for _, tc := range platformCases() {
		if tc.add == nil {
			continue
		}
		t.Run(tc.goos, func(t *testing.T) {
			r, run, ca := platformRig(t, tc.goos)
			if err := r.in.Install(Options{TrustCA: true, DryRun: true}); err != nil {
				t.Fatalf("Install: %v\n%s", err, r.out)
			}
			if len(run.calls) != 0 {
				t.Fatalf("dry run ran %q", run.calls)
			}
			if want := "would run: " + strings.Join(tc.add(r, ""), " ") + "\n"; !strings.Contains(r.out.String(), want) {
				t.Fatalf("dry run does not say %q:\n%s", want, r.out)
			}

			if err := r.in.Install(Options{TrustCA: true}); err != nil {
				t.Fatal(err)
			}
			run.calls = nil
			r.out.Reset()
			if err := r.in.Uninstall(Options{DryRun: true}); err != nil {
				t.Fatal(err)
			}
			if len(run.calls) != 0 {
				t.Fatalf("dry run ran %q", run.calls)
			}
			if want := "would run: " + strings.Join(tc.remove(r, sha1Hex(t, ca)), " ") + "\n"; !strings.Contains(r.out.String(), want) {
				t.Fatalf("dry run does not say %q:\n%s", want, r.out)
			}
			if _, err := os.Stat(r.caCopy()); err != nil {
				t.Fatal("dry run removed the CA copy")
			}
		})
	}
}

// The OS refuses (the user said no): install stops with one line naming
// the command to run by hand, the user's files as they were and no CA copy,
// so the next install asks again; uninstall warns and goes on.
func TestTrustCAPerPlatformRunnerFails(t *testing.T) {
	for _, tc := range platformCases() {
		if tc.add == nil {
			continue
		}
		t.Run(tc.goos, func(t *testing.T) {
			r, run, ca := platformRig(t, tc.goos)
			original := `{"auths":{"ghcr.io":{"auth":"eDp5"}}}`
			writeFile(t, r.dockerConfig(), original)
			run.err = errors.New("exit status 1")
			err := r.in.Install(Options{TrustCA: true})
			cmdline := strings.Join(tc.add(r, ""), " ")
			if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), cmdline+" failed (exit status 1)") ||
				!strings.HasSuffix(err.Error(), "add the CA by hand: "+cmdline) {
				t.Fatalf("Install = %v", err)
			}
			if got := read(t, r.dockerConfig()); got != original {
				t.Fatalf("the docker config changed: %s", got)
			}
			if _, err := os.Stat(r.caCopy()); !os.IsNotExist(err) {
				t.Fatal("the CA copy stayed, so the next install would take the CA as trusted")
			}

			run.err, run.calls = nil, nil
			if err := r.in.Install(Options{TrustCA: true}); err != nil {
				t.Fatal(err)
			}
			if len(run.calls) != 1 {
				t.Fatalf("the install after a refusal ran %q, want the add again", run.calls)
			}

			r.out.Reset()
			run.err = errors.New("exit status 1")
			if err := r.in.Uninstall(Options{}); err != nil {
				t.Fatalf("Uninstall = %v", err)
			}
			rm := strings.Join(tc.remove(r, sha1Hex(t, ca)), " ")
			if want := "warning      " + rm + " failed (exit status 1); remove the CA by hand: " + rm + "\n"; !strings.Contains(r.out.String(), want) {
				t.Fatalf("uninstall output lacks %q:\n%s", want, r.out)
			}
			if _, err := os.Stat(r.caCopy()); !os.IsNotExist(err) {
				t.Fatal("uninstall stopped at the warning and left the CA copy")
			}
		})
	}
}

// Installing again asks the OS nothing; a recreated cluster's CA replaces
// the old one in the store.
func TestTrustCAPerPlatformOnceAndOnANewCluster(t *testing.T) {
	for _, tc := range platformCases() {
		if tc.add == nil {
			continue
		}
		t.Run(tc.goos, func(t *testing.T) {
			kc := localbuild(t)
			r := newRig(t, kc)
			run := forPlatform(r, tc.goos)
			oldCA := kc.Builds[0].SelfSignedCert
			for range 2 {
				if err := r.in.Install(Options{TrustCA: true}); err != nil {
					t.Fatal(err)
				}
			}
			if len(run.calls) != 1 {
				t.Fatalf("two installs ran %q, want one add", run.calls)
			}

			run.calls = nil
			kc.Builds[0].SelfSignedCert = selfSignedPEM(t)
			if err := r.in.Install(Options{TrustCA: true}); err != nil {
				t.Fatal(err)
			}
			want := [][]string{tc.add(r, ""), tc.remove(r, sha1Hex(t, oldCA))}
			if !slices.EqualFunc(run.calls, want, slices.Equal) {
				t.Fatalf("install on a new cluster ran %q, want %q", run.calls, want)
			}
		})
	}
}

func TestCommandLineQuotes(t *testing.T) {
	got := commandLine([]string{"certutil", "-addstore", `C:\Users\A B\ca.crt`, ""})
	if want := `certutil -addstore "C:\Users\A B\ca.crt" ""`; got != want {
		t.Fatalf("commandLine = %s, want %s", got, want)
	}
}
