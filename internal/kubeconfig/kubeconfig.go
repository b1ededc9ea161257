// Package kubeconfig reads a kubeconfig the way kubectl does, without
// client-go: which context serves a registry, and a fingerprint of that
// context's API server and CA that changes when the cluster is recreated.
// The protocol helper uses it so that a cache hit never pays for client-go.
package kubeconfig

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
)

// Ref is one kubeconfig context, resolved without any network call.
type Ref struct {
	// Context is the context name actually used.
	Context string
	// Server is the API server URL, for messages: a password in it is
	// masked.
	Server string
	// Fingerprint changes whenever the API server URL or its CA changes.
	Fingerprint string
	// Kubeconfig is the explicit kubeconfig path, empty for the loading
	// rules.
	Kubeconfig string
	// Loopback is the API server's host:port when that is a loopback
	// address reached directly (no proxy-url; Go never proxies loopback),
	// as kind's is: a refused connection there means the cluster is
	// stopped. Empty otherwise.
	Loopback string
}

// kubeconfig is the part of a kubeconfig file the helper reads, under
// client-go's v1 field names. It is decoded as client-go decodes it (see
// decode), so that both read the same cluster for a context. The fields the
// helper does not use are decoded for their types, so that a file client-go
// refuses for a field of the wrong type is refused here too.
type kubeconfig struct {
	Preferences struct {
		Colors     bool        `json:"colors"`
		Extensions []extension `json:"extensions"`
	} `json:"preferences"`
	Clusters []struct {
		Name    string `json:"name"`
		Cluster struct {
			Server                   string      `json:"server"`
			TLSServerName            string      `json:"tls-server-name"`
			InsecureSkipTLSVerify    bool        `json:"insecure-skip-tls-verify"`
			CertificateAuthority     string      `json:"certificate-authority"`
			CertificateAuthorityData []byte      `json:"certificate-authority-data"`
			ProxyURL                 string      `json:"proxy-url"`
			DisableCompression       bool        `json:"disable-compression"`
			Extensions               []extension `json:"extensions"`
		} `json:"cluster"`
	} `json:"clusters"`
	Users []struct {
		Name string `json:"name"`
		User struct {
			Extensions []extension `json:"extensions"`
		} `json:"user"`
	} `json:"users"`
	Contexts []struct {
		Name    string `json:"name"`
		Context struct {
			Cluster    string      `json:"cluster"`
			User       string      `json:"user"`
			Namespace  string      `json:"namespace"`
			Extensions []extension `json:"extensions"`
		} `json:"context"`
	} `json:"contexts"`
	CurrentContext string      `json:"current-context"`
	Extensions     []extension `json:"extensions"`
}

// extension is a named extension; client-go refuses a file with two of one
// name in one list, unless the first is empty.
type extension struct {
	Name      string          `json:"name"`
	Extension json.RawMessage `json:"extension"`
}

func (e extension) empty() bool {
	return len(e.Extension) == 0 || string(e.Extension) == "null"
}

// typeMeta is read as client-go's decoder reads it: with encoding/json, so
// case-insensitively.
type typeMeta struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
}

type clusterEntry struct {
	server, caFile, tlsServerName string
	caData                        []byte
	insecure                      bool
	proxied                       bool   // proxy-url is set
	file                          string // where it is defined
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

// decode reads one kubeconfig file's content through the same steps as
// client-go (clientcmd.Load): YAML to JSON with sigs.k8s.io/yaml, apiVersion
// and kind with encoding/json, then the body with the case-sensitive decoder
// of sigs.k8s.io/json, and the same refusal of a name defined twice in one
// list. Its errors say what is wrong and where, never a value from the file:
// the file holds tokens and keys.
func decode(data []byte) (*kubeconfig, error) {
	var kc kubeconfig
	if len(data) == 0 {
		return &kc, nil
	}
	j, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, errors.New(describeYAMLError(err))
	}
	var meta typeMeta
	if err := json.Unmarshal(j, &meta); err != nil {
		return nil, errors.New("it is not a kubeconfig: its top level is not a mapping")
	}
	if !configKind(meta) {
		return nil, errors.New("it is not apiVersion v1, kind Config")
	}
	if err := kjson.UnmarshalCaseSensitivePreserveInts(j, &kc); err != nil {
		return nil, errors.New(describeJSONError(err))
	}
	if err := kc.duplicates(); err != nil {
		return nil, err
	}
	return &kc, nil
}

// configKind reports whether client-go's decoder takes meta for a v1
// Config: empty fields default to it; "/v1" is "v1" with the empty group.
func configKind(meta typeMeta) bool {
	if meta.Kind != "" && meta.Kind != "Config" {
		return false
	}
	switch gv := meta.APIVersion; {
	case gv == "" || gv == "/":
		return true
	case strings.Count(gv, "/") == 0:
		return gv == "v1"
	default:
		return gv == "/v1"
	}
}

// duplicates finds a name defined twice in one list, in the order client-go
// converts the lists.
func (kc *kubeconfig) duplicates() error {
	if err := dupExtensions(kc.Preferences.Extensions, "preferences"); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, c := range kc.Clusters {
		if err := dupExtensions(c.Cluster.Extensions, fmt.Sprintf("cluster %q", c.Name)); err != nil {
			return err
		}
		if seen[c.Name] {
			return fmt.Errorf("cluster name %q appears twice%s", c.Name, caseHint(c.Name))
		}
		seen[c.Name] = true
	}
	seen = map[string]bool{}
	for _, u := range kc.Users {
		if err := dupExtensions(u.User.Extensions, fmt.Sprintf("user %q", u.Name)); err != nil {
			return err
		}
		if seen[u.Name] {
			return fmt.Errorf("user name %q appears twice%s", u.Name, caseHint(u.Name))
		}
		seen[u.Name] = true
	}
	seen = map[string]bool{}
	for _, c := range kc.Contexts {
		if err := dupExtensions(c.Context.Extensions, fmt.Sprintf("context %q", c.Name)); err != nil {
			return err
		}
		if seen[c.Name] {
			return fmt.Errorf("context name %q appears twice%s", c.Name, caseHint(c.Name))
		}
		seen[c.Name] = true
	}
	return dupExtensions(kc.Extensions, "the top level")
}

// caseHint explains an empty name: keys are case-sensitive, so an entry
// written with "Name:" has none.
func caseHint(name string) string {
	if name == "" {
		return " (keys are case-sensitive: an entry written with Name: has no name)"
	}
	return ""
}

func dupExtensions(list []extension, where string) error {
	set := map[string]bool{}
	for _, e := range list {
		if set[e.Name] {
			return fmt.Errorf("extension name %q appears twice in %s", e.Name, where)
		}
		// client-go lets an empty extension be named again.
		set[e.Name] = !e.empty()
	}
	return nil
}

var lineNumber = regexp.MustCompile(`line (\d+)`)

// describeYAMLError keeps the line number of a YAML error and drops the
// rest, which may quote the file.
func describeYAMLError(err error) string {
	if m := lineNumber.FindStringSubmatch(err.Error()); m != nil {
		return "it is not valid YAML (line " + m[1] + ")"
	}
	return "it is not valid YAML"
}

var jsonField = regexp.MustCompile(`Go struct field [A-Za-z0-9_]*\.([A-Za-z0-9_.-]+) of type`)

// describeJSONError names the field whose value has the wrong type, from the
// decoder's message, which names it by path; never the value.
func describeJSONError(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "illegal base64"):
		return "a *-data field is not valid base64"
	case jsonField.MatchString(msg):
		return "field " + jsonField.FindStringSubmatch(msg)[1] + " has a value of the wrong type"
	}
	return "a field has a value of the wrong type"
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
		kc, err := decode(data)
		if err != nil {
			// client-go refuses the whole configuration for one bad file.
			return nil, fmt.Errorf("cannot load kubeconfig %s: %w; fix the file or point KUBECONFIG (or --kubeconfig) elsewhere", file, err)
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
				// Relative to the file that names it, as client-go resolves it.
				ca = filepath.Join(filepath.Dir(file), ca)
			}
			m.clusters[c.Name] = clusterEntry{
				server: c.Cluster.Server, caFile: ca, caData: c.Cluster.CertificateAuthorityData,
				insecure: c.Cluster.InsecureSkipTLSVerify, tlsServerName: c.Cluster.TLSServerName, file: file,
				proxied: c.Cluster.ProxyURL != "",
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
		if _, ok := m.contexts[idpbuilder.DefaultContext]; ok {
			name = idpbuilder.DefaultContext
		} else {
			name = m.currentContext
		}
	}
	if name == "" {
		return Ref{}, fmt.Errorf("no context %q and no current context in %s: is the idpbuilder cluster created? (or pass --context)", idpbuilder.DefaultContext, where)
	}
	clusterName, ok := m.contexts[name]
	if !ok {
		return Ref{}, fmt.Errorf("context %q not found in %s: is the idpbuilder cluster created? (or pass --context)", name, where)
	}
	c, ok := m.clusters[clusterName]
	if !ok || c.server == "" {
		return Ref{}, fmt.Errorf("context %q in %s names cluster %q, which has no server", name, where, clusterName)
	}
	if c.caFile != "" && len(c.caData) > 0 {
		// client-go refuses this cluster as not usable.
		return Ref{}, fmt.Errorf("cluster %q in kubeconfig %s sets both certificate-authority and certificate-authority-data: keep one", clusterName, c.file)
	}
	ca := c.caData
	if c.caFile != "" {
		if ca, err = os.ReadFile(c.caFile); err != nil {
			return Ref{}, fmt.Errorf("context %q: reading the cluster CA: %w", name, err)
		}
	}
	host := restHost(c.server)
	fp := Fingerprint(host, false, "", nil)
	if usesTLS(host) {
		fp = Fingerprint(host, c.insecure, c.tlsServerName, ca)
	}
	ref := Ref{Context: name, Server: redacted(c.server), Fingerprint: fp, Kubeconfig: explicit}
	if !c.proxied {
		ref.Loopback = loopback(host)
	}
	return ref, nil
}

// loopback is host:port of a server URL whose host is a loopback address
// or localhost, else "".
func loopback(server string) string {
	u, err := url.Parse(server)
	if err != nil || u.Host == "" {
		return ""
	}
	h := u.Hostname()
	if ip, err := netip.ParseAddr(h); (err != nil || !ip.IsLoopback()) && h != "localhost" {
		return ""
	}
	port := u.Port()
	switch {
	case port != "":
	case u.Scheme == "http":
		port = "80"
	case u.Scheme == "https":
		port = "443"
	default:
		return ""
	}
	return net.JoinHostPort(h, port)
}

// restHost is the host client-go's configuration holds for a server URL:
// clientcmd drops the query and fragment of a URL with a path.
func restHost(server string) string {
	if u, err := url.ParseRequestURI(server); err == nil && u.Opaque == "" && len(u.Path) > 1 {
		u.RawQuery, u.Fragment = "", ""
		return u.String()
	}
	return server
}

// usesTLS reports whether client-go talks TLS to host: only for an https
// URL; a bare host:port is plain http, and then the kubeconfig's CA and TLS
// settings are not used at all.
func usesTLS(host string) bool {
	u, err := url.Parse(host)
	return err == nil && u.Scheme == "https" && u.Host != ""
}

// redacted is server for messages: a password in the URL is masked.
func redacted(server string) string {
	if u, err := url.Parse(server); err == nil && u.User != nil {
		return u.Redacted()
	}
	return server
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

// ConfigFingerprint is the fingerprint of a client configuration as
// client-go holds it once loaded (rest.Config's Host, Insecure, ServerName,
// CAData, else the content of CAFile): the companion keys the cache by what
// it actually contacted. For every kubeconfig client-go and Resolve read
// alike, it equals Resolve's fingerprint.
func ConfigFingerprint(host string, insecure bool, serverName string, caData []byte, caFile string) (string, error) {
	ca := caData
	if len(ca) == 0 && caFile != "" {
		var err error
		if ca, err = os.ReadFile(caFile); err != nil {
			return "", fmt.Errorf("reading the cluster CA: %w", err)
		}
	}
	return Fingerprint(host, insecure, serverName, ca), nil
}
