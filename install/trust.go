package install

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/atomicfile"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/cli"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/config"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
)

// systemRootFiles are where Linux distributions and other unix systems
// keep the trusted roots, for the CA bundle. (Go on macOS and Windows reads
// none of them: it asks the OS verifier.)
var systemRootFiles = []string{
	"/etc/ssl/certs/ca-certificates.crt", // Debian, Ubuntu, Alpine
	"/etc/pki/tls/certs/ca-bundle.crt",   // Fedora, RHEL
	"/etc/ssl/cert.pem",                  // BSDs, Alpine-likes
}

// trustCA installs the cluster's CA where each client looks for it, for
// the hosts served over https.
func (in *Installer) trustCA(rep *cli.Report, table *config.Table, hosts []string, caPEM string, opts Options) error {
	hosts = httpsOnly(rep, table, hosts)
	if len(hosts) == 0 {
		return nil
	}
	ca, err := parseCA(caPEM)
	if err != nil {
		return err
	}
	helperDir := filepath.Dir(table.Path)
	if !opts.DryRun {
		if err := os.MkdirAll(helperDir, 0o700); err != nil {
			return err
		}
	}
	caCopy := caCopyFile(table)
	bundle := filepath.Join(helperDir, "ca-bundle.pem")
	// Read before the copy is replaced: it is the CA an earlier install
	// trusted, maybe an older cluster's.
	previous, _ := os.ReadFile(caCopy)
	roots := in.systemRoots(bundle, ca, previous)
	if err := in.writeTrusted(rep, table, caCopy, ca, opts.DryRun); err != nil {
		return err
	}
	store := in.osStore(caCopy)
	if store != nil {
		if err := in.trustInOSStore(rep, store, caCopy, previous, ca, opts.DryRun); err != nil {
			return err
		}
	}
	var sudo []string
	for _, h := range hosts {
		userDirs := []string{
			in.dirs().ContainersCertsDir(),                                            // skopeo, podman, buildah
			filepath.Join(in.dirs().DockerConfigDir(opts.DockerConfigDir), "certs.d"), // Docker Desktop copies these into its VM
			filepath.Join(in.dirs().ConfigHome(), "docker", "certs.d"),                // rootless dockerd
		}
		for _, d := range userDirs {
			path, err := certsDFile(d, h)
			if err != nil {
				return err
			}
			if err := in.writeTrusted(rep, table, path, ca, opts.DryRun); err != nil {
				return err
			}
		}
		for _, d := range in.systemCertsDirs() {
			path, err := certsDFile(in.SystemRoot+d, h)
			if err != nil {
				return err
			}
			err = in.writeTrusted(rep, table, path, ca, opts.DryRun)
			if errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS) {
				sudo = append(sudo, fmt.Sprintf("sudo install -D -m 0644 %s %s", caCopy, filepath.Join(d, h, "ca.crt")))
				continue
			}
			if err != nil {
				return err
			}
		}
	}
	if len(sudo) > 0 {
		rep.Line("warning", "no write access to the system certificate folders; run:\n    %s", strings.Join(sudo, "\n    "))
	}

	// The bundle is the machine's roots plus the current cluster CA only, so
	// a new cluster's CA replaces the old one.
	if err := in.writeTrusted(rep, table, bundle, append(roots, ca...), opts.DryRun); err != nil {
		return err
	}
	if store != nil {
		rep.Line("note", "Go clients such as crane use %s, not SSL_CERT_FILE", store.name)
	} else {
		rep.Line("note", "Go clients such as crane: export SSL_CERT_FILE=%s", bundle)
	}
	return nil
}

// systemCertsDirs are the machine's certs.d folders install writes to:
// none on macOS and Windows, where dockerd runs in Docker Desktop's VM,
// which copies in ~/.docker/certs.d and the OS's trusted CAs instead.
func (in *Installer) systemCertsDirs() []string {
	if g := in.goos(); g == "darwin" || g == "windows" {
		return nil
	}
	return []string{"/etc/containers/certs.d", "/etc/docker/certs.d"}
}

// caCopyFile is the copy of the cluster's CA that --trust-ca keeps beside the
// helper's table: git is given this file.
func caCopyFile(table *config.Table) string {
	return filepath.Join(filepath.Dir(table.Path), "ca.crt")
}

// httpsOnly leaves out the hosts served over plain http (a cluster made
// with --protocol http), saying that there is no CA to trust for them.
func httpsOnly(rep *cli.Report, table *config.Table, hosts []string) []string {
	var out []string
	for _, h := range hosts {
		if table.Registries[h].Protocol == "http" {
			rep.Line("note", "%s is served over plain http: --trust-ca has no CA to write for it", h)
			continue
		}
		out = append(out, h)
	}
	return out
}

// certsDFile is dir/host/ca.crt, refused unless host names exactly one
// folder right under dir: install writes there, and uninstall deletes.
func certsDFile(dir, host string) (string, error) {
	p := filepath.Join(dir, host, "ca.crt")
	if host == "" || host == "." || host == ".." || strings.ContainsAny(host, `/\`) || filepath.Dir(filepath.Dir(p)) != filepath.Clean(dir) {
		return "", fmt.Errorf("registry %q does not name a folder under %s; nothing was written there", host, dir)
	}
	return p, nil
}

func parseCA(caPEM string) ([]byte, error) {
	if strings.TrimSpace(caPEM) == "" {
		return nil, errors.New("the Localbuild has no self-signed CA (spec.buildCustomization.selfSignedCert): nothing to trust; is the cluster made by idpbuilder?")
	}
	var out []byte
	rest := []byte(caPEM)
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return nil, fmt.Errorf("the Localbuild's self-signed certificate does not parse: %w", err)
		}
		out = append(out, pem.EncodeToMemory(block)...)
	}
	if len(out) == 0 {
		return nil, errors.New("the Localbuild's selfSignedCert holds no PEM certificate")
	}
	return out, nil
}

// systemRoots reads the machine's trusted roots for the CA bundle. It
// honours $SSL_CERT_FILE as Go clients do, except when that is our own
// bundle or a file that holds a cluster CA (the current one or the one
// install trusted before): once the user exports SSL_CERT_FILE as install
// tells them, the bundle would read itself, grow by a CA on every run and
// keep trusting recreated clusters' old CAs.
func (in *Installer) systemRoots(bundle string, clusterCAs ...[]byte) []byte {
	var files []string
	if f := in.Getenv("SSL_CERT_FILE"); f != "" && !samePath(f, bundle) {
		if data, err := os.ReadFile(f); err == nil && !holdsAnyCert(data, clusterCAs...) {
			files = append(files, f)
		}
	}
	for _, f := range systemRootFiles {
		files = append(files, in.SystemRoot+f)
	}
	for _, f := range files {
		if data, err := os.ReadFile(f); err == nil {
			if !bytes.HasSuffix(data, []byte("\n")) {
				data = append(data, '\n')
			}
			return data
		}
	}
	return nil
}

// samePath reports whether a and b name one file, through links too.
func samePath(a, b string) bool {
	if filepath.Clean(a) == filepath.Clean(b) {
		return true
	}
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(sa, sb)
}

// holdsAnyCert reports whether the PEM data holds one of the certificates
// in the PEM files cas, whatever the line layout of either.
func holdsAnyCert(data []byte, cas ...[]byte) bool {
	have := map[string]bool{}
	for _, der := range idpbuilder.CertificateDERs(data) {
		have[string(der)] = true
	}
	for _, ca := range cas {
		for _, der := range idpbuilder.CertificateDERs(ca) {
			if have[string(der)] {
				return true
			}
		}
	}
	return false
}

// writeTrusted writes a certificate file unless it already holds data, and
// records files it creates so uninstall removes exactly those.
func (in *Installer) writeTrusted(rep *cli.Report, table *config.Table, path string, data []byte, dryRun bool) error {
	cur, err := os.ReadFile(path)
	if err == nil && bytes.Equal(cur, data) {
		rep.Line("ok", "%s: already in place", path)
		return nil
	}
	existed := err == nil
	if dryRun {
		rep.Line("changed", "%s", path)
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", filepath.Dir(path), err)
	}
	if err := atomicfile.Write(path, data, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if !existed && !slices.Contains(table.Installed, path) {
		table.Installed = append(table.Installed, path)
	}
	rep.Line("changed", "%s", path)
	return nil
}
