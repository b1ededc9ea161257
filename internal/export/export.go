// Package export builds and applies the pull/push Secrets (and the CA
// ConfigMap) that let pods in an idpbuilder cluster use its Gitea registry.
package export

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"slices"
	"sort"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"
)

// What export writes carries these marks: the label finds them, the
// annotations say what they hold, so that refresh, status, export --delete
// and uninstall touch exactly them.
const (
	// ManagedByLabel = ManagedBy marks every object export writes.
	ManagedByLabel = "app.kubernetes.io/managed-by"
	ManagedBy      = "docker-credential-idpbuilder"
	// annotationPrefix starts each annotation export writes.
	annotationPrefix = "docker-credential-idpbuilder.cnoe.io/"
	// AnnotationRegistries lists the registry hosts a Secret holds auths for.
	AnnotationRegistries = annotationPrefix + "registries"
	// annotationSources records, as JSON, which Gitea secret gives which
	// hosts their credential: refresh rebuilds the Secret from it.
	annotationSources = annotationPrefix + "sources"
	// annotationCredential says which key of the source was copied
	// (token or password); never the value.
	annotationCredential = annotationPrefix + "credential"
	// annotationServiceAccounts lists the ServiceAccounts of the namespace
	// whose imagePullSecrets export added the Secret to, so --delete
	// removes only those entries.
	annotationServiceAccounts = annotationPrefix + "service-accounts"
	// annotationCAConfigMap names the CA ConfigMap written with the Secret.
	annotationCAConfigMap = annotationPrefix + "ca-configmap"
)

// Defaults and fixed names.
const (
	DefaultName = "idpbuilder-registry"
	// CAKey is the CA ConfigMap's key, as kube-root-ca.crt names it.
	CAKey = "ca.crt"
)

// Source is a Gitea admin secret, its keys, and the external registry
// hosts (host[:port], as the helper's table has them) it serves. Empty
// keys mean idpbuilder's (username, password).
type Source struct {
	Namespace   string `json:"namespace"`
	Name        string `json:"name"`
	UsernameKey string `json:"usernameKey,omitempty"`
	PasswordKey string `json:"passwordKey,omitempty"`
	// Username, when set, is the user name; the secret then needs only
	// the password key.
	Username string   `json:"username,omitempty"`
	Hosts    []string `json:"hosts"`
}

// tokenKey is the key of idpbuilder's gitea-credential secret holding a
// Gitea access token of the admin, which works as the registry password
// and can be revoked on its own.
const tokenKey = "token"

// Request is one export: where to write, and what.
type Request struct {
	// Name of the Secret; empty means DefaultName.
	Name string
	// Namespaces to write into; or AllNamespaces, narrowed by Selector (a
	// label selector on namespaces).
	Namespaces    []string
	AllNamespaces bool
	Selector      string
	// ServiceAccount, when set, gets the Secret in its imagePullSecrets.
	ServiceAccount string
	// CAConfigMap, when set, names a ConfigMap holding CA (key ca.crt).
	CAConfigMap string
	CA          string
	Sources     []Source
}

// Exporter applies requests to one cluster.
type Exporter struct {
	Kube Kube
	// Context names the kubeconfig context in messages.
	Context string
	// Unreachable words an error that is not an answer of the API server
	// (network, exec plugin) without quoting it; what is "write secret x".
	Unreachable func(ctx context.Context, err error, what string) error
	// Report takes one line per object: a status (changed, ok, removed,
	// note, warning) and what. nil discards them.
	Report func(status, format string, args ...any)
	// DryRun reports without writing.
	DryRun bool
}

func (e *Exporter) line(status, format string, args ...any) {
	if e.Report == nil {
		return
	}
	if e.DryRun {
		switch status {
		case "changed":
			status = "would change"
		case "removed":
			status = "would remove"
		}
	}
	e.Report(status, format, args...)
}

// credential is what a source gives a registry host.
type credential struct {
	Username string
	Secret   string
	// Key is the source key the secret came from: token or password.
	Key string
}

// auth is one entry of a docker config's auths.
type auth struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Auth     string `json:"auth"`
}

type dockerConfig struct {
	Auths map[string]auth `json:"auths"`
}

// RegistryKeys are the auths keys for an external registry host: the host
// itself (what the user pushes to and what pods name in their image
// references, which the kubelet matches imagePullSecrets against) and the
// bare host name without the port, on 443 inside the cluster: idpbuilder's
// kind configuration mirrors gitea.<host>:<port> to https://gitea.<host>,
// and a pod reaches that name through the cluster's ingress, so builders
// push there.
func RegistryKeys(host string) []string {
	keys := []string{host}
	if h, _, err := net.SplitHostPort(host); err == nil && h != "" && !strings.Contains(h, ":") {
		keys = append(keys, h)
	}
	return keys
}

// buildConfig renders the .dockerconfigjson for the hosts and their
// credentials; encoding/json sorts the keys, so equal input gives equal
// bytes.
func buildConfig(creds map[string]credential) ([]byte, []string) {
	cfg := dockerConfig{Auths: map[string]auth{}}
	for host, c := range creds {
		a := auth{Username: c.Username, Password: c.Secret, Auth: base64.StdEncoding.EncodeToString([]byte(c.Username + ":" + c.Secret))}
		for _, k := range RegistryKeys(host) {
			cfg.Auths[k] = a
		}
	}
	keys := make([]string, 0, len(cfg.Auths))
	for k := range cfg.Auths {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	data, _ := json.Marshal(cfg) // strings and maps only: cannot fail
	return data, keys
}

// readSources reads each source once and gives every host its credential:
// the secret's token when it has one (a registry password that can be
// revoked), else its password.
func (e *Exporter) readSources(ctx context.Context, sources []Source) (map[string]credential, string, error) {
	creds := map[string]credential{}
	var used []string
	for _, s := range sources {
		sec, err := get[secret](ctx, e.Kube, secretsResource, s.Namespace, s.Name)
		if err != nil {
			return nil, "", e.fail(ctx, err, "get", "secrets", s.Namespace, s.Name)
		}
		userKey, passKey := cmp.Or(s.UsernameKey, "username"), cmp.Or(s.PasswordKey, "password")
		c := credential{Username: cmp.Or(s.Username, string(sec.Data[userKey]))}
		if passKey == "password" {
			// idpbuilder's own layout: its token is the better copy.
			c.Secret, c.Key = string(sec.Data[tokenKey]), tokenKey
		}
		if c.Secret == "" {
			c.Secret, c.Key = string(sec.Data[passKey]), passKey
		}
		if c.Username == "" || c.Secret == "" {
			return nil, "", fmt.Errorf("secret %s/%s in context %q has no %s or no %s key: is it the Gitea admin credential?", s.Namespace, s.Name, e.Context, userKey, passKey)
		}
		for _, h := range s.Hosts {
			creds[h] = c
		}
		used = append(used, c.Key+" of "+s.Namespace+"/"+s.Name)
	}
	if len(creds) == 0 {
		return nil, "", errors.New("no registry host to export")
	}
	return creds, strings.Join(used, ", "), nil
}

// Validate checks a request like user input, before any call.
func (r *Request) Validate() error {
	if r.Name == "" {
		r.Name = DefaultName
	}
	if errs := validation.IsDNS1123Subdomain(r.Name); len(errs) > 0 {
		return fmt.Errorf("--name %q is not a valid Secret name (%s)", r.Name, errs[0])
	}
	switch {
	case r.AllNamespaces && len(r.Namespaces) > 0:
		return errors.New("--namespace and --all-namespaces exclude each other")
	case !r.AllNamespaces && len(r.Namespaces) == 0:
		return errors.New("name the namespaces with --namespace NAME (repeatable) or --all-namespaces [--selector LABELS]")
	case r.Selector != "" && !r.AllNamespaces:
		return errors.New("--selector chooses namespaces for --all-namespaces; add --all-namespaces")
	}
	for _, ns := range r.Namespaces {
		if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
			return fmt.Errorf("--namespace %q is not a valid namespace name (%s)", ns, errs[0])
		}
	}
	if r.Selector != "" {
		if _, err := labels.Parse(r.Selector); err != nil {
			return fmt.Errorf("--selector %q is not a label selector such as team=a,env!=prod", r.Selector)
		}
	}
	for _, f := range []struct{ flag, value string }{{"--service-account", r.ServiceAccount}, {"--ca-configmap", r.CAConfigMap}} {
		if f.value == "" {
			continue
		}
		if errs := validation.IsDNS1123Subdomain(f.value); len(errs) > 0 {
			return fmt.Errorf("%s %q is not a valid object name (%s)", f.flag, f.value, errs[0])
		}
	}
	return nil
}

// namespaces resolves the request's namespaces, sorted.
func (e *Exporter) namespaces(ctx context.Context, r Request) ([]string, error) {
	if !r.AllNamespaces {
		out := slices.Clone(r.Namespaces)
		slices.Sort(out)
		return slices.Compact(out), nil
	}
	all, err := list[namespace](ctx, e.Kube, namespacesResource, "", r.Selector)
	if err != nil {
		return nil, e.fail(ctx, err, "list", "namespaces", "", "")
	}
	var out []string
	for _, ns := range all {
		if ns.DeletionTimestamp == nil {
			out = append(out, ns.Name)
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		return nil, fmt.Errorf("no namespace in context %q matches --selector %q", e.Context, r.Selector)
	}
	return out, nil
}

// owned reports whether an object carries export's label.
func owned(m metav1.Object) bool { return m.GetLabels()[ManagedByLabel] == ManagedBy }

// Apply writes the Secret (and the CA ConfigMap, and the ServiceAccount
// entry) into every namespace of r.
func (e *Exporter) Apply(ctx context.Context, r Request) error {
	if err := r.Validate(); err != nil {
		return err
	}
	if r.CAConfigMap != "" && strings.TrimSpace(r.CA) == "" {
		return fmt.Errorf("--ca-configmap: context %q has no CA for its registry (the Localbuild has no selfSignedCert); nothing was written", e.Context)
	}
	creds, used, err := e.readSources(ctx, r.Sources)
	if err != nil {
		return err
	}
	nss, err := e.namespaces(ctx, r)
	if err != nil {
		return err
	}
	data, keys := buildConfig(creds)
	sources, _ := json.Marshal(r.Sources)
	want := map[string]string{
		AnnotationRegistries: strings.Join(keys, ","),
		annotationSources:    string(sources),
		annotationCredential: strings.Fields(used)[0],
	}
	if r.CAConfigMap != "" {
		want[annotationCAConfigMap] = r.CAConfigMap
	}
	for _, ns := range nss {
		if err := e.writeSecret(ctx, ns, r.Name, data, want); err != nil {
			return err
		}
		if r.CAConfigMap != "" {
			if err := e.writeCA(ctx, ns, r.CAConfigMap, r.CA); err != nil {
				return err
			}
		}
		if r.ServiceAccount != "" {
			if err := e.addToServiceAccount(ctx, ns, r.ServiceAccount, r.Name); err != nil {
				return err
			}
		}
	}
	// Said once it is true, so a refused export does not claim it.
	e.line("note", "this copies the Gitea admin credential (%s) into namespace(s) %s: whoever can read Secrets there can push as its user", used, strings.Join(nss, ", "))
	return nil
}

// retries bounds the re-reads after a conflict with another writer.
const retries = 5

// writeSecret creates or updates ns/name, refusing a Secret export did not
// write. The ServiceAccount record of an existing Secret stays.
func (e *Exporter) writeSecret(ctx context.Context, ns, name string, data []byte, annotations map[string]string) error {
	for range retries {
		cur, err := get[secret](ctx, e.Kube, secretsResource, ns, name)
		if apierrors.IsNotFound(err) {
			s := &secret{
				ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{ManagedByLabel: ManagedBy}, Annotations: annotations},
				Type:       secretTypeDockerConfigJSON,
				Data:       map[string][]byte{dockerConfigJSONKey: data},
			}
			err = nil
			if !e.DryRun {
				err = create(ctx, e.Kube, secretsResource, "Secret", ns, s)
			}
			if apierrors.IsAlreadyExists(err) {
				continue // someone made it meanwhile: look again
			}
			if err != nil {
				return e.fail(ctx, err, "create", "secrets", ns, name)
			}
			e.line("changed", "secret %s/%s: auths for %s", ns, name, annotations[AnnotationRegistries])
			return nil
		}
		if err != nil {
			return e.fail(ctx, err, "get", "secrets", ns, name)
		}
		if !owned(cur) {
			return fmt.Errorf("secret %s/%s in context %q exists and was not written by %s; nothing was changed there: choose another --name", ns, name, e.Context, ManagedBy)
		}
		next := cur.deepCopy()
		if next.Annotations == nil {
			next.Annotations = map[string]string{}
		}
		for k, v := range annotations {
			next.Annotations[k] = v
		}
		if _, ok := annotations[annotationCAConfigMap]; !ok {
			delete(next.Annotations, annotationCAConfigMap)
		}
		next.Data = map[string][]byte{dockerConfigJSONKey: data}
		if next.Type != secretTypeDockerConfigJSON {
			// The type cannot change: delete and create again.
			return fmt.Errorf("secret %s/%s in context %q has type %s, not %s: delete it with 'export --delete' and export again", ns, name, e.Context, next.Type, secretTypeDockerConfigJSON)
		}
		if string(cur.Data[dockerConfigJSONKey]) == string(data) && len(cur.Data) == 1 && mapsEqual(cur.Annotations, next.Annotations) {
			e.line("ok", "secret %s/%s: auths for %s, current", ns, name, annotations[AnnotationRegistries])
			return nil
		}
		if !e.DryRun {
			err = update(ctx, e.Kube, secretsResource, "Secret", ns, next) // resourceVersion from the get: a conflict, not a lost write
		}
		if apierrors.IsConflict(err) {
			continue
		}
		if err != nil {
			return e.fail(ctx, err, "update", "secrets", ns, name)
		}
		e.line("changed", "secret %s/%s: auths for %s, updated", ns, name, annotations[AnnotationRegistries])
		return nil
	}
	return fmt.Errorf("secret %s/%s in context %q kept changing while export wrote it; run export again", ns, name, e.Context)
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// writeCA creates or updates the CA ConfigMap ns/name.
func (e *Exporter) writeCA(ctx context.Context, ns, name, ca string) error {
	for range retries {
		cur, err := get[configMap](ctx, e.Kube, configMapsResource, ns, name)
		if apierrors.IsNotFound(err) {
			cm := &configMap{
				ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{ManagedByLabel: ManagedBy}},
				Data:       map[string]string{CAKey: ca},
			}
			err = nil
			if !e.DryRun {
				err = create(ctx, e.Kube, configMapsResource, "ConfigMap", ns, cm)
			}
			if apierrors.IsAlreadyExists(err) {
				continue
			}
			if err != nil {
				return e.fail(ctx, err, "create", "configmaps", ns, name)
			}
			e.line("changed", "configmap %s/%s: the registry's CA (key %s)", ns, name, CAKey)
			return nil
		}
		if err != nil {
			return e.fail(ctx, err, "get", "configmaps", ns, name)
		}
		if !owned(cur) {
			return fmt.Errorf("configmap %s/%s in context %q exists and was not written by %s; nothing was changed there: choose another --ca-configmap", ns, name, e.Context, ManagedBy)
		}
		if cur.Data[CAKey] == ca && len(cur.Data) == 1 {
			e.line("ok", "configmap %s/%s: the registry's CA, current", ns, name)
			return nil
		}
		next := cur.deepCopy()
		next.Data = map[string]string{CAKey: ca}
		if !e.DryRun {
			err = update(ctx, e.Kube, configMapsResource, "ConfigMap", ns, next)
		}
		if apierrors.IsConflict(err) {
			continue
		}
		if err != nil {
			return e.fail(ctx, err, "update", "configmaps", ns, name)
		}
		e.line("changed", "configmap %s/%s: the registry's CA, updated", ns, name)
		return nil
	}
	return fmt.Errorf("configmap %s/%s in context %q kept changing while export wrote it; run export again", ns, name, e.Context)
}

// patchPullSecrets sets a ServiceAccount's imagePullSecrets to edit(its
// list) with a merge patch that carries the resourceVersion read: the API
// server refuses it (409) when another writer changed the account
// meanwhile, and the edit is done again on what that writer left. edit
// returns false when there is nothing to change.
func (e *Exporter) patchPullSecrets(ctx context.Context, ns, sa string, edit func([]localObjectReference) ([]localObjectReference, bool)) (bool, error) {
	for range retries {
		cur, err := get[serviceAccount](ctx, e.Kube, serviceAccountsResource, ns, sa)
		if err != nil {
			return false, e.fail(ctx, err, "get", "serviceaccounts", ns, sa)
		}
		next, changed := edit(cur.ImagePullSecrets)
		if !changed || e.DryRun {
			return changed, nil
		}
		var list any = next
		if len(next) == 0 {
			list = nil // removes the field
		}
		patch, _ := json.Marshal(map[string]any{
			"metadata":         map[string]any{"resourceVersion": cur.ResourceVersion},
			"imagePullSecrets": list,
		})
		err = mergePatch(ctx, e.Kube, serviceAccountsResource, ns, sa, patch)
		if apierrors.IsConflict(err) {
			continue
		}
		if err != nil {
			return false, e.fail(ctx, err, "patch", "serviceaccounts", ns, sa)
		}
		return true, nil
	}
	return false, fmt.Errorf("serviceaccount %s/%s in context %q kept changing while export patched it; run export again", ns, sa, e.Context)
}

// addToServiceAccount adds name to the account's imagePullSecrets (never
// twice, keeping every other entry) and records on the Secret that export
// added it.
func (e *Exporter) addToServiceAccount(ctx context.Context, ns, sa, name string) error {
	added, err := e.patchPullSecrets(ctx, ns, sa, func(list []localObjectReference) ([]localObjectReference, bool) {
		if slices.ContainsFunc(list, func(r localObjectReference) bool { return r.Name == name }) {
			return list, false
		}
		return append(slices.Clone(list), localObjectReference{Name: name}), true
	})
	if err != nil {
		return err
	}
	if !added {
		e.line("ok", "serviceaccount %s/%s: imagePullSecrets has %s", ns, sa, name)
		return nil
	}
	e.line("changed", "serviceaccount %s/%s: %s added to imagePullSecrets", ns, sa, name)
	if e.DryRun {
		return nil
	}
	return e.recordServiceAccount(ctx, ns, name, sa)
}

// recordServiceAccount adds sa to the Secret's list of accounts export
// added it to.
func (e *Exporter) recordServiceAccount(ctx context.Context, ns, name, sa string) error {
	for range retries {
		cur, err := get[secret](ctx, e.Kube, secretsResource, ns, name)
		if err != nil {
			return e.fail(ctx, err, "get", "secrets", ns, name)
		}
		accounts := splitList(cur.Annotations[annotationServiceAccounts])
		if slices.Contains(accounts, sa) {
			return nil
		}
		next := cur.deepCopy()
		if next.Annotations == nil {
			next.Annotations = map[string]string{}
		}
		next.Annotations[annotationServiceAccounts] = strings.Join(append(accounts, sa), ",")
		err = update(ctx, e.Kube, secretsResource, "Secret", ns, next)
		if apierrors.IsConflict(err) {
			continue
		}
		if err != nil {
			return e.fail(ctx, err, "update", "secrets", ns, name)
		}
		return nil
	}
	return fmt.Errorf("secret %s/%s in context %q kept changing while export wrote it; run export again", ns, name, e.Context)
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
