package secrets

import (
	"context"
	"errors"
	"net"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
)

// providerObject is a GiteaProvider as the API server returns it.
func providerObject(namespace, name string, status map[string]any) *unstructured.Unstructured {
	obj := map[string]any{
		"apiVersion": "idpbuilder.cnoe.io/v1alpha2",
		"kind":       "GiteaProvider",
		"metadata":   map[string]any{"namespace": namespace, "name": name},
		"spec":       map[string]any{"namespace": namespace},
	}
	if status != nil {
		obj["status"] = status
	}
	return &unstructured.Unstructured{Object: obj}
}

func fakeDynamic(objs ...runtime.Object) *dynamicfake.FakeDynamicClient {
	return dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{giteaProviders: "GiteaProviderList"}, objs...)
}

func TestListGiteaProviders(t *testing.T) {
	ready := map[string]any{
		"endpoint":         "https://gitea.cnoe.localtest.me:8443",
		"internalEndpoint": "http://my-gitea-http.gitea-system.svc.cluster.local:3000",
		"phase":            "Ready",
		"conditions": []any{map[string]any{"type": "Ready", "status": "True", "reason": "GiteaReady", "message": "free text",
			"lastTransitionTime": "2026-01-01T00:00:00Z"}},
		"adminUser": map[string]any{"username": "giteaAdmin",
			"secretRef": map[string]any{"namespace": "gitea-system", "name": "my-admin", "key": "adminPassword"}},
		"credentialsSecretRef": map[string]any{"namespace": "gitea-system", "name": "my-admin", "key": "token"},
	}
	tests := []struct {
		name string
		objs []runtime.Object
		want []idpbuilder.GiteaProvider
	}{
		{name: "none", want: []idpbuilder.GiteaProvider{}},
		{name: "a ready provider", objs: []runtime.Object{providerObject("gitea-system", "gitea", ready)},
			want: []idpbuilder.GiteaProvider{{Namespace: "gitea-system", Name: "gitea", Endpoint: "https://gitea.cnoe.localtest.me:8443",
				InternalEndpoint: "http://my-gitea-http.gitea-system.svc.cluster.local:3000", AdminUsername: "giteaAdmin",
				AdminSecret: &idpbuilder.KeyRef{Namespace: "gitea-system", Name: "my-admin", Key: "adminPassword"},
				Credentials: &idpbuilder.KeyRef{Namespace: "gitea-system", Name: "my-admin", Key: "token"},
				Phase:       "Ready", Conditions: []idpbuilder.Condition{{Type: "Ready", Status: "True", Reason: "GiteaReady"}}}}},
		{name: "no status yet", objs: []runtime.Object{providerObject("team-a", "gitea", nil)},
			want: []idpbuilder.GiteaProvider{{Namespace: "team-a", Name: "gitea"}}},
		{name: "fields of the wrong type read as absent", objs: []runtime.Object{providerObject("team-b", "gitea", map[string]any{
			"endpoint": int64(8443), "adminUser": map[string]any{"username": true, "secretRef": "my-admin"}, "conditions": []any{"Ready", map[string]any{"type": "Ready", "status": true}}})},
			want: []idpbuilder.GiteaProvider{{Namespace: "team-b", Name: "gitea", Conditions: []idpbuilder.Condition{{Type: "Ready"}}}}},
		{name: "two namespaces", objs: []runtime.Object{providerObject("b", "gitea", map[string]any{"phase": "Installing"}), providerObject("a", "gitea", map[string]any{"phase": "Failed"})},
			want: []idpbuilder.GiteaProvider{{Namespace: "a", Name: "gitea", Phase: "Failed"}, {Namespace: "b", Name: "gitea", Phase: "Installing"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := listGiteaProviders(context.Background(), fakeDynamic(tt.objs...), lister{context: "kind-localdev"})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestListGiteaProvidersErrors(t *testing.T) {
	gr := giteaProviders.GroupResource()
	tests := []struct {
		name      string
		err       error
		is        error // the sentinel the error wraps
		want      string
		unwrapped bool // the error is none of the sentinels
	}{
		{name: "no resource", err: apierrors.NewNotFound(gr, ""), is: idpbuilder.ErrNoGiteaProviderResource, want: "no GiteaProvider resource"},
		{name: "forbidden", err: apierrors.NewForbidden(gr, "", errors.New("user rig-limited cannot list")), is: idpbuilder.ErrForbidden,
			want: `forbidden: the user of context "kind-localdev" may not list GiteaProvider objects (403)`},
		{name: "unauthorized", err: apierrors.NewUnauthorized("token expired"), want: "401 Unauthorized", unwrapped: true},
		{name: "server error", err: apierrors.NewInternalError(errors.New("etcd is down")), is: idpbuilder.ErrUnreachable, want: "answered 500 Internal Server Error"},
		{name: "connection refused", err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, is: idpbuilder.ErrUnreachable, want: "(connection refused)"},
		{name: "exec plugin failed", err: errors.New(`Get "https://x/apis": getting credentials: exec: executable kubelogin failed with exit code 3: token=hunter2`),
			want: `the exec credential plugin "kubelogin" of context "kind-localdev" failed (exit status 3)`, unwrapped: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := fakeDynamic()
			client.PrependReactor("list", "giteaproviders", func(k8stesting.Action) (bool, runtime.Object, error) { return true, nil, tt.err })
			_, err := listGiteaProviders(context.Background(), client, lister{context: "kind-localdev", server: "https://127.0.0.1:6443", plugin: "kubelogin"})
			if err == nil {
				t.Fatal("no error")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("%v does not wrap %v", err, tt.is)
			}
			if tt.unwrapped {
				for _, s := range []error{idpbuilder.ErrNoGiteaProviderResource, idpbuilder.ErrForbidden, idpbuilder.ErrUnreachable} {
					if errors.Is(err, s) {
						t.Errorf("%v wraps %v", err, s)
					}
				}
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) || strings.Contains(msg, "\n") {
				t.Errorf("error %q is not one line with %q", msg, tt.want)
			}
			for _, leak := range []string{"hunter2", "etcd is down", "token expired", "cannot list"} {
				if strings.Contains(msg, leak) {
					t.Errorf("error %q quotes the server's or plugin's text %q", msg, leak)
				}
			}
		})
	}
}

// TestListGiteaProvidersDeadline: a list that never answers (a hung exec
// plugin, which client-go runs without the context) ends at the deadline.
func TestListGiteaProvidersDeadline(t *testing.T) {
	client := fakeDynamic()
	release := make(chan struct{})
	defer close(release)
	client.PrependReactor("list", "giteaproviders", func(k8stesting.Action) (bool, runtime.Object, error) {
		<-release
		return true, nil, errors.New("too late")
	})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := listGiteaProviders(ctx, client, lister{context: "kind-localdev"})
	if !errors.Is(err, idpbuilder.ErrUnreachable) || !strings.Contains(err.Error(), "no answer before the deadline") {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("took %s", d)
	}
}
