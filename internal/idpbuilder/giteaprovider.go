package idpbuilder

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// The GiteaProvider resource of idpbuilder's controller-based architecture:
// namespaced, group idpbuilder.cnoe.io, version v1alpha2.
const (
	GiteaProviderGroup    = "idpbuilder.cnoe.io"
	GiteaProviderVersion  = "v1alpha2"
	GiteaProviderResource = "giteaproviders"
	GiteaProviderKind     = "GiteaProvider"
)

// ErrNoGiteaProviderResource means the cluster does not serve
// giteaproviders.idpbuilder.cnoe.io (an idpbuilder without the
// controller-based architecture): discovery goes on with the Localbuild.
var ErrNoGiteaProviderResource = errors.New("the cluster has no GiteaProvider resource (giteaproviders.idpbuilder.cnoe.io)")

// ErrForbidden marks an answer 403 of the API server: the kubeconfig's user
// may not read the object.
var ErrForbidden = errors.New("forbidden")

// KeyRef is one key of one secret, as a GiteaProvider's status names it.
type KeyRef struct {
	Namespace string
	Name      string
	Key       string
}

// Condition is one of a GiteaProvider's status conditions.
type Condition struct {
	Type   string
	Status string
	Reason string
}

// GiteaProvider is what the helper reads of a GiteaProvider object: its
// status, which the controller fills once Gitea is up.
type GiteaProvider struct {
	Namespace string
	Name      string
	// Endpoint is status.endpoint: Gitea's external base URL.
	Endpoint string
	// InternalEndpoint is status.internalEndpoint: Gitea's URL inside the
	// cluster, as the provider states it (not validated).
	InternalEndpoint string
	// AdminUsername is status.adminUser.username.
	AdminUsername string
	// AdminSecret is status.adminUser.secretRef: the admin password.
	AdminSecret *KeyRef
	// Credentials is status.credentialsSecretRef: the admin token.
	Credentials *KeyRef
	Phase       string
	Conditions  []Condition
}

// ID is namespace/name.
func (p GiteaProvider) ID() string { return p.Namespace + "/" + p.Name }

// Ready reports whether the controller says Gitea is ready: the Ready
// condition is True, or, when the status has no Ready condition, the phase
// is Ready.
func (p GiteaProvider) Ready() bool {
	for _, c := range p.Conditions {
		if c.Type == "Ready" {
			return c.Status == "True"
		}
	}
	return p.Phase == "Ready"
}

// Readiness says why a provider is not ready, for a warning: the Ready
// condition's status and reason, else the phase. It quotes no message: the
// controller's messages are free text.
func (p GiteaProvider) Readiness() string {
	for _, c := range p.Conditions {
		if c.Type == "Ready" {
			if c.Reason != "" {
				return fmt.Sprintf("Ready is %s (%s)", c.Status, c.Reason)
			}
			return "Ready is " + c.Status
		}
	}
	if p.Phase == "" {
		return "no Ready condition and no phase yet"
	}
	return "phase " + p.Phase
}

// FieldError is a status field of a GiteaProvider that cannot be used.
type FieldError struct {
	Provider string // namespace/name
	Field    string // the field's path, e.g. status.endpoint
	Value    string
	Want     string // what the value should be
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("the GiteaProvider %s: %s is %q, which is not %s", e.Provider, e.Field, e.Value, e.Want)
}

// Endpoint is a GiteaProvider's status.endpoint, taken apart: the registry
// is served at its host and port.
type Endpoint struct {
	// Scheme is http or https, lower-case.
	Scheme string
	// Host is the host name or IP literal, lower-case, without brackets.
	Host string
	// Port is the port as written, empty when the URL has none.
	Port string
}

// Registry is the address clients use for the registry: host:port, or the
// bare host on the scheme's default port (clients send it so).
func (e Endpoint) Registry() string {
	if e.Port == "" || (e.Scheme == "https" && e.Port == "443") || (e.Scheme == "http" && e.Port == "80") {
		if strings.Contains(e.Host, ":") {
			return "[" + e.Host + "]"
		}
		return e.Host
	}
	return net.JoinHostPort(e.Host, e.Port)
}

// endpointWant is what ParseEndpoint accepts, for messages.
const endpointWant = "an http or https URL with a host, an optional port and no path, query or user"

// ParseEndpoint takes a Gitea base URL apart. It accepts only what names a
// registry: http or https, a host, an optional port, no user, path (but
// "/"), query or fragment. Whoever may edit the provider's status chooses
// the value; the caller still checks the host and port themselves.
func ParseEndpoint(s string) (Endpoint, error) {
	bad := errors.New(endpointWant)
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" || u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(s, "#") {
		return Endpoint{}, bad
	}
	if u.Path != "" && u.Path != "/" {
		return Endpoint{}, bad
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return Endpoint{}, bad
	}
	host, port := u.Hostname(), u.Port()
	if host == "" || strings.HasSuffix(u.Host, ":") {
		return Endpoint{}, bad
	}
	return Endpoint{Scheme: scheme, Host: strings.ToLower(host), Port: port}, nil
}

// Parsed is what a ready GiteaProvider says about its registry.
type Parsed struct {
	Endpoint Endpoint
	// Secret is where the admin credentials are: the password key of
	// status.adminUser.secretRef, and status.adminUser.username (else the
	// secret's username key).
	Secret SecretRef
}

// Parse checks the status fields that name the registry and its
// credentials, as the user input they are, and returns them. Its error is a
// *FieldError naming the first bad field.
func (p GiteaProvider) Parse() (Parsed, error) {
	bad := func(field, value, want string) error {
		return &FieldError{Provider: p.ID(), Field: field, Value: value, Want: want}
	}
	ep, err := ParseEndpoint(p.Endpoint)
	if err != nil {
		return Parsed{}, bad("status.endpoint", p.Endpoint, endpointWant)
	}
	ref := p.AdminSecret
	if ref == nil {
		return Parsed{}, bad("status.adminUser.secretRef", "", "set (name, namespace and key of the admin secret)")
	}
	for _, f := range []struct {
		field, value string
		check        func(string) error
		want         string
	}{
		{"status.adminUser.secretRef.namespace", ref.Namespace, CheckNamespace, "a namespace name"},
		{"status.adminUser.secretRef.name", ref.Name, CheckObjectName, "a secret name"},
		{"status.adminUser.secretRef.key", ref.Key, CheckSecretKey, "a secret key (letters, digits, '-', '_', '.')"},
	} {
		if f.check(f.value) != nil {
			return Parsed{}, bad(f.field, f.value, f.want)
		}
	}
	if p.AdminUsername != "" && CheckUsername(p.AdminUsername) != nil {
		return Parsed{}, bad("status.adminUser.username", p.AdminUsername, "a user name (no colon, space or control character)")
	}
	return Parsed{Endpoint: ep, Secret: SecretRef{Namespace: ref.Namespace, Name: ref.Name, PasswordKey: ref.Key, Username: p.AdminUsername}}, nil
}
