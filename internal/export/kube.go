package export

import (
	"context"
	"maps"
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
)

// Kube is the client export writes through: client-go's dynamic client,
// which the companion links anyway for GiteaProviders. The typed clientset
// would link k8s.io/client-go/kubernetes/scheme, whose init registers every
// built-in API group: megabytes and ~10 ms of start-up on every cache miss;
// k8s.io/api/core/v1's types alone add 4 MB, so export converts to the
// small types below instead. client-go's fake dynamic client satisfies it
// in tests.
type Kube interface {
	Resource(schema.GroupVersionResource) dynamic.NamespaceableResourceInterface
}

// The core/v1 resources export reads and writes.
var (
	secretsResource         = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}
	configMapsResource      = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	serviceAccountsResource = schema.GroupVersionResource{Version: "v1", Resource: "serviceaccounts"}
	namespacesResource      = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
)

// The core/v1 names export uses.
const (
	secretTypeDockerConfigJSON = "kubernetes.io/dockerconfigjson"
	dockerConfigJSONKey        = ".dockerconfigjson"
)

// secret and configMap hold every field of their core/v1 types
// (stringData is write-only), so an update sends back all the server gave.
type secret struct {
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Immutable         *bool             `json:"immutable,omitempty"`
	Data              map[string][]byte `json:"data,omitempty"`
	Type              string            `json:"type,omitempty"`
}

func (s *secret) deepCopy() *secret {
	c := *s
	c.ObjectMeta = *s.ObjectMeta.DeepCopy()
	c.Data = maps.Clone(s.Data)
	return &c
}

type configMap struct {
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Immutable         *bool             `json:"immutable,omitempty"`
	Data              map[string]string `json:"data,omitempty"`
	BinaryData        map[string][]byte `json:"binaryData,omitempty"`
}

func (c *configMap) deepCopy() *configMap {
	d := *c
	d.ObjectMeta = *c.ObjectMeta.DeepCopy()
	d.Data = maps.Clone(c.Data)
	d.BinaryData = maps.Clone(c.BinaryData)
	return &d
}

// serviceAccount and namespace are only read: the fields export uses.
type serviceAccount struct {
	metav1.ObjectMeta `json:"metadata,omitempty"`
	ImagePullSecrets  []localObjectReference `json:"imagePullSecrets,omitempty"`
}

type localObjectReference struct {
	Name string `json:"name,omitempty"`
}

type namespace struct {
	metav1.ObjectMeta `json:"metadata,omitempty"`
}

// object is a type export converts to and from unstructured.
type object interface {
	secret | configMap | serviceAccount | namespace
}

// notTheObject stands for an answer that does not convert to the type
// asked for; fail words it without quoting it.
func notTheObject(gvr schema.GroupVersionResource, name string) error {
	return &apierrors.StatusError{ErrStatus: metav1.Status{
		Status: metav1.StatusFailure, Code: http.StatusOK, Reason: metav1.StatusReasonUnknown,
		Details: &metav1.StatusDetails{Name: name, Kind: gvr.Resource},
	}}
}

func fromUnstructured[T object](gvr schema.GroupVersionResource, u map[string]any) (*T, error) {
	out := new(T)
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u, out); err != nil {
		name, _, _ := unstructured.NestedString(u, "metadata", "name")
		return nil, notTheObject(gvr, name)
	}
	return out, nil
}

func toUnstructured(obj any, kind string) (*unstructured.Unstructured, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{Object: m}
	// The API server needs the kind in the body; the typed structs leave
	// it empty.
	u.SetAPIVersion("v1")
	u.SetKind(kind)
	return u, nil
}

func get[T object](ctx context.Context, k Kube, gvr schema.GroupVersionResource, ns, name string) (*T, error) {
	u, err := k.Resource(gvr).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	return fromUnstructured[T](gvr, u.Object)
}

// list lists gvr in ns (all namespaces when empty; namespaces are not
// namespaced) with a label selector.
func list[T object](ctx context.Context, k Kube, gvr schema.GroupVersionResource, ns, selector string) ([]T, error) {
	var r dynamic.ResourceInterface = k.Resource(gvr)
	if ns != "" {
		r = k.Resource(gvr).Namespace(ns)
	}
	l, err := r.List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(l.Items))
	for _, it := range l.Items {
		o, err := fromUnstructured[T](gvr, it.Object)
		if err != nil {
			return nil, err
		}
		out = append(out, *o)
	}
	return out, nil
}

// create and update send obj (with its resourceVersion, on update: a
// conflict, not a lost write).
func create(ctx context.Context, k Kube, gvr schema.GroupVersionResource, kind, ns string, obj any) error {
	u, err := toUnstructured(obj, kind)
	if err != nil {
		return err
	}
	_, err = k.Resource(gvr).Namespace(ns).Create(ctx, u, metav1.CreateOptions{})
	return err
}

func update(ctx context.Context, k Kube, gvr schema.GroupVersionResource, kind, ns string, obj any) error {
	u, err := toUnstructured(obj, kind)
	if err != nil {
		return err
	}
	_, err = k.Resource(gvr).Namespace(ns).Update(ctx, u, metav1.UpdateOptions{})
	return err
}

func deleteObject(ctx context.Context, k Kube, gvr schema.GroupVersionResource, ns, name string, pre metav1.Preconditions) error {
	return k.Resource(gvr).Namespace(ns).Delete(ctx, name, metav1.DeleteOptions{Preconditions: &pre})
}

func mergePatch(ctx context.Context, k Kube, gvr schema.GroupVersionResource, ns, name string, patch []byte) error {
	_, err := k.Resource(gvr).Namespace(ns).Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{})
	return err
}
