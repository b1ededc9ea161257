package export

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// This file keeps what Apply wrote: refresh it, list it, remove it.

// selector finds every object export wrote.
var selector = ManagedByLabel + "=" + ManagedBy

// Exported is one Secret export wrote, as status shows it.
type Exported struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// Registries are the auths keys it holds.
	Registries []string `json:"registries"`
	// Stale: its auths differ from what the cluster's Gitea secret gives
	// now (the password changed, the token was re-created).
	Stale bool `json:"stale"`
	// Unknown: its source could not be read, so staleness is not known.
	Unknown string `json:"unknown,omitempty"`
}

// ownedSecrets lists the Secrets export wrote, in every namespace.
func (e *Exporter) ownedSecrets(ctx context.Context) ([]secret, error) {
	out, err := list[secret](ctx, e.Kube, secretsResource, metav1.NamespaceAll, selector)
	if err != nil {
		return nil, e.fail(ctx, err, "list", "secrets", "", "")
	}
	slices.SortFunc(out, func(a, b secret) int {
		return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
	})
	return out, nil
}

// sourcesOf reads the sources a Secret records.
func sourcesOf(s *secret) ([]Source, error) {
	var sources []Source
	if err := json.Unmarshal([]byte(s.Annotations[annotationSources]), &sources); err != nil || len(sources) == 0 {
		return nil, fmt.Errorf("secret %s/%s has no readable %s annotation: export it again", s.Namespace, s.Name, annotationSources)
	}
	return sources, nil
}

// rebuild is what the Secret's .dockerconfigjson should hold now, read
// from its sources (each read once per cache).
func (e *Exporter) rebuild(ctx context.Context, s *secret, cache map[string]map[string]credential) ([]byte, []string, string, error) {
	sources, err := sourcesOf(s)
	if err != nil {
		return nil, nil, "", err
	}
	key, _ := json.Marshal(sources)
	creds, ok := cache[string(key)]
	if !ok {
		if creds, _, err = e.readSources(ctx, sources); err != nil {
			return nil, nil, "", err
		}
		cache[string(key)] = creds
	}
	data, keys := buildConfig(creds)
	used := ""
	for _, c := range creds {
		used = c.Key
		break
	}
	return data, keys, used, nil
}

// List lists the Secrets export wrote in the cluster and says which are
// stale. It never returns a credential.
func (e *Exporter) List(ctx context.Context) ([]Exported, error) {
	secrets, err := e.ownedSecrets(ctx)
	if err != nil {
		return nil, err
	}
	cache := map[string]map[string]credential{}
	var out []Exported
	for i := range secrets {
		s := &secrets[i]
		x := Exported{Namespace: s.Namespace, Name: s.Name, Registries: splitList(s.Annotations[AnnotationRegistries])}
		data, _, _, err := e.rebuild(ctx, s, cache)
		if err != nil {
			x.Unknown = err.Error()
		} else {
			x.Stale = string(s.Data[dockerConfigJSONKey]) != string(data)
		}
		out = append(out, x)
	}
	return out, nil
}

// Refresh rewrites every Secret export wrote whose auths differ from what
// its source gives now. A Secret it cannot refresh is reported and the
// others are still done; the error joins the failures.
func (e *Exporter) Refresh(ctx context.Context) error {
	secrets, err := e.ownedSecrets(ctx)
	if err != nil {
		return err
	}
	cache := map[string]map[string]credential{}
	var errs []error
	for i := range secrets {
		if err := e.refreshOne(ctx, &secrets[i], cache); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (e *Exporter) refreshOne(ctx context.Context, s *secret, cache map[string]map[string]credential) error {
	for range retries {
		data, keys, used, err := e.rebuild(ctx, s, cache)
		if err != nil {
			return err
		}
		if string(s.Data[dockerConfigJSONKey]) == string(data) {
			e.line("ok", "exported secret %s/%s is current", s.Namespace, s.Name)
			return nil
		}
		next := s.deepCopy()
		next.Data = map[string][]byte{dockerConfigJSONKey: data}
		next.Annotations[AnnotationRegistries] = strings.Join(keys, ",")
		next.Annotations[annotationCredential] = used
		if !e.DryRun {
			err = update(ctx, e.Kube, secretsResource, "Secret", s.Namespace, next)
		}
		if apierrors.IsConflict(err) {
			cur, gerr := get[secret](ctx, e.Kube, secretsResource, s.Namespace, s.Name)
			if gerr != nil {
				return e.fail(ctx, gerr, "get", "secrets", s.Namespace, s.Name)
			}
			s = cur
			continue
		}
		if err != nil {
			return e.fail(ctx, err, "update", "secrets", s.Namespace, s.Name)
		}
		e.line("changed", "exported secret %s/%s updated with the cluster's current credential", s.Namespace, s.Name)
		return nil
	}
	return fmt.Errorf("secret %s/%s in context %q kept changing while refresh wrote it; run refresh again", s.Namespace, s.Name, e.Context)
}

// Delete removes the Secret r names from r's namespaces, with the CA
// ConfigMap written with it and the ServiceAccount entries export added.
// A Secret of that name that export did not write is left, with a warning.
func (e *Exporter) Delete(ctx context.Context, r Request) error {
	if err := r.Validate(); err != nil {
		return err
	}
	nss, err := e.namespaces(ctx, r)
	if err != nil {
		return err
	}
	for _, ns := range nss {
		s, err := get[secret](ctx, e.Kube, secretsResource, ns, r.Name)
		if apierrors.IsNotFound(err) {
			e.line("ok", "secret %s/%s: none", ns, r.Name)
			continue
		}
		if err != nil {
			return e.fail(ctx, err, "get", "secrets", ns, r.Name)
		}
		if !owned(s) {
			e.line("warning", "secret %s/%s was not written by %s: left alone", ns, r.Name, ManagedBy)
			continue
		}
		if err := e.remove(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

// DeleteAll removes everything export wrote in the cluster (uninstall):
// every Secret with the ServiceAccount entries it added, every ConfigMap.
func (e *Exporter) DeleteAll(ctx context.Context) error {
	secrets, err := e.ownedSecrets(ctx)
	if err != nil {
		return err
	}
	for i := range secrets {
		if err := e.remove(ctx, &secrets[i]); err != nil {
			return err
		}
	}
	cms, err := list[configMap](ctx, e.Kube, configMapsResource, metav1.NamespaceAll, selector)
	if err != nil {
		return e.fail(ctx, err, "list", "configmaps", "", "")
	}
	for _, cm := range cms {
		if err := e.deleteConfigMap(ctx, cm.Namespace, cm.Name); err != nil {
			return err
		}
	}
	return nil
}

// remove takes the Secret out of the ServiceAccounts export added it to,
// deletes its CA ConfigMap, then the Secret.
func (e *Exporter) remove(ctx context.Context, s *secret) error {
	for _, sa := range splitList(s.Annotations[annotationServiceAccounts]) {
		removed, err := e.patchPullSecrets(ctx, s.Namespace, sa, func(list []localObjectReference) ([]localObjectReference, bool) {
			i := slices.IndexFunc(list, func(r localObjectReference) bool { return r.Name == s.Name })
			if i < 0 {
				return list, false
			}
			return slices.Delete(slices.Clone(list), i, i+1), true
		})
		if isNotFound(err) {
			continue // the account is gone, and its entry with it
		}
		if err != nil {
			return err
		}
		if removed {
			e.line("removed", "serviceaccount %s/%s: %s taken out of imagePullSecrets", s.Namespace, sa, s.Name)
		}
	}
	if cm := s.Annotations[annotationCAConfigMap]; cm != "" {
		if err := e.deleteConfigMap(ctx, s.Namespace, cm); err != nil {
			return err
		}
	}
	if !e.DryRun {
		uid, rv := s.UID, s.ResourceVersion
		err := deleteObject(ctx, e.Kube, secretsResource, s.Namespace, s.Name, metav1.Preconditions{UID: &uid, ResourceVersion: &rv})
		if apierrors.IsConflict(err) {
			// Changed since it was read (refreshed, say): still ours by
			// its label, which the read checked; delete what is there.
			err = deleteObject(ctx, e.Kube, secretsResource, s.Namespace, s.Name, metav1.Preconditions{UID: &uid})
		}
		if err != nil && !apierrors.IsNotFound(err) {
			return e.fail(ctx, err, "delete", "secrets", s.Namespace, s.Name)
		}
	}
	e.line("removed", "secret %s/%s", s.Namespace, s.Name)
	return nil
}

// deleteConfigMap deletes ns/name when export wrote it.
func (e *Exporter) deleteConfigMap(ctx context.Context, ns, name string) error {
	cm, err := get[configMap](ctx, e.Kube, configMapsResource, ns, name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return e.fail(ctx, err, "get", "configmaps", ns, name)
	}
	if !owned(cm) {
		e.line("warning", "configmap %s/%s was not written by %s: left alone", ns, name, ManagedBy)
		return nil
	}
	if !e.DryRun {
		uid := cm.UID
		if err := deleteObject(ctx, e.Kube, configMapsResource, ns, name, metav1.Preconditions{UID: &uid}); err != nil && !apierrors.IsNotFound(err) {
			return e.fail(ctx, err, "delete", "configmaps", ns, name)
		}
	}
	e.line("removed", "configmap %s/%s", ns, name)
	return nil
}
