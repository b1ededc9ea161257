// Package secrets reads the Gitea admin credentials that idpbuilder keeps in a
// Kubernetes secret. It resolves kubeconfig contexts the way kubectl does and
// fetches the one secret with a single REST GET, so no generated clientset or
// API scheme is needed.
package secrets

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"strings"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// DefaultContext is tried first when no context is named: idpbuilder's kind
// cluster is called localdev unless --name says otherwise.
const DefaultContext = "kind-localdev"

// ErrUnreachable marks failures where the API server could not be asked or
// did not answer properly (down, slow, TLS trouble, 5xx). Only these allow a
// cached credential to be served instead.
var ErrUnreachable = errors.New("cluster unreachable")

// Credentials are the Gitea admin's user name and password.
type Credentials struct {
	Username string
	Password string
}

// Cluster is one kubeconfig context, resolved without any network call.
type Cluster struct {
	context      string
	server       string
	fingerprint  string
	clientConfig clientcmd.ClientConfig
}

// Context is the kubeconfig context actually used.
func (c *Cluster) Context() string { return c.context }

// Server is the API server URL.
func (c *Cluster) Server() string { return c.server }

// Fingerprint changes whenever the API server URL or its CA changes, as they
// do when idpbuilder recreates the cluster.
func (c *Cluster) Fingerprint() string { return c.fingerprint }

// Resolve loads the kubeconfig (explicit path, else $KUBECONFIG, else
// ~/.kube/config) and picks the context: the named one, else
// kind-localdev when present, else the current context.
func Resolve(kubeconfig, contextName string) (*Cluster, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = kubeconfig
	raw, err := rules.Load()
	if err != nil {
		return nil, fmt.Errorf("cannot load kubeconfig: %w", err)
	}
	where := describeKubeconfig(rules)
	name := contextName
	if name == "" {
		if _, ok := raw.Contexts[DefaultContext]; ok {
			name = DefaultContext
		} else {
			name = raw.CurrentContext
		}
	}
	if name == "" {
		return nil, fmt.Errorf("no context %q and no current context in %s: is the idpbuilder cluster created? (or pass --context)", DefaultContext, where)
	}
	kctx, ok := raw.Contexts[name]
	if !ok {
		return nil, fmt.Errorf("context %q not found in %s: is the idpbuilder cluster created? (or pass --context)", name, where)
	}
	cluster, ok := raw.Clusters[kctx.Cluster]
	if !ok || cluster.Server == "" {
		return nil, fmt.Errorf("context %q in %s names cluster %q, which has no server", name, where, kctx.Cluster)
	}
	fp, err := fingerprint(cluster)
	if err != nil {
		return nil, fmt.Errorf("context %q: %w", name, err)
	}
	return &Cluster{
		context:      name,
		server:       cluster.Server,
		fingerprint:  fp,
		clientConfig: clientcmd.NewNonInteractiveClientConfig(*raw, name, &clientcmd.ConfigOverrides{}, rules),
	}, nil
}

func describeKubeconfig(rules *clientcmd.ClientConfigLoadingRules) string {
	if rules.ExplicitPath != "" {
		return "kubeconfig " + rules.ExplicitPath
	}
	return "kubeconfig " + strings.Join(rules.Precedence, string(os.PathListSeparator))
}

func fingerprint(c *clientcmdapi.Cluster) (string, error) {
	ca := c.CertificateAuthorityData
	if len(ca) == 0 && c.CertificateAuthority != "" {
		var err error
		if ca, err = os.ReadFile(c.CertificateAuthority); err != nil {
			return "", fmt.Errorf("reading the cluster CA: %w", err)
		}
	}
	h := sha256.New()
	fmt.Fprintf(h, "server=%s\x00insecure=%t\x00tls-server-name=%s\x00ca=", c.Server, c.InsecureSkipTLSVerify, c.TLSServerName)
	h.Write(ca)
	return hex.EncodeToString(h.Sum(nil)[:16]), nil
}

// secretObject is the part of a core/v1 Secret we read; encoding/json decodes
// the base64 data values into bytes.
type secretObject struct {
	Data map[string][]byte `json:"data"`
}

// maxBodyBytes bounds what we read from the API server.
const maxBodyBytes = 4 << 20

// APIError is an answer of the API server other than 200.
type APIError struct {
	Code int
	msg  string
}

func (e *APIError) Error() string { return e.msg }

// IsNotFound reports whether err is the API server's 404.
func IsNotFound(err error) bool {
	var apiErr *APIError
	return errors.As(err, &apiErr) && apiErr.Code == http.StatusNotFound
}

// get fetches one API path (its segments are escaped) and returns the body
// of a 200 answer. what names the object for error messages.
func (c *Cluster) get(ctx context.Context, what string, segments ...string) ([]byte, error) {
	cfg, err := c.clientConfig.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig context %q is not usable: %w", c.context, err)
	}
	if cfg.ExecProvider != nil {
		// stdin carries the credential-helper protocol, never a prompt.
		cfg.ExecProvider.StdinUnavailable = true
		cfg.ExecProvider.StdinUnavailableMessage = "docker-credential-idpbuilder runs without a terminal"
	}
	client, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig context %q is not usable: %w", c.context, err)
	}
	base, _, err := rest.DefaultServerUrlFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig context %q has a bad server URL: %w", c.context, err)
	}
	escaped := make([]string, len(segments))
	for i, seg := range segments {
		escaped[i] = url.PathEscape(seg)
	}
	u := *base
	u.Path = path.Join(append([]string{"/", base.Path}, escaped...)...)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil && strings.Contains(err.Error(), "getting credentials: ") {
		// client-go flattens exec plugin errors into text: the plugin, not
		// the cluster, failed.
		_, why, _ := strings.Cut(err.Error(), "getting credentials: ")
		return nil, fmt.Errorf("the exec credential plugin of context %q failed (%s); check that 'kubectl --context %s get ns' works", c.context, why, c.context)
	}
	var unverified *tls.CertificateVerificationError
	if errors.As(err, &unverified) {
		// Not a cluster that is down: one whose certificate the kubeconfig's
		// CA does not sign, so a cached answer must not stand in for it.
		return nil, fmt.Errorf("the API server of context %q at %s has a certificate the kubeconfig's CA does not trust (%v): was the cluster recreated without updating the kubeconfig?", c.context, c.server, unverified.Err)
	}
	if err != nil {
		why := err.Error()
		if ctx.Err() != nil {
			why = "no answer before the deadline"
		}
		return nil, fmt.Errorf("%w: cannot reach the API server of context %q at %s to read %s (%s): is the idpbuilder cluster running?",
			ErrUnreachable, c.context, c.server, what, why)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes))
	if err != nil {
		return nil, fmt.Errorf("%w: reading %s from context %q: %v", ErrUnreachable, what, c.context, err)
	}
	switch code := resp.StatusCode; {
	case code == http.StatusOK:
		return body, nil
	case code == http.StatusUnauthorized:
		return nil, &APIError{code, fmt.Sprintf("the API server of context %q rejected the kubeconfig's credentials (401 Unauthorized) reading %s: log in to the cluster again", c.context, what)}
	case code == http.StatusForbidden:
		return nil, &APIError{code, fmt.Sprintf("forbidden: the user of context %q may not read %s (403); see README.md for the RBAC rules the helper needs", c.context, what)}
	case code == http.StatusNotFound:
		return nil, &APIError{code, fmt.Sprintf("%s not found in context %q", what, c.context)}
	default:
		// The body is not quoted: it is the server's text, not ours to show.
		return nil, fmt.Errorf("%w: the API server of context %q answered %s reading %s", ErrUnreachable, c.context, resp.Status, what)
	}
}

// ReadSecret fetches namespace/name and returns its username and password
// keys. ctx bounds the whole read, exec credential plugins included.
func (c *Cluster) ReadSecret(ctx context.Context, namespace, name string) (Credentials, error) {
	what := "secret " + namespace + "/" + name
	body, err := c.get(ctx, what, "api", "v1", "namespaces", namespace, "secrets", name)
	if IsNotFound(err) {
		return Credentials{}, fmt.Errorf("%w: is this an idpbuilder cluster with Gitea installed?", err)
	}
	if err != nil {
		return Credentials{}, err
	}
	var s secretObject
	if err := json.Unmarshal(body, &s); err != nil {
		return Credentials{}, fmt.Errorf("%s from context %q is not a valid Secret object", what, c.context)
	}
	creds := Credentials{Username: string(s.Data["username"]), Password: string(s.Data["password"])}
	var missing []string
	if creds.Username == "" {
		missing = append(missing, "username")
	}
	if creds.Password == "" {
		missing = append(missing, "password")
	}
	if len(missing) > 0 {
		return Credentials{}, fmt.Errorf("%s in context %q has no %s key: is it idpbuilder's Gitea credential?", what, c.context, strings.Join(missing, " or "))
	}
	return creds, nil
}

// Localbuild is what the helper reads of idpbuilder's Localbuild resource.
type Localbuild struct {
	Name           string
	Protocol       string
	Host           string
	IngressHost    string
	Port           string
	UsePathRouting bool
	// SelfSignedCert is the PEM of the CA idpbuilder made for its ingress.
	SelfSignedCert string
	ExternalURL    string
}

type localbuildList struct {
	Items []struct {
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
		Spec struct {
			BuildCustomization struct {
				Protocol       string `json:"protocol"`
				Host           string `json:"host"`
				IngressHost    string `json:"ingressHost"`
				Port           string `json:"port"`
				UsePathRouting bool   `json:"usePathRouting"`
				SelfSignedCert string `json:"selfSignedCert"`
			} `json:"buildCustomization"`
		} `json:"spec"`
		Status struct {
			Gitea struct {
				ExternalURL string `json:"externalURL"`
			} `json:"gitea"`
		} `json:"status"`
	} `json:"items"`
}

// ErrNoLocalbuildResource means the cluster does not serve
// localbuilds.idpbuilder.cnoe.io (an older idpbuilder, or not idpbuilder).
var ErrNoLocalbuildResource = errors.New("the cluster has no Localbuild resource (localbuilds.idpbuilder.cnoe.io)")

// Localbuilds lists the cluster's Localbuild objects.
func (c *Cluster) Localbuilds(ctx context.Context) ([]Localbuild, error) {
	body, err := c.get(ctx, "Localbuild objects", "apis", "idpbuilder.cnoe.io", "v1alpha1", "localbuilds")
	if IsNotFound(err) {
		return nil, ErrNoLocalbuildResource
	}
	if err != nil {
		return nil, err
	}
	var list localbuildList
	if err := json.Unmarshal(body, &list); err != nil {
		return nil, fmt.Errorf("the Localbuild list from context %q is not valid JSON: %v", c.context, err)
	}
	out := make([]Localbuild, 0, len(list.Items))
	for _, it := range list.Items {
		bc := it.Spec.BuildCustomization
		out = append(out, Localbuild{
			Name: it.Metadata.Name, Protocol: bc.Protocol, Host: bc.Host, IngressHost: bc.IngressHost, Port: bc.Port,
			UsePathRouting: bc.UsePathRouting, SelfSignedCert: bc.SelfSignedCert, ExternalURL: it.Status.Gitea.ExternalURL,
		})
	}
	return out, nil
}
