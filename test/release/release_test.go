//go:build release

// Package release checks what `make release-snapshot` left in dist/: the
// six archives with both programs, README, LICENSE and completions; the
// checksums; an SBOM per archive; the deb and rpm packages; the Homebrew
// cask installing what the archives hold; and, for the platform the test
// runs on, the programs' version output. Run it with `make release-test`.
package release

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	project   = "docker-credential-idpbuilder"
	helper    = "docker-credential-idpbuilder"
	companion = "docker-credential-idpbuilder-cluster"
	module    = "github.com/cnoe-io/docker-credential-idpbuilder"
)

// dist is GoReleaser's output folder, at the repository's root.
var dist = filepath.Join("..", "..", "dist")

// platforms are the six the release builds.
func platforms() [][2]string {
	return [][2]string{{"linux", "amd64"}, {"linux", "arm64"}, {"darwin", "amd64"}, {"darwin", "arm64"}, {"windows", "amd64"}, {"windows", "arm64"}}
}

// metadata is what GoReleaser records about the run in dist/metadata.json.
type metadata struct {
	Version string `json:"version"`
	Tag     string `json:"tag"` // the release's tag: the last one for a snapshot
	Commit  string `json:"commit"`
}

func readMetadata(t *testing.T) metadata {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dist, "metadata.json"))
	if err != nil {
		t.Fatalf("%v: run make release-snapshot first", err)
	}
	var m metadata
	if err := json.Unmarshal(data, &m); err != nil || m.Version == "" {
		t.Fatalf("dist/metadata.json: %v (%s)", err, data)
	}
	return m
}

func archiveName(version, goos, goarch string) string {
	ext := ".tar.gz"
	if goos == "windows" {
		ext = ".zip"
	}
	return fmt.Sprintf("%s_%s_%s_%s%s", project, version, goos, goarch, ext)
}

// archiveFiles lists an archive's regular files and their modes.
func archiveFiles(t *testing.T, path string) map[string]os.FileMode {
	t.Helper()
	files := map[string]os.FileMode{}
	if strings.HasSuffix(path, ".zip") {
		zr, err := zip.OpenReader(path)
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		for _, f := range zr.File {
			if !f.FileInfo().IsDir() {
				files[f.Name] = f.Mode()
			}
		}
		return files
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			files[h.Name] = h.FileInfo().Mode()
		}
	}
}

// wantInArchive is every archive's content: both programs at its root
// (where the cask and the README's instructions find them), the docs and
// the completions.
func wantInArchive(goos string) []string {
	exe := ""
	if goos == "windows" {
		exe = ".exe"
	}
	files := []string{
		"LICENSE", "README.md",
		"completions/" + project + ".bash", "completions/" + project + ".fish", "completions/" + project + ".zsh",
		companion + exe, helper + exe,
	}
	slices.Sort(files)
	return files
}

func TestArchives(t *testing.T) {
	m := readMetadata(t)
	sums := readChecksums(t)
	for _, p := range platforms() {
		goos, goarch := p[0], p[1]
		name := archiveName(m.Version, goos, goarch)
		t.Run(goos+"/"+goarch, func(t *testing.T) {
			path := filepath.Join(dist, name)
			files := archiveFiles(t, path)
			var got []string
			for f := range files {
				got = append(got, f)
			}
			slices.Sort(got)
			if want := wantInArchive(goos); !slices.Equal(got, want) {
				t.Errorf("%s holds %q, want %q", name, got, want)
			}
			if goos != "windows" {
				for _, prog := range []string{helper, companion} {
					if files[prog]&0o111 == 0 {
						t.Errorf("%s: %s is not executable (%v)", name, prog, files[prog])
					}
				}
			}
			if sum, ok := sums[name]; !ok || sum != sha256File(t, path) {
				t.Errorf("checksums.txt has %q for %s; the file's sha256 is %s", sum, name, sha256File(t, path))
			}
			checkSBOM(t, path+".sbom.json")
		})
	}
	// Nothing else is an archive: six, one per platform.
	archives, _ := filepath.Glob(filepath.Join(dist, project+"_*_*_*.*"))
	n := 0
	for _, a := range archives {
		if strings.HasSuffix(a, ".tar.gz") || strings.HasSuffix(a, ".zip") {
			n++
		}
	}
	if n != len(platforms()) {
		t.Errorf("%d archives in dist, want %d: %q", n, len(platforms()), archives)
	}
}

// readChecksums reads dist/checksums.txt: "SHA256  NAME" lines.
func readChecksums(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(dist, "checksums.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sums := map[string]string{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) != 2 || len(fields[0]) != 64 {
			t.Fatalf("checksums.txt: malformed line %q", s.Text())
		}
		sums[fields[1]] = fields[0]
	}
	return sums
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// checkSBOM checks an archive's SPDX document names the module and what
// the companion links (client-go): syft read the binaries inside.
func checkSBOM(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("no SBOM for the archive: %v", err)
		return
	}
	var doc struct {
		SPDXVersion string `json:"spdxVersion"`
		Packages    []struct {
			Name string `json:"name"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(data, &doc); err != nil || !strings.HasPrefix(doc.SPDXVersion, "SPDX-") {
		t.Errorf("%s is not an SPDX JSON document: %v", path, err)
		return
	}
	var names []string
	for _, p := range doc.Packages {
		names = append(names, p.Name)
	}
	for _, want := range []string{module, "k8s.io/client-go", "github.com/zalando/go-keyring"} {
		if !slices.Contains(names, want) {
			t.Errorf("%s does not list %s among its %d packages", filepath.Base(path), want, len(names))
		}
	}
}

// The programs of the archive for this machine print the snapshot's
// version, commit and date, and the helper finds the companion beside it
// with the same version: no warning.
func TestArchiveVersion(t *testing.T) {
	m := readMetadata(t)
	name := archiveName(m.Version, runtime.GOOS, runtime.GOARCH)
	dir := extract(t, filepath.Join(dist, name))
	exe := ""
	if runtime.GOOS == "windows" {
		exe = ".exe"
	}
	// The build date is the commit's (reproducible builds), in UTC.
	out, err := exec.Command("git", "show", "-s", "--format=%ct", m.Commit).Output()
	if err != nil {
		t.Fatalf("git show %s: %v", m.Commit, err)
	}
	seconds, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	built := time.Unix(seconds, 0).UTC().Format(time.RFC3339)
	stamp := fmt.Sprintf("(%s) v%s\ncommit: %s\nbuilt: %s\n", module, m.Version, m.Commit, built)
	for _, tc := range []struct {
		program string
		want    string
	}{
		{helper, helper + " " + stamp + "companion: " + filepath.Join(dir, companion+exe) + " v" + m.Version + "\n"},
		{companion, companion + " " + stamp},
	} {
		t.Run(tc.program, func(t *testing.T) {
			cmd := exec.Command(filepath.Join(dir, tc.program+exe), "version")
			cmd.Env = append(os.Environ(), "PATH="+t.TempDir()) // only the companion beside it
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil || string(out) != tc.want || stderr.Len() > 0 {
				t.Errorf("%s version: %v\nstdout %q\nwant   %q\nstderr %q", tc.program, err, out, tc.want, stderr.String())
			}
		})
	}
	if m.Commit == "" || m.Commit == "none" {
		t.Errorf("the snapshot was stamped with commit %q: GoReleaser did not read the repository", m.Commit)
	}
	// The completions in the archive are what the programs print.
	for _, shell := range []string{"bash", "zsh", "fish"} {
		out, err := exec.Command(filepath.Join(dir, helper+exe), "completion", shell).Output()
		packed, _ := os.ReadFile(filepath.Join(dir, "completions", project+"."+shell))
		if err != nil || len(out) == 0 || !bytes.Equal(out, packed) {
			t.Errorf("completion %s: %v; the archive's completions/%s.%s differs from the program's output", shell, err, project, shell)
		}
	}
}

// extract unpacks an archive into a temporary folder with tar or unzip.
func extract(t *testing.T, archive string) string {
	t.Helper()
	dir := t.TempDir()
	var cmd *exec.Cmd
	if strings.HasSuffix(archive, ".zip") {
		cmd = exec.Command("unzip", "-q", archive, "-d", dir)
	} else {
		cmd = exec.Command("tar", "-xzf", archive, "-C", dir)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("extracting %s: %v: %s", archive, err, out)
	}
	return dir
}

// The deb holds both programs in /usr/bin and the completions where each
// shell looks; the rpm exists beside it.
func TestPackages(t *testing.T) {
	m := readMetadata(t)
	for _, arch := range [][2]string{{"amd64", "x86_64"}, {"arm64", "aarch64"}} {
		deb := filepath.Join(dist, fmt.Sprintf("%s_%s_%s.deb", project, strings.ReplaceAll(m.Version, "-", "~"), arch[0]))
		rpm := filepath.Join(dist, fmt.Sprintf("%s-%s-1.%s.rpm", project, strings.ReplaceAll(m.Version, "-", "~"), arch[1]))
		if _, err := os.Stat(rpm); err != nil {
			t.Errorf("no rpm: %v", err)
		}
		if _, err := exec.LookPath("dpkg-deb"); err != nil {
			t.Logf("no dpkg-deb: %s not opened", deb)
			continue
		}
		out, err := exec.Command("dpkg-deb", "-c", deb).CombinedOutput()
		if err != nil {
			t.Errorf("dpkg-deb -c %s: %v: %s", deb, err, out)
			continue
		}
		for _, want := range []string{
			"./usr/bin/" + helper, "./usr/bin/" + companion,
			"./usr/share/bash-completion/completions/" + project,
			"./usr/share/zsh/vendor-completions/_" + project,
			"./usr/share/fish/vendor_completions.d/" + project + ".fish",
		} {
			if !regexp.MustCompile(`(?m) ` + regexp.QuoteMeta(want) + `$`).Match(out) {
				t.Errorf("%s does not hold %s:\n%s", filepath.Base(deb), want, out)
			}
		}
	}
}
