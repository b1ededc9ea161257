// Package idpbuilder names what the other packages share about an
// idpbuilder cluster: its default names, the Gitea admin credentials read
// from it, and the one error that lets a cached answer stand in for it.
package idpbuilder

import "errors"

// Default names of an idpbuilder cluster (idpbuilder's Localbuild defaults).
const (
	DefaultHost      = "cnoe.localtest.me"
	DefaultPort      = "8443"
	DefaultRegistry  = "gitea." + DefaultHost + ":" + DefaultPort
	DefaultNamespace = "gitea"
	DefaultSecret    = "gitea-credential"
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

// ErrNoLocalbuildResource means the cluster does not serve
// localbuilds.idpbuilder.cnoe.io (an older idpbuilder, or not idpbuilder).
var ErrNoLocalbuildResource = errors.New("the cluster has no Localbuild resource (localbuilds.idpbuilder.cnoe.io)")
