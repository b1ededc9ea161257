// Package version is the release stamp both programs print: the version,
// commit and build date GoReleaser links in, with the module's build info as
// the fallback for `go install ...@vX`, and the rule for when a helper and a
// companion may work together.
package version

import (
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// Module is the Go module both programs come from.
const Module = "github.com/cnoe-io/docker-credential-idpbuilder"

// Devel is the version of a build nobody stamped: `go build` or `make
// install` from a checkout.
const Devel = "(devel)"

// Set by release builds with
//
//	-ldflags "-X github.com/cnoe-io/docker-credential-idpbuilder/internal/version.version=v1.2.3 ..."
//
// (-X sets only package-level string variables); nothing writes them at run
// time.
var (
	version string
	commit  string
	date    string
)

// Info is one build's stamp. Commit and Date are empty when unknown.
type Info struct {
	Version string
	Commit  string
	Date    string
}

// Get returns this program's stamp.
func Get() Info {
	return resolve(version, commit, date, debug.ReadBuildInfo)
}

// resolve fills what the linker did not stamp from the build info: the
// module version of `go install ...@vX`, the VCS revision and time of a
// build in a checkout.
func resolve(v, c, d string, readBuildInfo func() (*debug.BuildInfo, bool)) Info {
	info := Info{Version: v, Commit: c, Date: d}
	if bi, ok := readBuildInfo(); ok {
		if info.Version == "" && bi.Main.Version != "" {
			info.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision" && info.Commit == "":
				info.Commit = s.Value
			case s.Key == "vcs.time" && info.Date == "":
				info.Date = s.Value
			}
		}
	}
	if info.Version == "" {
		info.Version = Devel
	}
	return info
}

// IsDevel reports whether v is an unstamped build's version.
func IsDevel(v string) bool { return v == "" || v == Devel }

// Compatible reports whether a helper and a companion of these versions
// may work together. They ship together, one archive or formula holding
// both, and the contract between them may change in any release, so only
// the same version is known to work; an unstamped build is a developer's,
// built beside its partner from the same tree, and works with anything.
func Compatible(a, b string) bool {
	return a == b || IsDevel(a) || IsDevel(b)
}

// Write prints the stamp as program's version: first the line the
// credential helpers print for their version verb, "NAME (MODULE) VERSION",
// which is all a script should parse, then the commit and build date.
func (i Info) Write(w io.Writer, program string) {
	fmt.Fprintf(w, "%s (%s) %s\n", program, Module, i.Version)
	fmt.Fprintf(w, "commit: %s\nbuilt: %s\n", orUnknown(i.Commit), orUnknown(i.Date))
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// Parse reads the version from the first line Write prints for program,
// as the helper reads its companion's.
func Parse(output, program string) (string, error) {
	line, _, _ := strings.Cut(output, "\n")
	f := strings.Fields(line)
	if len(f) != 3 || f[0] != program || f[1] != "("+Module+")" {
		return "", fmt.Errorf("%q is not a version line of %s", line, program)
	}
	return f[2], nil
}
