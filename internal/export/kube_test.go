package export

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The small types stand for core/v1's on update: what the server gave
// (every field but the write-only stringData) must go back unchanged, and
// the names export writes must be core/v1's.
func TestLocalTypesKeepEveryField(t *testing.T) {
	yes := true
	meta := metav1.ObjectMeta{Name: "n", Namespace: "ns", UID: "u", ResourceVersion: "7", Generation: 2,
		Labels: map[string]string{"a": "b"}, Annotations: map[string]string{"c": "d"}, Finalizers: []string{"f"},
		OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "Pod", Name: "p", UID: "q"}}}
	tests := []struct {
		name  string
		typed any
		kind  string
		round func(map[string]any) (any, error)
	}{
		{"secret", &corev1.Secret{ObjectMeta: meta, Immutable: &yes, Type: corev1.SecretTypeDockerConfigJson,
			Data: map[string][]byte{corev1.DockerConfigJsonKey: []byte("{}"), "x": {0, 1}}}, "Secret",
			func(m map[string]any) (any, error) { return fromUnstructured[secret](secretsResource, m) }},
		{"configmap", &corev1.ConfigMap{ObjectMeta: meta, Immutable: &yes, Data: map[string]string{"ca.crt": "PEM"},
			BinaryData: map[string][]byte{"b": {2}}}, "ConfigMap",
			func(m map[string]any) (any, error) { return fromUnstructured[configMap](configMapsResource, m) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, err := toUnstructured(tt.typed, tt.kind)
			if err != nil {
				t.Fatal(err)
			}
			local, err := tt.round(want.Object)
			if err != nil {
				t.Fatal(err)
			}
			got, err := toUnstructured(local, tt.kind)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Object, want.Object) {
				t.Errorf("round trip\n got %v\nwant %v", got.Object, want.Object)
			}
		})
	}
	if secretTypeDockerConfigJSON != string(corev1.SecretTypeDockerConfigJson) || dockerConfigJSONKey != corev1.DockerConfigJsonKey {
		t.Errorf("names differ from core/v1's: %q %q", secretTypeDockerConfigJSON, dockerConfigJSONKey)
	}
}
