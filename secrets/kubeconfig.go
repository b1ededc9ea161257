package secrets

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/cli"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/clusterid"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
)

// Cluster is one kubeconfig context as client-go loaded it, with the ID the
// helper keeps to tell, without reading the files, that it is unchanged.
type Cluster struct {
	ref    clusterid.ID
	files  []string // the kubeconfig files, for messages
	cfg    *rest.Config
	plugin string // the exec credential plugin's name, if any
}

// Context is the kubeconfig context actually used.
func (c *Cluster) Context() string { return c.ref.Context }

// Server is the API server URL (a password in it masked).
func (c *Cluster) Server() string { return c.ref.Server }

// Fingerprint changes whenever the API server URL, its CA or the TLS
// settings change, as they do when idpbuilder recreates the cluster.
func (c *Cluster) Fingerprint() string { return c.ref.Fingerprint }

// ID is what the helper keeps about the cluster (see internal/clusterid).
func (c *Cluster) ID() clusterid.ID { return c.ref }

// Resolve loads the kubeconfig with client-go's loading rules (explicit
// path, else $KUBECONFIG, else ~/.kube/config) and picks the context: the
// named one, else kind-localdev when present, else the current context.
// No network call. The files are stamped before they are read, so that a
// change while they are read shows as a change to the helper.
func Resolve(kubeconfigPath, contextName string) (*Cluster, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = kubeconfigPath
	files := rules.GetLoadingPrecedence()
	stamped := slices.Clone(files)
	for destination, source := range rules.MigrationRules {
		if slices.Contains(files, destination) {
			stamped = append(stamped, source) // copied over a missing destination
		}
	}
	at := time.Now()
	stamps := clusterid.StampFiles(stamped)
	c := &Cluster{files: files}
	raw, err := rules.Load()
	if err != nil {
		return nil, c.notUsable(err)
	}
	where := "kubeconfig " + strings.Join(files, string(os.PathListSeparator))
	name := contextName
	if _, ok := raw.Contexts[idpbuilder.DefaultContext]; name == "" && ok {
		name = idpbuilder.DefaultContext
	} else if name == "" {
		name = raw.CurrentContext
	}
	kctx := raw.Contexts[name]
	switch {
	case name == "":
		return nil, fmt.Errorf("no context %q and no current context in %s: is the idpbuilder cluster created? (or pass --context)", idpbuilder.DefaultContext, where)
	case kctx == nil:
		return nil, fmt.Errorf("context %q not found in %s: is the idpbuilder cluster created? (or pass --context)", name, where)
	}
	c.ref.Context = name
	// The files the context names, made absolute by Load.
	var named []string
	if cl := raw.Clusters[kctx.Cluster]; cl != nil {
		named = append(named, cl.CertificateAuthority)
		if cl.ProxyURL == "" {
			c.ref.Loopback = loopback(cl.Server)
		}
		c.ref.Server = redacted(cl.Server)
	}
	if u := raw.AuthInfos[kctx.AuthInfo]; u != nil {
		named = append(named, u.ClientCertificate, u.ClientKey, u.TokenFile)
	}
	for _, f := range named {
		if f != "" {
			stamps = append(stamps, clusterid.StampFiles([]string{f})...)
		}
	}
	cfg, err := clientcmd.NewDefaultClientConfig(*raw, &clientcmd.ConfigOverrides{CurrentContext: name}).ClientConfig()
	if err != nil {
		return nil, c.notUsable(err)
	}
	if cfg.ExecProvider != nil {
		// stdin carries the credential-helper protocol, never a prompt.
		cfg.ExecProvider.StdinUnavailable = true
		cfg.ExecProvider.StdinUnavailableMessage = cli.Name + " runs without a terminal"
		c.plugin = filepath.Base(cfg.ExecProvider.Command)
	}
	if c.ref.Fingerprint, err = configFingerprint(cfg); err != nil {
		return nil, fmt.Errorf("kubeconfig context %q: %w", name, err)
	}
	c.cfg = cfg
	c.ref.Inputs = clusterid.Inputs(kubeconfigPath, contextName, os.Getenv)
	c.ref.Files, c.ref.At = stamps, at
	return c, nil
}

// restConfig is a copy of the context's client configuration, for one
// client to change as it needs.
func (c *Cluster) restConfig() (*rest.Config, error) {
	if c.cfg == nil {
		return nil, fmt.Errorf("kubeconfig context %q is not resolved", c.ref.Context)
	}
	return rest.CopyConfig(c.cfg), nil
}

// configFingerprint identifies a cluster by what a client trusts it by: the
// API server URL, the CA, and the TLS settings that change what is
// verified. A recreated cluster has a new CA, so a new fingerprint. The
// formula is the one every release has cached under: a change would drop
// every user's `docker login`.
func configFingerprint(cfg *rest.Config) (string, error) {
	ca := cfg.CAData
	if len(ca) == 0 && cfg.CAFile != "" {
		var err error
		if ca, err = os.ReadFile(cfg.CAFile); err != nil {
			return "", fmt.Errorf("reading the cluster CA: %w", err)
		}
	}
	h := sha256.New()
	fmt.Fprintf(h, "server=%s\x00insecure=%t\x00tls-server-name=%s\x00ca=", cfg.Host, cfg.Insecure, cfg.ServerName)
	h.Write(ca)
	return hex.EncodeToString(h.Sum(nil)[:16]), nil
}

// loopback is host:port of a server URL whose host is a loopback address
// or localhost (Go never proxies those), else "".
func loopback(server string) string {
	u, err := url.Parse(server)
	if err != nil || u.Host == "" {
		return ""
	}
	h, port := u.Hostname(), u.Port()
	if ip, err := netip.ParseAddr(h); (err != nil || !ip.IsLoopback()) && h != "localhost" {
		return ""
	}
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	if port == "" {
		return ""
	}
	return net.JoinHostPort(h, port)
}

// redacted is server for messages: a password in the URL is masked.
func redacted(server string) string {
	if u, err := url.Parse(server); err == nil && u.User != nil {
		return u.Redacted()
	}
	return server
}

// notUsable words an error of client-go's about the kubeconfig without its
// text, which may quote the file: two users of one name print the whole user
// list, tokens, passwords and keys included.
func (c *Cluster) notUsable(err error) error {
	msg := err.Error()
	var named []string
	for _, f := range c.files {
		if strings.Contains(msg, `"`+f+`"`) || strings.Contains(msg, f+":") {
			named = append(named, f)
		}
	}
	if len(named) == 0 {
		named = c.files
	}
	what := "kubeconfig " + strings.Join(named, string(os.PathListSeparator))
	if c.ref.Context != "" {
		what = fmt.Sprintf("kubeconfig context %q (%s)", c.ref.Context, strings.Join(named, string(os.PathListSeparator)))
	}
	return fmt.Errorf("%s is not usable: %s (kubectl prints client-go's own message, which may quote the file)", what, describeConfigError(msg))
}

var (
	yamlLine  = regexp.MustCompile(`yaml: line (\d+)`)
	jsonField = regexp.MustCompile(`Go struct field [A-Za-z0-9_]*\.([A-Za-z0-9_.-]+) of type`)
)

// configErrors are client-go's kubeconfig complaints, by a fragment of its
// message, in fixed words: its own text may quote the file.
var configErrors = []struct{ fragment, words string }{
	{"duplicate name", "a cluster, user, context or extension name appears twice in one file"},
	{"couldn't get version/kind", "a file is not apiVersion v1, kind Config"},
	{"is registered for version", "a file is not apiVersion v1, kind Config"},
	{"illegal base64", "a *-data field is not valid base64"},
	{"no server found", "its cluster has no server"},
	{"both specified", "it sets both a file and its *-data field (certificate-authority, client-certificate or client-key): keep one"},
	{"unable to read", "a certificate or key file it names cannot be read"},
	{"proxy-url", "its cluster's proxy-url is not a valid URL"},
	{"more than one authentication method", "its user sets more than one of token, username/password and client certificate"},
	{"Auth Provider", "its user's auth-provider is not supported: use an exec plugin"},
	{"exec", "its user's exec plugin settings are incomplete or invalid"},
	{"tls:", "its client certificate or key cannot be used"},
	{"certificate", "its certificate authority, client certificate or key cannot be used"},
}

// describeConfigError says what client-go found wrong in a kubeconfig: only
// a line number or a field path is kept from its message.
func describeConfigError(msg string) string {
	if strings.Contains(msg, "yaml:") || strings.Contains(msg, "converting YAML to JSON") {
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			return "a file is not valid YAML (line " + m[1] + ")"
		}
		return "a file is not valid YAML"
	}
	if m := jsonField.FindStringSubmatch(msg); m != nil {
		return "field " + m[1] + " has a value of the wrong type"
	}
	for _, e := range configErrors {
		if strings.Contains(msg, e.fragment) {
			return e.words
		}
	}
	return "client-go cannot use it"
}
