package secrets

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
)

// giteaProviders is the resource of idpbuilder's GiteaProvider objects.
var giteaProviders = schema.GroupVersionResource{
	Group: idpbuilder.GiteaProviderGroup, Version: idpbuilder.GiteaProviderVersion, Resource: idpbuilder.GiteaProviderResource,
}

// GiteaProviders lists the GiteaProvider objects of every namespace. A
// cluster that does not serve the resource gives
// idpbuilder.ErrNoGiteaProviderResource, a user who may not list them an
// error wrapping idpbuilder.ErrForbidden.
func (c *Cluster) GiteaProviders(ctx context.Context) ([]idpbuilder.GiteaProvider, error) {
	cfg, err := c.restConfig()
	if err != nil {
		return nil, err
	}
	client, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, c.notUsable(err)
	}
	return listGiteaProviders(ctx, client, lister{context: c.ref.Context, server: c.ref.Server, plugin: c.plugin})
}

// lister names the cluster a list is made from, for messages.
type lister struct {
	context, server string
	// plugin is the exec credential plugin's program name, if any.
	plugin string
}

// listGiteaProviders lists the GiteaProviders with client and reads their
// status. ctx bounds the list, an exec credential plugin included (which
// client-go runs without ctx).
func listGiteaProviders(ctx context.Context, client dynamic.Interface, l lister) ([]idpbuilder.GiteaProvider, error) {
	type answer struct {
		list *unstructured.UnstructuredList
		err  error
	}
	answered := make(chan answer, 1)
	go func() {
		list, err := client.Resource(giteaProviders).List(ctx, metav1.ListOptions{})
		answered <- answer{list, err}
	}()
	var a answer
	select {
	case a = <-answered:
	case <-ctx.Done():
		// The goroutine ends with the request or the plugin; nobody waits.
		return nil, fmt.Errorf("%w: cannot reach the API server of context %q at %s to list GiteaProvider objects (no answer before the deadline): is the idpbuilder cluster running?",
			idpbuilder.ErrUnreachable, l.context, l.server)
	}
	if a.err != nil {
		return nil, l.listError(ctx, a.err)
	}
	out := make([]idpbuilder.GiteaProvider, 0, len(a.list.Items))
	for _, it := range a.list.Items {
		out = append(out, giteaProviderOf(it.Object))
	}
	return out, nil
}

// listError words a failed list for the user, in fixed words: the server's
// and the transport's texts are not ours to show.
func (l lister) listError(ctx context.Context, err error) error {
	var status apierrors.APIStatus
	switch {
	case apierrors.IsNotFound(err) || meta.IsNoMatchError(err):
		return idpbuilder.ErrNoGiteaProviderResource
	case apierrors.IsForbidden(err):
		return fmt.Errorf("%w: the user of context %q may not list GiteaProvider objects (403); see README.md for the RBAC rules", idpbuilder.ErrForbidden, l.context)
	case apierrors.IsUnauthorized(err):
		return &APIError{http.StatusUnauthorized, fmt.Sprintf("the API server of context %q rejected the kubeconfig's credentials (401 Unauthorized) listing GiteaProvider objects: log in to the cluster again", l.context)}
	case errors.As(err, &status):
		code := int(status.Status().Code)
		return fmt.Errorf("%w: the API server of context %q answered %d %s listing GiteaProvider objects", idpbuilder.ErrUnreachable, l.context, code, http.StatusText(code))
	case l.plugin != "" && strings.Contains(err.Error(), "getting credentials: "):
		return fmt.Errorf("the exec credential plugin %q of context %q %s; check that 'kubectl --context %s get ns' works",
			l.plugin, l.context, describePluginError(err.Error()), l.context)
	}
	return fmt.Errorf("%w: cannot reach the API server of context %q at %s to list GiteaProvider objects (%s): is the idpbuilder cluster running?",
		idpbuilder.ErrUnreachable, l.context, l.server, networkReason(ctx, err))
}

// giteaProviderOf reads what the helper uses of one object. A field of the
// wrong type reads as absent, which the status checks then name.
func giteaProviderOf(obj map[string]any) idpbuilder.GiteaProvider {
	str := func(m map[string]any, fields ...string) string {
		v, _, _ := unstructured.NestedString(m, fields...)
		return v
	}
	keyRef := func(fields ...string) *idpbuilder.KeyRef {
		m, ok, _ := unstructured.NestedMap(obj, fields...)
		if !ok {
			return nil
		}
		return &idpbuilder.KeyRef{Namespace: str(m, "namespace"), Name: str(m, "name"), Key: str(m, "key")}
	}
	p := idpbuilder.GiteaProvider{
		Namespace:        str(obj, "metadata", "namespace"),
		Name:             str(obj, "metadata", "name"),
		Endpoint:         str(obj, "status", "endpoint"),
		InternalEndpoint: str(obj, "status", "internalEndpoint"),
		AdminUsername:    str(obj, "status", "adminUser", "username"),
		AdminSecret:      keyRef("status", "adminUser", "secretRef"),
		Credentials:      keyRef("status", "credentialsSecretRef"),
		Phase:            str(obj, "status", "phase"),
	}
	conditions, _, _ := unstructured.NestedSlice(obj, "status", "conditions")
	for _, c := range conditions {
		if m, ok := c.(map[string]any); ok {
			p.Conditions = append(p.Conditions, idpbuilder.Condition{Type: str(m, "type"), Status: str(m, "status"), Reason: str(m, "reason")})
		}
	}
	return p
}
