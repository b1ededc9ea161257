package fakes

import (
	"context"
	"fmt"
	"sync"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
)

// Cluster is an idpbuilder cluster in memory: it answers the secret reads
// and Localbuild lists of the helper, install and status, counts them, and
// can fail. The real API server is tested in test/integration and test/e2e.
type Cluster struct {
	// ContextName is the kubeconfig context; empty means kind-localdev.
	ContextName string
	// FP is the cluster's fingerprint.
	FP string
	// Creds is what ReadSecret answers; its Fingerprint, when empty, is FP.
	Creds idpbuilder.Credentials
	// SecretErr, when set, is ReadSecret's error.
	SecretErr error
	// Builds and BuildsErr are what Localbuilds answers.
	Builds    []idpbuilder.Localbuild
	BuildsErr error
	// Providers and ProvidersErr are what GiteaProviders answers.
	Providers    []idpbuilder.GiteaProvider
	ProvidersErr error
	// OnRead, when set, runs inside ReadSecret before it answers: a test
	// can block a read there, or race another call against it.
	OnRead func(ctx context.Context)

	mu sync.Mutex
	// SecretsRead lists the namespace/name of every secret read.
	SecretsRead []string
	// Refs lists every secret read with its keys, defaults filled.
	Refs []idpbuilder.SecretRef
}

// NewCluster returns a cluster whose secret holds giteaAdmin and password.
func NewCluster(fingerprint, password string) *Cluster {
	return &Cluster{FP: fingerprint, Creds: idpbuilder.Credentials{Username: "giteaAdmin", Password: password}}
}

func (c *Cluster) Context() string {
	if c.ContextName == "" {
		return idpbuilder.DefaultContext
	}
	return c.ContextName
}

func (c *Cluster) Fingerprint() string { return c.FP }

func (c *Cluster) ReadSecret(ctx context.Context, ref idpbuilder.SecretRef) (idpbuilder.Credentials, error) {
	ref = ref.WithDefaults()
	c.mu.Lock()
	c.SecretsRead = append(c.SecretsRead, ref.Namespace+"/"+ref.Name)
	c.Refs = append(c.Refs, ref)
	c.mu.Unlock()
	if c.OnRead != nil {
		c.OnRead(ctx)
	}
	if c.SecretErr != nil {
		return idpbuilder.Credentials{}, c.SecretErr
	}
	creds := c.Creds
	if creds.Fingerprint == "" {
		creds.Fingerprint = c.FP
	}
	return creds, nil
}

// Reads is how many secrets were read.
func (c *Cluster) Reads() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.SecretsRead)
}

func (c *Cluster) Localbuilds(context.Context) ([]idpbuilder.Localbuild, error) {
	return c.Builds, c.BuildsErr
}

func (c *Cluster) GiteaProviders(context.Context) ([]idpbuilder.GiteaProvider, error) {
	return c.Providers, c.ProvidersErr
}

// String names the fake in test failures; it never shows the password.
func (c *Cluster) String() string {
	return fmt.Sprintf("fake cluster %s (%s)", c.Context(), c.FP)
}
