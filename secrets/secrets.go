// Package secrets talks to the cluster: it reads the Gitea admin credentials
// idpbuilder keeps in a Kubernetes secret, and the Localbuild objects, each
// with a single REST GET over client-go's authenticated transport (exec
// plugins, client certificates, tokens), so no generated clientset or API
// scheme is needed. Only the cluster-side program links it.
package secrets

import (
	"context"
	"crypto/tls"
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

	"github.com/cnoe-io/docker-credential-idpbuilder/cluster"
)

// Cluster is one kubeconfig context: resolved with package cluster, with no
// network call, and talked to through client-go's authenticated transport.
type Cluster struct {
	ref          cluster.Ref
	clientConfig clientcmd.ClientConfig
}

// Context is the kubeconfig context actually used.
func (c *Cluster) Context() string { return c.ref.Context }

// Server is the API server URL.
func (c *Cluster) Server() string { return c.ref.Server }

// Fingerprint changes whenever the API server URL or its CA changes, as they
// do when idpbuilder recreates the cluster.
func (c *Cluster) Fingerprint() string { return c.ref.Fingerprint }

// Resolve loads the kubeconfig (explicit path, else $KUBECONFIG, else
// ~/.kube/config) and picks the context: the named one, else
// kind-localdev when present, else the current context.
func Resolve(kubeconfig, contextName string) (*Cluster, error) {
	ref, err := cluster.Resolve(kubeconfig, contextName, os.Getenv)
	if err != nil {
		return nil, err
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = kubeconfig
	return &Cluster{
		ref:          ref,
		clientConfig: clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: ref.Context}),
	}, nil
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

// restConfig is the client configuration client-go loads for the context,
// and the fingerprint of what it will contact.
func (c *Cluster) restConfig() (*rest.Config, string, error) {
	cfg, err := c.clientConfig.ClientConfig()
	if err != nil {
		return nil, "", fmt.Errorf("kubeconfig context %q is not usable: %w", c.ref.Context, err)
	}
	fp, err := cluster.ConfigFingerprint(cfg.Host, cfg.Insecure, cfg.ServerName, cfg.CAData, cfg.CAFile)
	if err != nil {
		return nil, "", fmt.Errorf("kubeconfig context %q: %w", c.ref.Context, err)
	}
	return cfg, fp, nil
}

// get fetches one API path (its segments are escaped) and returns the body
// of a 200 answer, and the fingerprint of the configuration it used. what
// names the object for error messages.
func (c *Cluster) get(ctx context.Context, what string, segments ...string) ([]byte, string, error) {
	cfg, fp, err := c.restConfig()
	if err != nil {
		return nil, "", err
	}
	if cfg.ExecProvider != nil {
		// stdin carries the credential-helper protocol, never a prompt.
		cfg.ExecProvider.StdinUnavailable = true
		cfg.ExecProvider.StdinUnavailableMessage = "docker-credential-idpbuilder runs without a terminal"
	}
	client, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, "", fmt.Errorf("kubeconfig context %q is not usable: %w", c.ref.Context, err)
	}
	base, _, err := rest.DefaultServerUrlFor(cfg)
	if err != nil {
		return nil, "", fmt.Errorf("kubeconfig context %q has a bad server URL: %w", c.ref.Context, err)
	}
	escaped := make([]string, len(segments))
	for i, seg := range segments {
		escaped[i] = url.PathEscape(seg)
	}
	u := *base
	u.Path = path.Join(append([]string{"/", base.Path}, escaped...)...)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil && strings.Contains(err.Error(), "getting credentials: ") {
		// client-go flattens exec plugin errors into text: the plugin, not
		// the cluster, failed.
		_, why, _ := strings.Cut(err.Error(), "getting credentials: ")
		return nil, "", fmt.Errorf("the exec credential plugin of context %q failed (%s); check that 'kubectl --context %s get ns' works", c.ref.Context, why, c.ref.Context)
	}
	var unverified *tls.CertificateVerificationError
	if errors.As(err, &unverified) {
		// Not a cluster that is down: one whose certificate the kubeconfig's
		// CA does not sign, so a cached answer must not stand in for it.
		return nil, "", fmt.Errorf("the API server of context %q at %s has a certificate the kubeconfig's CA does not trust (%v): was the cluster recreated without updating the kubeconfig?", c.ref.Context, c.ref.Server, unverified.Err)
	}
	if err != nil {
		why := err.Error()
		if ctx.Err() != nil {
			why = "no answer before the deadline"
		}
		return nil, "", fmt.Errorf("%w: cannot reach the API server of context %q at %s to read %s (%s): is the idpbuilder cluster running?",
			cluster.ErrUnreachable, c.ref.Context, c.ref.Server, what, why)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes))
	if err != nil {
		return nil, "", fmt.Errorf("%w: reading %s from context %q: %v", cluster.ErrUnreachable, what, c.ref.Context, err)
	}
	switch code := resp.StatusCode; {
	case code == http.StatusOK:
		return body, fp, nil
	case code == http.StatusUnauthorized:
		return nil, "", &APIError{code, fmt.Sprintf("the API server of context %q rejected the kubeconfig's credentials (401 Unauthorized) reading %s: log in to the cluster again", c.ref.Context, what)}
	case code == http.StatusForbidden:
		return nil, "", &APIError{code, fmt.Sprintf("forbidden: the user of context %q may not read %s (403); see README.md for the RBAC rules the helper needs", c.ref.Context, what)}
	case code == http.StatusNotFound:
		return nil, "", &APIError{code, fmt.Sprintf("%s not found in context %q", what, c.ref.Context)}
	default:
		// The body is not quoted: it is the server's text, not ours to show.
		return nil, "", fmt.Errorf("%w: the API server of context %q answered %s reading %s", cluster.ErrUnreachable, c.ref.Context, resp.Status, what)
	}
}

// ReadSecret fetches namespace/name and returns its username and password
// keys. ctx bounds the whole read, exec credential plugins included.
func (c *Cluster) ReadSecret(ctx context.Context, namespace, name string) (cluster.Credentials, error) {
	what := "secret " + namespace + "/" + name
	body, fp, err := c.get(ctx, what, "api", "v1", "namespaces", namespace, "secrets", name)
	if IsNotFound(err) {
		return cluster.Credentials{}, fmt.Errorf("%w: is this an idpbuilder cluster with Gitea installed?", err)
	}
	if err != nil {
		return cluster.Credentials{}, err
	}
	var s secretObject
	if err := json.Unmarshal(body, &s); err != nil {
		return cluster.Credentials{}, fmt.Errorf("%s from context %q is not a valid Secret object", what, c.ref.Context)
	}
	creds := cluster.Credentials{Username: string(s.Data["username"]), Password: string(s.Data["password"]), Fingerprint: fp}
	var missing []string
	if creds.Username == "" {
		missing = append(missing, "username")
	}
	if creds.Password == "" {
		missing = append(missing, "password")
	}
	if len(missing) > 0 {
		return cluster.Credentials{}, fmt.Errorf("%s in context %q has no %s key: is it idpbuilder's Gitea credential?", what, c.ref.Context, strings.Join(missing, " or "))
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
	body, _, err := c.get(ctx, "Localbuild objects", "apis", "idpbuilder.cnoe.io", "v1alpha1", "localbuilds")
	if IsNotFound(err) {
		return nil, ErrNoLocalbuildResource
	}
	if err != nil {
		return nil, err
	}
	var list localbuildList
	if err := json.Unmarshal(body, &list); err != nil {
		return nil, fmt.Errorf("the Localbuild list from context %q is not valid JSON: %v", c.ref.Context, err)
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
