//go:build release

package release

import (
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The Homebrew cask GoReleaser wrote (brew is not here to install it):
// it installs both programs and the three completions, each a file of the
// archive it downloads for the user's platform, and every archive it names
// is one of dist/ with the sha256 it gives.
func TestHomebrewCask(t *testing.T) {
	m := readMetadata(t)
	data, err := os.ReadFile(filepath.Join(dist, "homebrew", "Casks", project+".rb"))
	if err != nil {
		t.Fatal(err)
	}
	cask := string(data)
	stanzas := func(name string) []string {
		var values []string
		for _, match := range regexp.MustCompile(`(?m)^\s*`+name+` "([^"]+)"`).FindAllStringSubmatch(cask, -1) {
			values = append(values, match[1])
		}
		return values
	}

	if got := stanzas("version"); !slices.Equal(got, []string{m.Version}) {
		t.Errorf("version %q, want %q", got, m.Version)
	}
	// What the cask installs: binaries and completions, by their paths in
	// the unpacked archive.
	installs := map[string][]string{
		"binary":          {helper, companion},
		"bash_completion": {"completions/" + project + ".bash"},
		"zsh_completion":  {"completions/" + project + ".zsh"},
		"fish_completion": {"completions/" + project + ".fish"},
	}
	for stanza, want := range installs {
		if got := stanzas(stanza); !slices.Equal(got, want) {
			t.Errorf("%s stanzas %q, want %q", stanza, got, want)
		}
	}

	// The downloads: one per darwin and linux platform.
	sums := readChecksums(t)
	pairs := regexp.MustCompile(`url "([^"]+)"[^\n]*\n\s*sha256 "([0-9a-f]{64})"`).FindAllStringSubmatch(cask, -1)
	// The cask spells the version in its URLs as #{version}, its version
	// stanza, which Homebrew interpolates.
	resolve := func(url string) string { return strings.ReplaceAll(url, "#{version}", m.Version) }
	var got []string
	for _, p := range pairs {
		got = append(got, path.Base(resolve(p[1])))
	}
	var want []string
	for _, p := range platforms() {
		if p[0] != "windows" {
			want = append(want, archiveName(m.Version, p[0], p[1]))
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("the cask downloads %q, want %q", got, want)
	}
	for _, p := range pairs {
		url, sum := resolve(p[1]), p[2]
		name := path.Base(url)
		t.Run(name, func(t *testing.T) {
			if wantURL := "https://github.com/cnoe-io/docker-credential-idpbuilder/releases/download/" + m.Tag + "/" + name; url != wantURL {
				t.Errorf("url %q, want %q", url, wantURL)
			}
			if sums[name] != sum {
				t.Errorf("sha256 %s; checksums.txt says %s", sum, sums[name])
			}
			files := archiveFiles(t, filepath.Join(dist, name))
			for stanza, paths := range installs {
				for _, p := range paths {
					if _, ok := files[p]; !ok {
						t.Errorf("%s %q: the archive has no such file", stanza, p)
					}
				}
			}
		})
	}
}
