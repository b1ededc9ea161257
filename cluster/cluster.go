// Package cluster is what the helper knows of an idpbuilder cluster without
// talking to it: which kubeconfig context serves a registry, and a
// fingerprint of that context's API server and CA that changes when the
// cluster is recreated. It reads the kubeconfig the way kubectl does, but
// only the few fields it needs, so that `get` on a cache hit does not pay
// for client-go (package secrets talks to the cluster).
package cluster

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/yaml"
)

// DefaultContext is tried first when no context is named: idpbuilder's kind
// cluster is called localdev unless --name says otherwise.
const DefaultContext = "kind-localdev"

// ErrUnreachable marks failures where the API server could not be asked or
// did not answer properly (down, slow, 5xx). Only these allow a cached
// credential to be served instead.
var ErrUnreachable = errors.New("cluster unreachable")

// Credentials are the Gitea admin's user name and password, as read from
// the cluster.
type Credentials struct {
	Username string
	Password string
	// Fingerprint identifies the configuration the read actually used (see
	// Fingerprint); empty when the reader cannot tell.
	Fingerprint string
}

// Ref is one kubeconfig context, resolved without any network call.
type Ref struct {
	// Context is the context name actually used.
	Context string
	// Server is the API server URL.
	Server string
	// Fingerprint changes whenever the API server URL or its CA changes.
	Fingerprint string
	// Kubeconfig is the explicit kubeconfig path, empty for the loading
	// rules.
	Kubeconfig string
}

// kubeconfig is the part of a kubeconfig file the helper reads.
type kubeconfig struct {
	CurrentContext string `json:"current-context"`
	Clusters       []struct {
		Name    string `json:"name"`
		Cluster struct {
			Server                   string `json:"server"`
			CertificateAuthority     string `json:"certificate-authority"`
			CertificateAuthorityData []byte `json:"certificate-authority-data"`
			InsecureSkipTLSVerify    bool   `json:"insecure-skip-tls-verify"`
			TLSServerName            string `json:"tls-server-name"`
		} `json:"cluster"`
	} `json:"clusters"`
	Contexts []struct {
		Name    string `json:"name"`
		Context struct {
			Cluster string `json:"cluster"`
		} `json:"context"`
	} `json:"contexts"`
}

type clusterEntry struct {
	server, caFile, tlsServerName string
	caData                        []byte
	insecure                      bool
}

// merged is the kubeconfig files merged as client-go merges them: for each
// named cluster or context the first file that defines it wins, and so does
// the first file with a current-context.
type merged struct {
	currentContext string
	clusters       map[string]clusterEntry
	contexts       map[string]string // context -> cluster
	files          []string
}

// Files returns the kubeconfig files kubectl would read: the explicit path,
// else the $KUBECONFIG list, else ~/.kube/config.
func Files(explicit string, getenv func(string) string) []string {
	if explicit != "" {
		return []string{explicit}
	}
	if list := getenv("KUBECONFIG"); list != "" {
		var files []string
		seen := map[string]bool{}
		for _, f := range filepath.SplitList(list) {
			if f != "" && !seen[f] {
				seen[f] = true
				files = append(files, f)
			}
		}
		return files
	}
	home := getenv("HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	return []string{filepath.Join(home, ".kube", "config")}
}

func load(explicit string, getenv func(string) string) (*merged, error) {
	m := &merged{clusters: map[string]clusterEntry{}, contexts: map[string]string{}, files: Files(explicit, getenv)}
	for _, file := range m.files {
		data, err := os.ReadFile(file)
		if errors.Is(err, os.ErrNotExist) && explicit == "" {
			continue // a missing file in the list is skipped, as kubectl does
		}
		if err != nil {
			return nil, fmt.Errorf("cannot load kubeconfig: %w", err)
		}
		var kc kubeconfig
		if err := yaml.Unmarshal(data, &kc); err != nil {
			return nil, fmt.Errorf("cannot load kubeconfig: error loading config file %q: %v", file, err)
		}
		if m.currentContext == "" {
			m.currentContext = kc.CurrentContext
		}
		for _, c := range kc.Clusters {
			if _, ok := m.clusters[c.Name]; ok {
				continue
			}
			ca := c.Cluster.CertificateAuthority
			if ca != "" && !filepath.IsAbs(ca) {
				ca = filepath.Join(filepath.Dir(file), ca)
			}
			m.clusters[c.Name] = clusterEntry{
				server: c.Cluster.Server, caFile: ca, caData: c.Cluster.CertificateAuthorityData,
				insecure: c.Cluster.InsecureSkipTLSVerify, tlsServerName: c.Cluster.TLSServerName,
			}
		}
		for _, c := range kc.Contexts {
			if _, ok := m.contexts[c.Name]; !ok {
				m.contexts[c.Name] = c.Context.Cluster
			}
		}
	}
	return m, nil
}

// Resolve loads the kubeconfig and picks the context: the named one, else
// kind-localdev when present, else the current context.
func Resolve(explicit, contextName string, getenv func(string) string) (Ref, error) {
	m, err := load(explicit, getenv)
	if err != nil {
		return Ref{}, err
	}
	where := "kubeconfig " + strings.Join(m.files, string(os.PathListSeparator))
	name := contextName
	if name == "" {
		if _, ok := m.contexts[DefaultContext]; ok {
			name = DefaultContext
		} else {
			name = m.currentContext
		}
	}
	if name == "" {
		return Ref{}, fmt.Errorf("no context %q and no current context in %s: is the idpbuilder cluster created? (or pass --context)", DefaultContext, where)
	}
	clusterName, ok := m.contexts[name]
	if !ok {
		return Ref{}, fmt.Errorf("context %q not found in %s: is the idpbuilder cluster created? (or pass --context)", name, where)
	}
	c, ok := m.clusters[clusterName]
	if !ok || c.server == "" {
		return Ref{}, fmt.Errorf("context %q in %s names cluster %q, which has no server", name, where, clusterName)
	}
	ca := c.caData
	if len(ca) == 0 && c.caFile != "" {
		if ca, err = os.ReadFile(c.caFile); err != nil {
			return Ref{}, fmt.Errorf("context %q: reading the cluster CA: %w", name, err)
		}
	}
	return Ref{Context: name, Server: c.server, Fingerprint: Fingerprint(c.server, c.insecure, c.tlsServerName, ca), Kubeconfig: explicit}, nil
}

// Fingerprint identifies a cluster by what a client trusts it by: the API
// server URL, the CA, and the TLS settings that change what is verified. A
// recreated cluster has a new CA, so a new fingerprint.
func Fingerprint(server string, insecure bool, tlsServerName string, ca []byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "server=%s\x00insecure=%t\x00tls-server-name=%s\x00ca=", server, insecure, tlsServerName)
	h.Write(ca)
	return hex.EncodeToString(h.Sum(nil)[:16])
}
