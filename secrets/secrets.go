// Package secrets talks to the cluster with client-go: it resolves the
// kubeconfig context (kubeconfig.go), reads the Gitea admin credentials and
// the Localbuild objects with single REST GETs over client-go's
// authenticated transport (exec plugins, client certificates, tokens), and
// lists GiteaProviders and writes export's objects with its dynamic client.
// Only the companion program links it.
package secrets

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"

	"k8s.io/client-go/rest"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
)

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

var exitCode = regexp.MustCompile(`failed with exit code (-?\d+)`)

// describePluginError says how an exec credential plugin failed, from
// client-go's message, keeping only the exit status: what the plugin
// printed may be a token.
func describePluginError(msg string) string {
	has := func(s string) bool { return strings.Contains(msg, s) }
	switch {
	case exitCode.MatchString(msg):
		return "failed (exit status " + exitCode.FindStringSubmatch(msg)[1] + ")"
	case has("interactive mode"):
		return "needs a terminal (interactive mode), which docker-credential-idpbuilder does not have: set interactiveMode to Never or IfAvailable"
	case has("decoding stdout"):
		return "printed a malformed answer"
	case has("plugin returned version") || has("configured to use API version"):
		return "answered with another apiVersion than the kubeconfig names"
	case has("didn't return") || has("returned only certificate or key"):
		return "answered with no usable credentials"
	case has("failed parsing client"):
		return "answered with a client certificate or key that cannot be parsed"
	case has("policy") || has("allowlist"):
		return "is not allowed by the kubeconfig's plugin policy"
	case has("not found") || has("no such file"):
		return "was not found: is it installed and on PATH?"
	case has("permission denied"):
		return "cannot be run (permission denied)"
	}
	return "failed"
}

// networkReason says why the API server could not be asked, in fixed
// words: the transport's own text may quote what the server sent.
func networkReason(ctx context.Context, err error) string {
	var (
		dnsErr *net.DNSError
		tlsErr tls.RecordHeaderError
		netErr net.Error
	)
	switch {
	case ctx.Err() != nil:
		return "no answer before the deadline"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.As(err, &dnsErr):
		return "the host name does not resolve"
	case errors.As(err, &tlsErr):
		return "it does not answer TLS"
	case errors.As(err, &netErr) && netErr.Timeout():
		return "timed out"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the connection was closed"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "no route to it"
	}
	return "network error"
}

// roundTripperFunc is an http.RoundTripper made of a function.
type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// get fetches one API path (its segments are escaped) and returns the body
// of a 200 answer, and the fingerprint of the configuration it used. what
// names the object for error messages.
func (c *Cluster) get(ctx context.Context, what string, segments ...string) ([]byte, string, error) {
	cfg, err := c.restConfig()
	if err != nil {
		return nil, "", err
	}
	fp, plugin := c.ref.Fingerprint, c.plugin
	// client-go runs an exec plugin before the transport wrapped here, and
	// without the request's context: reached tells a plugin that hangs
	// from a server that does.
	var reached atomic.Bool
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return roundTripperFunc(func(r *http.Request) (*http.Response, error) {
			reached.Store(true)
			return rt.RoundTrip(r)
		})
	})
	client, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, "", c.notUsable(err)
	}
	base, _, err := rest.DefaultServerUrlFor(cfg)
	if err != nil {
		// Not quoted: the URL may hold a password.
		return nil, "", fmt.Errorf("kubeconfig context %q has a server URL that does not parse", c.ref.Context)
	}
	escaped := make([]string, len(segments))
	for i, seg := range segments {
		escaped[i] = url.PathEscape(seg)
	}
	u := *base
	u.Path = path.Join(append([]string{"/", base.Path}, escaped...)...)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, "", fmt.Errorf("kubeconfig context %q: cannot make the request for %s", c.ref.Context, what)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := do(ctx, client, req, func() bool { return plugin != "" && !reached.Load() })
	if errors.Is(err, errPluginTimedOut) {
		return nil, "", fmt.Errorf("%w: the exec credential plugin %q of context %q gave no credentials before the deadline (timed out); check that 'kubectl --context %s get ns' works",
			idpbuilder.ErrUnreachable, plugin, c.ref.Context, c.ref.Context)
	}
	if err != nil && strings.Contains(err.Error(), "getting credentials: ") {
		// client-go flattens exec plugin errors into text: the plugin, not
		// the cluster, failed.
		return nil, "", fmt.Errorf("the exec credential plugin %q of context %q %s; check that 'kubectl --context %s get ns' works",
			plugin, c.ref.Context, describePluginError(err.Error()), c.ref.Context)
	}
	var unverified *tls.CertificateVerificationError
	if errors.As(err, &unverified) {
		// Not a cluster that is down: one whose certificate the kubeconfig's
		// CA does not sign, so a cached answer must not stand in for it.
		return nil, "", fmt.Errorf("the API server of context %q at %s has a certificate the kubeconfig's CA does not trust (%v): was the cluster recreated without updating the kubeconfig?", c.ref.Context, c.ref.Server, unverified.Err)
	}
	if err != nil {
		return nil, "", fmt.Errorf("%w: cannot reach the API server of context %q at %s to read %s (%s): is the idpbuilder cluster running?",
			idpbuilder.ErrUnreachable, c.ref.Context, c.ref.Server, what, networkReason(ctx, err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes))
	if err != nil {
		return nil, "", fmt.Errorf("%w: reading %s from context %q: %s", idpbuilder.ErrUnreachable, what, c.ref.Context, networkReason(ctx, err))
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
		return nil, "", fmt.Errorf("%w: the API server of context %q answered %d %s reading %s", idpbuilder.ErrUnreachable, c.ref.Context, code, http.StatusText(code), what)
	}
}

// errPluginTimedOut is do's answer when the deadline passed while an exec
// plugin was still running.
var errPluginTimedOut = errors.New("exec plugin timed out")

// do sends req and returns when it is answered or ctx is done, whichever
// is first: client-go's exec plugin does not follow ctx. inPlugin reports
// whether the request is still waiting for the plugin.
func do(ctx context.Context, client *http.Client, req *http.Request, inPlugin func() bool) (*http.Response, error) {
	type answer struct {
		resp *http.Response
		err  error
	}
	answered := make(chan answer, 1)
	go func() {
		resp, err := client.Do(req)
		answered <- answer{resp, err}
	}()
	select {
	case a := <-answered:
		return a.resp, a.err
	case <-ctx.Done():
	}
	if inPlugin() {
		go func() {
			// The answer comes once the plugin ends; nobody waits for it.
			if a := <-answered; a.resp != nil {
				a.resp.Body.Close()
			}
		}()
		return nil, errPluginTimedOut
	}
	// Past the plugin, the request follows ctx: its error is immediate.
	a := <-answered
	return a.resp, a.err
}

// ReadSecret fetches the secret ref names and returns the user name (ref's
// fixed one, else its username key) and the password of its password key;
// empty keys mean idpbuilder's. ctx bounds the whole read, exec credential
// plugins included.
func (c *Cluster) ReadSecret(ctx context.Context, ref idpbuilder.SecretRef) (idpbuilder.Credentials, error) {
	ref = ref.WithDefaults()
	what := "secret " + ref.Namespace + "/" + ref.Name
	body, fp, err := c.get(ctx, what, "api", "v1", "namespaces", ref.Namespace, "secrets", ref.Name)
	if IsNotFound(err) {
		return idpbuilder.Credentials{}, fmt.Errorf("%w: is this an idpbuilder cluster with Gitea installed?", err)
	}
	if err != nil {
		return idpbuilder.Credentials{}, err
	}
	var s secretObject
	if err := json.Unmarshal(body, &s); err != nil {
		return idpbuilder.Credentials{}, fmt.Errorf("%s from context %q is not a valid Secret object", what, c.ref.Context)
	}
	creds := idpbuilder.Credentials{Username: ref.Username, Password: string(s.Data[ref.PasswordKey]), Fingerprint: fp}
	var missing []string
	if creds.Username == "" {
		creds.Username = string(s.Data[ref.UsernameKey])
		if creds.Username == "" {
			missing = append(missing, ref.UsernameKey)
		}
	}
	if creds.Password == "" {
		missing = append(missing, ref.PasswordKey)
	}
	if len(missing) > 0 {
		return idpbuilder.Credentials{}, fmt.Errorf("%s in context %q has no %s key: is it idpbuilder's Gitea credential?", what, c.ref.Context, strings.Join(missing, " or "))
	}
	return creds, nil
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

// Localbuilds lists the cluster's Localbuild objects.
func (c *Cluster) Localbuilds(ctx context.Context) ([]idpbuilder.Localbuild, error) {
	body, _, err := c.get(ctx, "Localbuild objects", "apis", "idpbuilder.cnoe.io", "v1alpha1", "localbuilds")
	if IsNotFound(err) {
		return nil, idpbuilder.ErrNoLocalbuildResource
	}
	if err != nil {
		return nil, err
	}
	var list localbuildList
	if err := json.Unmarshal(body, &list); err != nil {
		return nil, fmt.Errorf("the Localbuild list from context %q is not valid JSON: %v", c.ref.Context, err)
	}
	out := make([]idpbuilder.Localbuild, 0, len(list.Items))
	for _, it := range list.Items {
		bc := it.Spec.BuildCustomization
		out = append(out, idpbuilder.Localbuild{
			Name: it.Metadata.Name, Protocol: bc.Protocol, Host: bc.Host, IngressHost: bc.IngressHost, Port: bc.Port,
			UsePathRouting: bc.UsePathRouting, SelfSignedCert: bc.SelfSignedCert, ExternalURL: it.Status.Gitea.ExternalURL,
		})
	}
	return out, nil
}
