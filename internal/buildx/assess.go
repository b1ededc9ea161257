package buildx

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/cli"
)

// Registry is what the assessment needs to know about one registry.
type Registry struct {
	Host string
	// CA is the cluster's CA (PEM); empty for a plain http registry.
	CA []byte
	// Loopback: the host name resolves to a loopback address, which inside
	// a builder's own network namespace is the builder itself.
	Loopback bool
	// CAFile is the copy of the CA install keeps, for the remote snippet.
	CAFile string
	// DefaultTrusts: buildkitd.default.toml trusts the CA for Host, so a
	// builder created now gets it.
	DefaultTrusts bool
	// ClientTrusts: the shell's Go clients (buildx itself) trust the CA.
	// For every driver but docker, buildx fetches the registry's token on
	// the client side, with the system roots ($SSL_CERT_FILE).
	ClientTrusts bool
	// Bundle is the CA bundle install writes for SSL_CERT_FILE.
	Bundle string
}

// Verdict is what one builder can do with one registry, and the fix.
type Verdict struct {
	Builder  string
	Driver   string
	Endpoint string
	Host     string
	// OK: nothing is known to be wrong. Unknown: the builder's daemon is
	// not described by buildx's files (remote), see Snippet.
	OK, Unknown bool
	// Problems, one sentence each; Notes say what is fine.
	Problems, Notes []string
	// Fix is the command (or step) that makes the builder push.
	Fix string
	// Snippet is the buildkitd.toml lines a remote daemon needs.
	Snippet string
}

// Assess says whether builder b can push to reg over TLS and reach it.
func Assess(b Builder, reg Registry) Verdict {
	v := Verdict{Builder: b.Name, Driver: b.Driver, Host: reg.Host}
	if len(b.Nodes) > 0 {
		v.Endpoint = b.Nodes[0].Endpoint
	}
	switch {
	case b.Err != nil:
		v.Problems = append(v.Problems, b.Err.Error())
		v.Fix = "docker buildx inspect " + b.Name + " (buildx may not read it either)"
		return v
	case b.Driver == "docker":
		// dockerd pushes: its own trust (certs.d; loopback is not
		// verified) and its own network, which the other checks cover.
		v.OK = true
		v.Notes = append(v.Notes, "pushes through dockerd, which uses /etc/docker/certs.d")
		return v
	}
	// buildx asks the registry for a token itself for BuildKit (session
	// auth): the CA must be trusted on this side too.
	exportBundle := ""
	if len(reg.CA) > 0 && !reg.ClientTrusts {
		v.Problems = append(v.Problems, "buildx fetches the registry's token itself for this builder, and this shell does not trust the registry's CA: pushes fail with x509 errors at [auth]")
		exportBundle = "export SSL_CERT_FILE=" + shellQuote(reg.Bundle)
	}
	switch {
	case b.Driver == "remote":
		v.Unknown = exportBundle == ""
		v.Notes = append(v.Notes, "a BuildKit daemon you run at "+v.Endpoint+": its configuration is not in buildx's files")
		if len(reg.CA) > 0 {
			v.Snippet = Snippet(reg.Host, reg.CAFile)
			v.Fix = "add the lines below to that daemon's buildkitd.toml (copy " + reg.CAFile + " to its machine if it runs elsewhere) and restart it"
		}
		if reg.Loopback {
			v.Fix = joinSentences(v.Fix, "the daemon must run in the host's network namespace to reach "+reg.Host)
		}
		if exportBundle != "" {
			v.Fix = joinSentences(exportBundle+" (in your shell profile too)", v.Fix)
		}
		return v
	case len(b.Nodes) == 0:
		v.Problems = append(v.Problems, "has no node")
		v.Fix = "docker buildx rm " + b.Name
		return v
	}

	caOK, netOK := true, true
	for _, n := range b.Nodes {
		prefix := ""
		if len(b.Nodes) > 1 {
			prefix = "node " + n.Name + ": "
		}
		if len(reg.CA) > 0 {
			switch n.Trust(reg.Host, reg.CA) {
			case Trusted:
				v.Notes = append(v.Notes, prefix+"its BuildKit config trusts the registry's CA")
			case Insecure:
				v.Notes = append(v.Notes, prefix+"its BuildKit config does not verify TLS for "+reg.Host+" (insecure = true)")
			case TrustsOtherCA:
				caOK = false
				v.Problems = append(v.Problems, prefix+"its BuildKit config trusts another CA for "+reg.Host+" (the cluster was recreated since the builder was made): pushes fail with x509 errors")
			case Unreadable:
				caOK = false
				v.Problems = append(v.Problems, prefix+"its copied BuildKit config does not parse")
			default:
				caOK = false
				v.Problems = append(v.Problems, prefix+"its BuildKit config does not trust the registry's CA (buildx copies "+DefaultConfigName+" only when a builder is created): pushes fail with x509 errors")
			}
		}
		if b.Driver == "docker-container" && reg.Loopback {
			if n.DriverOpts["network"] == "host" {
				v.Notes = append(v.Notes, prefix+"on the host network (network=host)")
			} else {
				netOK = false
				v.Problems = append(v.Problems, prefix+reg.Host+" resolves to loopback, which inside the builder's container is the container itself: it needs --driver-opt network=host")
			}
		}
		if b.Driver == "kubernetes" && reg.Loopback {
			v.Notes = append(v.Notes, prefix+"runs in a cluster's pods: "+reg.Host+" must resolve to the registry there, not to loopback")
		}
	}
	v.OK = caOK && netOK && exportBundle == ""
	if caOK && netOK {
		if exportBundle != "" {
			v.Fix = exportBundle + " (in your shell profile too)"
		}
		return v
	}
	v.Fix = recreate(b, reg.Loopback && b.Driver == "docker-container")
	if exportBundle != "" {
		v.Fix = exportBundle + " && " + v.Fix
	}
	if !caOK && !reg.DefaultTrusts {
		v.Fix = "run '" + cli.Name + " install --trust-ca', then " + v.Fix
	}
	return v
}

// autoFlag is the buildkitd flag buildx adds by itself to container
// builders; repeating it in --buildkitd-flags would be noise.
const autoFlag = "--allow-insecure-entitlement=network.host"

// recreate is the command that makes builder b again, with the same
// driver options (network=host when hostNetwork), flags and selection, so
// it picks up the default BuildKit configuration.
func recreate(b Builder, hostNetwork bool) string {
	n := b.Nodes[0]
	opts := maps.Clone(n.DriverOpts)
	if opts == nil {
		opts = map[string]string{}
	}
	if hostNetwork {
		opts["network"] = "host"
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "docker buildx rm %s && docker buildx create --name %s --driver %s", shellQuote(b.Name), shellQuote(b.Name), shellQuote(b.Driver))
	for _, k := range slices.Sorted(maps.Keys(opts)) {
		sb.WriteString(" --driver-opt " + shellQuote(k+"="+opts[k]))
	}
	flags := slices.DeleteFunc(slices.Clone(n.Flags), func(f string) bool { return f == autoFlag })
	if len(flags) > 0 {
		sb.WriteString(" --buildkitd-flags " + shellQuote(strings.Join(flags, " ")))
	}
	if b.InUse {
		sb.WriteString(" --use")
	}
	if b.Driver == "docker-container" && n.Endpoint != "" && !strings.Contains(n.Endpoint, "://") {
		// A docker context name; a socket address is the current context.
		sb.WriteString(" " + shellQuote(n.Endpoint))
	}
	if len(b.Nodes) > 1 {
		sb.WriteString(fmt.Sprintf(" (then append its other %d nodes again with --append)", len(b.Nodes)-1))
	}
	return sb.String()
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_=./:,@+", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func joinSentences(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
