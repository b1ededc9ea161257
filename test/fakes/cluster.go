package fakes

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/clusterid"
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

	// Kubeconfig, when set, is the file the ID stamps; else the fake makes
	// one of its own in the temporary folder.
	Kubeconfig string
	// Inputs, when set, is the ID's (clusterid.Inputs).
	Inputs string
	// Loopback is the ID's loopback API server address, probed by the
	// helper when a stale answer could stand in.
	Loopback string

	mu   sync.Mutex
	file string
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

// ID is the cluster as the companion would describe it: its kubeconfig is
// a file of the fake's own, stamped as if long unchanged, and its inputs
// are the helper's with an empty environment and table entry (Inputs
// overrides them).
func (c *Cluster) ID() clusterid.ID {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.file == "" && c.Kubeconfig != "" {
		c.file = c.Kubeconfig
	}
	if c.file == "" {
		f, err := os.CreateTemp("", "fake-kubeconfig-*")
		if err != nil {
			panic(err)
		}
		f.WriteString(c.FP)
		f.Close()
		c.file = f.Name()
	}
	inputs := c.Inputs
	if inputs == "" {
		inputs = clusterid.Inputs("", "", func(string) string { return "" })
	}
	// Stamped "later" than now: the file is not within the racy window.
	return clusterid.ID{Context: c.Context(), Server: "https://127.0.0.1:6443", Fingerprint: c.FP, Inputs: inputs, Loopback: c.Loopback,
		Files: clusterid.StampFiles([]string{c.file}), At: time.Now().Add(time.Minute)}
}

// Recreate is idpbuilder recreating the cluster: a new fingerprint, and a
// kubeconfig rewritten.
func (c *Cluster) Recreate(fingerprint string) {
	c.ID() // the file exists
	c.mu.Lock()
	defer c.mu.Unlock()
	c.FP = fingerprint
	if err := os.WriteFile(c.file, []byte(fingerprint+"-recreated"), 0o600); err != nil {
		panic(err)
	}
}

// Source is the cluster as the helper's Source: every read resolves it.
type Source struct{ *Cluster }

func (s Source) ReadSecret(ctx context.Context, _, _ string, ref idpbuilder.SecretRef) (idpbuilder.Credentials, *clusterid.ID, error) {
	id := s.ID()
	creds, err := s.Cluster.ReadSecret(ctx, ref)
	return creds, &id, err
}

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
