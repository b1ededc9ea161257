package secrets

import (
	"context"
	"fmt"
	"strings"

	"k8s.io/client-go/dynamic"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
)

// Dynamic is client-go's dynamic client for the context, for the command
// that writes to the cluster (export): the same configuration and exec
// plugin rules (no stdin) as the reads. Its own errors hold no text of the
// kubeconfig's. Not the typed clientset: its scheme registers every
// built-in API group at start-up, which the companion would pay on every
// cache miss (depcheck_test.go in the companion keeps it out).
func (c *Cluster) Dynamic() (dynamic.Interface, error) {
	cfg, err := c.restConfig()
	if err != nil {
		return nil, err
	}
	// Every call is bounded by a context; client-go's default rate limit
	// would only slow down a loop over many namespaces.
	cfg.QPS, cfg.Burst = 50, 100
	client, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, c.notUsable(err)
	}
	return client, nil
}

// Unreachable words an error of the client that is not an answer of
// the API server (the network, an exec plugin that failed or hung) in fixed
// words, as the reads do: the transport's own text may quote what the
// server or the plugin printed. what says what the call was for ("write
// secret ns/name"). A network failure wraps idpbuilder.ErrUnreachable.
func (c *Cluster) Unreachable(ctx context.Context, err error, what string) error {
	plugin := c.plugin
	if plugin != "" && ctx.Err() != nil && !strings.Contains(err.Error(), "dial tcp") {
		// client-go runs the plugin without the context: past the
		// deadline, the plugin is what held the call.
		return fmt.Errorf("%w: the exec credential plugin %q of context %q gave no credentials before the deadline (timed out); check that 'kubectl --context %s get ns' works",
			idpbuilder.ErrUnreachable, plugin, c.ref.Context, c.ref.Context)
	}
	if msg := err.Error(); plugin != "" && strings.Contains(msg, "getting credentials: ") {
		return fmt.Errorf("the exec credential plugin %q of context %q %s; check that 'kubectl --context %s get ns' works",
			plugin, c.ref.Context, describePluginError(msg), c.ref.Context)
	}
	return fmt.Errorf("%w: cannot reach the API server of context %q at %s to %s (%s): is the idpbuilder cluster running?",
		idpbuilder.ErrUnreachable, c.ref.Context, c.ref.Server, what, networkReason(ctx, err))
}
