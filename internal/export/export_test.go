package export

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	k8stesting "k8s.io/client-go/testing"
)

const (
	host     = "gitea.cnoe.localtest.me:8443"
	password = "pw-canary-5f1e"
	token    = "tok-canary-9a2b"
)

func giteaSecret(data map[string]string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "gitea-credential", Namespace: "gitea"}, Data: map[string][]byte{}}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	return s
}

func ns(name string, labels map[string]string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
}

func sa(namespace, name string, pull ...string) *corev1.ServiceAccount {
	a := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace, ResourceVersion: "1"}}
	for _, p := range pull {
		a.ImagePullSecrets = append(a.ImagePullSecrets, corev1.LocalObjectReference{Name: p})
	}
	return a
}

// exporter returns an exporter over a fake cluster holding objs (client-go's
// fake dynamic client, what the companion's real one stands for), and the
// report it writes.
func exporter(objs ...runtime.Object) (*Exporter, *dynamicfake.FakeDynamicClient, *bytes.Buffer) {
	scheme := runtime.NewScheme()
	if err := corev1.AddToScheme(scheme); err != nil {
		panic(err)
	}
	cs := dynamicfake.NewSimpleDynamicClient(scheme, objs...)
	var out bytes.Buffer
	e := &Exporter{Kube: cs, Context: "kind-localdev", Report: func(status, format string, args ...any) {
		fmt.Fprintf(&out, "%s %s\n", status, fmt.Sprintf(format, args...))
	}}
	return e, cs, &out
}

func defaultSource() []Source {
	return []Source{{Namespace: "gitea", Name: "gitea-credential", Hosts: []string{host}}}
}

// auths decodes the Secret's .dockerconfigjson.
func auths(t *testing.T, cs *dynamicfake.FakeDynamicClient, namespace, name string) (*secret, map[string]auth) {
	t.Helper()
	s, err := get[secret](context.Background(), cs, secretsResource, namespace, name)
	if err != nil {
		t.Fatal(err)
	}
	var cfg dockerConfig
	if err := json.Unmarshal(s.Data[corev1.DockerConfigJsonKey], &cfg); err != nil {
		t.Fatal(err)
	}
	return s, cfg.Auths
}

func TestRegistryKeys(t *testing.T) {
	tests := []struct {
		host string
		want []string
	}{
		{"gitea.cnoe.localtest.me:8443", []string{"gitea.cnoe.localtest.me:8443", "gitea.cnoe.localtest.me"}},
		{"gitea.example.com", []string{"gitea.example.com"}},
		{"cnoe.localtest.me:8443", []string{"cnoe.localtest.me:8443", "cnoe.localtest.me"}}, // path routing
		{"[::1]:8443", []string{"[::1]:8443"}},
	}
	for _, tt := range tests {
		if got := RegistryKeys(tt.host); !slices.Equal(got, tt.want) {
			t.Errorf("RegistryKeys(%q) = %q, want %q", tt.host, got, tt.want)
		}
	}
}

func TestApplyWritesTheCredential(t *testing.T) {
	tests := []struct {
		name     string
		secret   map[string]string
		source   Source
		wantUser string
		wantPass string
		wantKey  string
	}{
		{name: "token preferred", secret: map[string]string{"username": "giteaAdmin", "password": password, "token": token},
			wantUser: "giteaAdmin", wantPass: token, wantKey: "token"},
		{name: "password without a token", secret: map[string]string{"username": "giteaAdmin", "password": password},
			wantUser: "giteaAdmin", wantPass: password, wantKey: "password"},
		{name: "empty token", secret: map[string]string{"username": "giteaAdmin", "password": password, "token": ""},
			wantUser: "giteaAdmin", wantPass: password, wantKey: "password"},
		{name: "a provider's keys", secret: map[string]string{"admin-password": password, "token": token},
			source:   Source{PasswordKey: "admin-password", Username: "gitea_admin"},
			wantUser: "gitea_admin", wantPass: password, wantKey: "admin-password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, cs, out := exporter(giteaSecret(tt.secret), ns("ci", nil), ns("builds", nil))
			src := tt.source
			src.Namespace, src.Name, src.Hosts = "gitea", "gitea-credential", []string{host, "gitea.other.example"}
			err := e.Apply(context.Background(), Request{Namespaces: []string{"ci", "builds"}, Sources: []Source{src}})
			if err != nil {
				t.Fatal(err)
			}
			for _, namespace := range []string{"ci", "builds"} {
				s, a := auths(t, cs, namespace, DefaultName)
				if s.Type != string(corev1.SecretTypeDockerConfigJson) || s.Labels[ManagedByLabel] != ManagedBy {
					t.Fatalf("type %q labels %v", s.Type, s.Labels)
				}
				keys := make([]string, 0, len(a))
				for k, v := range a {
					keys = append(keys, k)
					if v.Username != tt.wantUser || v.Password != tt.wantPass || v.Auth != base64.StdEncoding.EncodeToString([]byte(tt.wantUser+":"+tt.wantPass)) {
						t.Errorf("auths[%s] = %+v", k, v)
					}
				}
				slices.Sort(keys)
				if want := []string{"gitea.cnoe.localtest.me", host, "gitea.other.example"}; !slices.Equal(keys, want) {
					t.Errorf("keys %q, want %q", keys, want)
				}
				if s.Annotations[AnnotationRegistries] != strings.Join(keys, ",") || s.Annotations[annotationCredential] != tt.wantKey {
					t.Errorf("annotations %v", s.Annotations)
				}
			}
			report := out.String()
			if strings.Contains(report, password) || strings.Contains(report, token) || !strings.Contains(report, "copies the Gitea admin credential") {
				t.Errorf("report: %s", report)
			}
		})
	}
}

func TestApplyTwiceChangesNothing(t *testing.T) {
	e, cs, out := exporter(giteaSecret(map[string]string{"username": "giteaAdmin", "password": password, "token": token}), ns("ci", nil))
	req := Request{Namespaces: []string{"ci"}, Sources: defaultSource()}
	if err := e.Apply(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	before, _ := auths(t, cs, "ci", DefaultName)
	out.Reset()
	if err := e.Apply(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	after, _ := auths(t, cs, "ci", DefaultName)
	if before.ResourceVersion != after.ResourceVersion || !strings.Contains(out.String(), "current") {
		t.Errorf("second run rewrote the Secret (%s -> %s): %s", before.ResourceVersion, after.ResourceVersion, out)
	}
}

func TestApplyLeavesOthersObjects(t *testing.T) {
	foreign := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: DefaultName, Namespace: "ci"}, Data: map[string][]byte{"x": []byte("y")}}
	foreignCM := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "idpbuilder-ca", Namespace: "ci"}, Data: map[string]string{"a": "b"}}
	tests := []struct {
		name string
		req  Request
		want string
	}{
		{"secret", Request{Namespaces: []string{"ci"}}, "secret ci/idpbuilder-registry in context \"kind-localdev\" exists and was not written by docker-credential-idpbuilder"},
		{"configmap", Request{Name: "other", Namespaces: []string{"ci"}, CAConfigMap: "idpbuilder-ca", CA: "PEM"}, "configmap ci/idpbuilder-ca in context \"kind-localdev\" exists and was not written"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, cs, _ := exporter(giteaSecret(map[string]string{"username": "u", "password": password}), ns("ci", nil), foreign.DeepCopy(), foreignCM.DeepCopy())
			tt.req.Sources = defaultSource()
			err := e.Apply(context.Background(), tt.req)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want %q", err, tt.want)
			}
			s, _ := get[secret](context.Background(), cs, secretsResource, "ci", DefaultName)
			cm, _ := get[configMap](context.Background(), cs, configMapsResource, "ci", "idpbuilder-ca")
			if string(s.Data["x"]) != "y" || cm.Data["a"] != "b" {
				t.Errorf("a foreign object changed: %v %v", s.Data, cm.Data)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		req  Request
		want string
	}{
		{Request{}, "name the namespaces with --namespace"},
		{Request{Namespaces: []string{"a"}, AllNamespaces: true}, "exclude each other"},
		{Request{Namespaces: []string{"a"}, Selector: "x=y"}, "add --all-namespaces"},
		{Request{Namespaces: []string{"Bad_NS"}}, `--namespace "Bad_NS" is not a valid namespace name`},
		{Request{Namespaces: []string{"a"}, Name: "UPPER"}, `--name "UPPER" is not a valid Secret name`},
		{Request{AllNamespaces: true, Selector: "a in (b"}, "is not a label selector"},
		{Request{Namespaces: []string{"a"}, ServiceAccount: "no/slash"}, "--service-account"},
		{Request{Namespaces: []string{"a"}, CAConfigMap: "-x"}, "--ca-configmap"},
	}
	for _, tt := range tests {
		err := tt.req.Validate()
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Validate(%+v) = %v, want %q", tt.req, err, tt.want)
		}
	}
}

func TestAllNamespacesWithSelector(t *testing.T) {
	e, cs, _ := exporter(giteaSecret(map[string]string{"username": "u", "password": password}),
		ns("a", map[string]string{"ci": "yes"}), ns("b", map[string]string{"ci": "no"}), ns("c", map[string]string{"ci": "yes"}))
	if err := e.Apply(context.Background(), Request{AllNamespaces: true, Selector: "ci=yes", Sources: defaultSource()}); err != nil {
		t.Fatal(err)
	}
	written, _ := list[secret](context.Background(), cs, secretsResource, "", selector)
	var got []string
	for _, s := range written {
		got = append(got, s.Namespace)
	}
	slices.Sort(got)
	if !slices.Equal(got, []string{"a", "c"}) {
		t.Errorf("written into %q", got)
	}
	err := e.Apply(context.Background(), Request{AllNamespaces: true, Selector: "ci=maybe", Sources: defaultSource()})
	if err == nil || !strings.Contains(err.Error(), `no namespace in context "kind-localdev" matches --selector "ci=maybe"`) {
		t.Errorf("no match: %v", err)
	}
}

func pullSecrets(t *testing.T, cs *dynamicfake.FakeDynamicClient, namespace, name string) []string {
	t.Helper()
	a, err := get[serviceAccount](context.Background(), cs, serviceAccountsResource, namespace, name)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range a.ImagePullSecrets {
		out = append(out, r.Name)
	}
	return out
}

func TestServiceAccountKeepsEntries(t *testing.T) {
	tests := []struct {
		name        string
		before      []string
		afterExport []string
		afterDelete []string
	}{
		{"none before", nil, []string{DefaultName}, nil},
		{"others kept", []string{"a", "b"}, []string{"a", "b", DefaultName}, []string{"a", "b"}},
		// Someone listed it before export: not export's entry to remove.
		{"already listed", []string{DefaultName, "a"}, []string{DefaultName, "a"}, []string{DefaultName, "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, cs, _ := exporter(giteaSecret(map[string]string{"username": "u", "password": password}), ns("ci", nil), sa("ci", "builder", tt.before...))
			req := Request{Namespaces: []string{"ci"}, ServiceAccount: "builder", Sources: defaultSource()}
			for range 2 { // twice: never a duplicate
				if err := e.Apply(context.Background(), req); err != nil {
					t.Fatal(err)
				}
			}
			if got := pullSecrets(t, cs, "ci", "builder"); !slices.Equal(got, tt.afterExport) {
				t.Errorf("after export %q, want %q", got, tt.afterExport)
			}
			if err := e.Delete(context.Background(), Request{Namespaces: []string{"ci"}}); err != nil {
				t.Fatal(err)
			}
			if got := pullSecrets(t, cs, "ci", "builder"); !slices.Equal(got, tt.afterDelete) {
				t.Errorf("after delete %q, want %q", got, tt.afterDelete)
			}
			if _, err := get[secret](context.Background(), cs, secretsResource, "ci", DefaultName); !apierrors.IsNotFound(err) {
				t.Errorf("the Secret is still there: %v", err)
			}
		})
	}
}

// Another writer changes the ServiceAccount between export's read and its
// patch: the patch carries the resourceVersion read, the API server
// answers 409, and export edits what the other writer left.
func TestServiceAccountPatchDoesNotRace(t *testing.T) {
	e, cs, _ := exporter(giteaSecret(map[string]string{"username": "u", "password": password}), ns("ci", nil), sa("ci", "builder", "a"))
	raced := false
	cs.PrependReactor("patch", "serviceaccounts", func(action k8stesting.Action) (bool, runtime.Object, error) {
		p := action.(k8stesting.PatchAction)
		var body struct {
			Metadata struct {
				ResourceVersion string `json:"resourceVersion"`
			} `json:"metadata"`
		}
		json.Unmarshal(p.GetPatch(), &body)
		// The tracker, not the client: the fake holds its lock while a
		// reactor runs.
		cur, _ := cs.Tracker().Get(serviceAccountsResource, "ci", "builder")
		acc, err := fromUnstructured[serviceAccount](serviceAccountsResource, cur.(*unstructured.Unstructured).Object)
		if err != nil {
			t.Fatal(err)
		}
		if !raced {
			// The other writer lands first.
			raced = true
			acc.ImagePullSecrets = append(acc.ImagePullSecrets, localObjectReference{Name: "theirs"})
			acc.ResourceVersion = "2"
			u, err := toUnstructured(acc, "ServiceAccount")
			if err != nil {
				t.Fatal(err)
			}
			cs.Tracker().Update(serviceAccountsResource, u, "ci")
		}
		if body.Metadata.ResourceVersion != acc.ResourceVersion {
			return true, nil, apierrors.NewConflict(schema.GroupResource{Resource: "serviceaccounts"}, "builder", errors.New("the object has been modified"))
		}
		return false, nil, nil
	})
	if err := e.Apply(context.Background(), Request{Namespaces: []string{"ci"}, ServiceAccount: "builder", Sources: defaultSource()}); err != nil {
		t.Fatal(err)
	}
	if got, want := pullSecrets(t, cs, "ci", "builder"), []string{"a", "theirs", DefaultName}; !slices.Equal(got, want) {
		t.Errorf("imagePullSecrets %q, want %q", got, want)
	}
}

func TestRefreshAndStatus(t *testing.T) {
	e, cs, out := exporter(giteaSecret(map[string]string{"username": "giteaAdmin", "password": password, "token": token}), ns("ci", nil), ns("builds", nil))
	if err := e.Apply(context.Background(), Request{Namespaces: []string{"ci", "builds"}, Sources: defaultSource()}); err != nil {
		t.Fatal(err)
	}
	list, err := e.List(context.Background())
	if err != nil || len(list) != 2 || list[0].Stale || list[1].Stale {
		t.Fatalf("List = %+v, %v", list, err)
	}
	// The password changes: idpbuilder re-creates the token.
	update(context.Background(), cs, secretsResource, "Secret", "gitea", giteaSecret(map[string]string{"username": "giteaAdmin", "password": password + "2", "token": token + "2"}))
	list, err = e.List(context.Background())
	if err != nil || len(list) != 2 || !list[0].Stale || !list[1].Stale || list[0].Namespace != "builds" {
		t.Fatalf("List after the change = %+v, %v", list, err)
	}
	out.Reset()
	if err := e.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, namespace := range []string{"ci", "builds"} {
		if _, a := auths(t, cs, namespace, DefaultName); a[host].Password != token+"2" {
			t.Errorf("%s after refresh: %+v", namespace, a[host])
		}
	}
	if strings.Count(out.String(), "changed") != 2 || strings.Contains(out.String(), token) {
		t.Errorf("refresh report: %s", out)
	}
	list, _ = e.List(context.Background())
	if list[0].Stale || list[1].Stale {
		t.Errorf("stale after refresh: %+v", list)
	}
}

func TestDeleteRemovesExactlyWhatExportWrote(t *testing.T) {
	foreign := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: DefaultName, Namespace: "other"}}
	keep := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "keep", Namespace: "ci"}}
	e, cs, _ := exporter(giteaSecret(map[string]string{"username": "u", "password": password}), ns("ci", nil), ns("other", nil), foreign, keep, sa("ci", "builder", "a"))
	if err := e.Apply(context.Background(), Request{Namespaces: []string{"ci"}, ServiceAccount: "builder", CAConfigMap: "idpbuilder-ca", CA: "PEM", Sources: defaultSource()}); err != nil {
		t.Fatal(err)
	}
	if cm, err := get[configMap](context.Background(), cs, configMapsResource, "ci", "idpbuilder-ca"); err != nil || cm.Data[CAKey] != "PEM" || !owned(cm) {
		t.Fatalf("CA ConfigMap %+v, %v", cm, err)
	}
	if err := e.Delete(context.Background(), Request{Namespaces: []string{"ci", "other"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := get[configMap](context.Background(), cs, configMapsResource, "ci", "idpbuilder-ca"); !apierrors.IsNotFound(err) {
		t.Errorf("CA ConfigMap left: %v", err)
	}
	if _, err := get[configMap](context.Background(), cs, configMapsResource, "ci", "keep"); err != nil {
		t.Errorf("another ConfigMap removed: %v", err)
	}
	if _, err := get[secret](context.Background(), cs, secretsResource, "other", DefaultName); err != nil {
		t.Errorf("a foreign Secret of the same name removed: %v", err)
	}
	if got := pullSecrets(t, cs, "ci", "builder"); !slices.Equal(got, []string{"a"}) {
		t.Errorf("imagePullSecrets %q", got)
	}
}

func TestDeleteAll(t *testing.T) {
	foreign := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "mine", Namespace: "ci"}}
	e, cs, _ := exporter(giteaSecret(map[string]string{"username": "u", "password": password}), ns("ci", nil), ns("b", nil), foreign, sa("b", "default", "x"), sa("ci", "default"))
	for _, r := range []Request{
		{Namespaces: []string{"ci"}, CAConfigMap: "ca", CA: "PEM"},
		{Name: "second", Namespaces: []string{"ci", "b"}, ServiceAccount: "default"},
	} {
		r.Sources = defaultSource()
		if err := e.Apply(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.DeleteAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	secrets, _ := list[secret](context.Background(), cs, secretsResource, "", "")
	var left []string
	for _, s := range secrets {
		left = append(left, s.Namespace+"/"+s.Name)
	}
	slices.Sort(left)
	if !slices.Equal(left, []string{"ci/mine", "gitea/gitea-credential"}) {
		t.Errorf("left %q", left)
	}
	cms, _ := list[configMap](context.Background(), cs, configMapsResource, "", "")
	if len(cms) != 0 {
		t.Errorf("ConfigMaps left: %d", len(cms))
	}
	if got := pullSecrets(t, cs, "b", "default"); !slices.Equal(got, []string{"x"}) {
		t.Errorf("imagePullSecrets %q", got)
	}
}

// Every answer of the API server that is not a success becomes one line
// that names the call and never quotes the server's message (which may
// echo the Secret's data), nor the credential.
func TestErrorsAreOneLineWithNoSecret(t *testing.T) {
	gr := schema.GroupResource{Resource: "secrets"}
	canary := password + "\nsecond line " + token
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"forbidden", apierrors.NewForbidden(gr, DefaultName, errors.New(canary)),
			`forbidden: the user of context "kind-localdev" may not create secrets in namespace ci (403); grant it the idpbuilder-export Role in README.md`},
		{"unauthorized", apierrors.NewUnauthorized(canary), "401 Unauthorized"},
		{"invalid", apierrors.NewInvalid(schema.GroupKind{Kind: "Secret"}, DefaultName, nil), "refused to create secret ci/idpbuilder-registry: invalid"},
		{"internal", apierrors.NewInternalError(errors.New(canary)), "answered 500 Internal Server Error to create secret ci/idpbuilder-registry"},
		{"namespace missing", apierrors.NewNotFound(schema.GroupResource{Resource: "namespaces"}, "ci"), `namespace "ci" does not exist`},
		{"network", errors.New("dial tcp: " + canary), "the API server could not be asked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, cs, out := exporter(giteaSecret(map[string]string{"username": "u", "password": password, "token": token}), ns("ci", nil))
			cs.PrependReactor("create", "secrets", func(k8stesting.Action) (bool, runtime.Object, error) { return true, nil, tt.err })
			err := e.Apply(context.Background(), Request{Namespaces: []string{"ci"}, Sources: defaultSource()})
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if strings.Contains(msg, password) || strings.Contains(msg, token) || strings.ContainsAny(msg, "\r\n") || !strings.Contains(msg, tt.want) {
				t.Fatalf("error %q: want one line with %q and no secret", msg, tt.want)
			}
			if strings.Contains(out.String(), "copies") {
				t.Errorf("a refused export says it copied the credential: %s", out)
			}
		})
	}
}

func TestForbiddenListNamesTheScope(t *testing.T) {
	e, cs, _ := exporter()
	cs.PrependReactor("list", "secrets", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "secrets"}, "", errors.New("no"))
	})
	_, err := e.List(context.Background())
	if !IsForbidden(err) || !strings.Contains(err.Error(), "may not list secrets in all namespaces (403)") {
		t.Fatalf("List: %v", err)
	}
}

func TestCAConfigMapNeedsACA(t *testing.T) {
	e, cs, _ := exporter(giteaSecret(map[string]string{"username": "u", "password": password}), ns("ci", nil))
	err := e.Apply(context.Background(), Request{Namespaces: []string{"ci"}, CAConfigMap: "ca", Sources: defaultSource()})
	if err == nil || !strings.Contains(err.Error(), "has no CA") {
		t.Fatalf("err %v", err)
	}
	if written, _ := list[secret](context.Background(), cs, secretsResource, "ci", ""); len(written) != 0 {
		t.Errorf("written before the check: %d", len(written))
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	e, cs, out := exporter(giteaSecret(map[string]string{"username": "u", "password": password}), ns("ci", nil), sa("ci", "builder"))
	e.DryRun = true
	if err := e.Apply(context.Background(), Request{Namespaces: []string{"ci"}, ServiceAccount: "builder", CAConfigMap: "ca", CA: "PEM", Sources: defaultSource()}); err != nil {
		t.Fatal(err)
	}
	if written, _ := list[secret](context.Background(), cs, secretsResource, "ci", ""); len(written) != 0 {
		t.Errorf("dry run wrote %d secrets", len(written))
	}
	if got := pullSecrets(t, cs, "ci", "builder"); len(got) != 0 || strings.Count(out.String(), "would change") != 3 {
		t.Errorf("imagePullSecrets %q; report %s", got, out)
	}
}
