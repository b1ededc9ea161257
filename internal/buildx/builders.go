package buildx

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
)

// Builder is one builder buildx keeps in its instances folder (what
// `docker buildx create` made), as buildx writes it.
type Builder struct {
	Name   string
	Driver string
	Nodes  []Node
	// InUse: buildx's "current" file names it (`docker buildx use`).
	InUse bool `json:"-"`
	// Err says why the builder's file could not be read.
	Err error `json:"-"`
}

// Node is one BuildKit daemon of a builder.
type Node struct {
	Name       string
	Endpoint   string
	DriverOpts map[string]string
	// Flags are buildkitd's flags (buildx's --buildkitd-flags).
	Flags []string
	// Files are the BuildKit configuration buildx copied when it created
	// the node: buildkitd.toml, and each CA it names under certs/.
	Files map[string][]byte
}

// containerConfigDir is where buildx puts Files inside a builder; the ca
// paths in its buildkitd.toml start with it.
const containerConfigDir = "/etc/buildkit/"

// ReadBuilders reads the builders in buildx's folder dir, by name. A
// missing folder means no builders; a file that cannot be read gives a
// Builder with Err set, so the others are still reported.
func ReadBuilders(dir string) ([]Builder, error) {
	entries, err := os.ReadDir(filepath.Join(dir, "instances"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading buildx's builders: %w", err)
	}
	current := currentName(dir)
	var out []Builder
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		b := Builder{Name: e.Name()}
		data, err := os.ReadFile(filepath.Join(dir, "instances", e.Name()))
		if err == nil {
			err = json.Unmarshal(data, &b)
		}
		if err != nil {
			b.Err = fmt.Errorf("reading builder %s: %w", e.Name(), err)
		}
		b.InUse = b.Name == current
		out = append(out, b)
	}
	slices.SortFunc(out, func(a, b Builder) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// currentName is the builder `docker buildx use` last chose, if any.
func currentName(dir string) string {
	data, err := os.ReadFile(filepath.Join(dir, "current"))
	if err != nil {
		return ""
	}
	var c struct{ Name string }
	if json.Unmarshal(data, &c) != nil {
		return ""
	}
	return c.Name
}

// Trust is how a node's BuildKit configuration treats a registry's TLS.
type Trust int

const (
	// NotTrusted: no ca for the registry; BuildKit uses its system roots.
	NotTrusted Trust = iota
	// TrustsOtherCA: ca files that do not hold the cluster's CA (an older
	// cluster's, say).
	TrustsOtherCA
	// Trusted: a ca file holds the cluster's CA.
	Trusted
	// Insecure: TLS is not verified for the registry (insecure = true).
	Insecure
	// Unreadable: the copied configuration does not parse.
	Unreadable
)

// Trust says whether the configuration buildx copied into the node
// trusts clusterCA (PEM) for host.
func (n Node) Trust(host string, clusterCA []byte) Trust {
	data, ok := n.Files["buildkitd.toml"]
	if !ok {
		return NotTrusted
	}
	cfg, err := decode(data)
	if err != nil {
		return Unreadable
	}
	reg, _ := registries(cfg)[host].(map[string]any)
	if insecure, _ := reg["insecure"].(bool); insecure {
		return Insecure
	}
	cas, _ := reg["ca"].([]any)
	if len(cas) == 0 {
		return NotTrusted
	}
	want := idpbuilder.CertificateDERs(clusterCA)
	for _, ca := range cas {
		p, _ := ca.(string)
		for _, der := range idpbuilder.CertificateDERs(n.Files[strings.TrimPrefix(p, containerConfigDir)]) {
			if slices.ContainsFunc(want, func(w []byte) bool { return string(w) == string(der) }) {
				return Trusted
			}
		}
	}
	return TrustsOtherCA
}
