package export

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// MinimalRole names the README's Role for export, which Forbidden errors
// point at.
const MinimalRole = "the idpbuilder-export Role in README.md (section export)"

// APIError is an answer of the API server to one call, worded for the
// user: the server's own message is never quoted (an Invalid answer about
// a Secret may echo its data).
type APIError struct {
	Code int
	// Verb and Resource name the call: list secrets, patch serviceaccounts.
	Verb, Resource string
	msg            string
}

func (e *APIError) Error() string { return e.msg }

func isNotFound(err error) bool {
	var a *APIError
	return errors.As(err, &a) && a.Code == http.StatusNotFound
}

// IsForbidden reports whether err is the API server's 403.
func IsForbidden(err error) bool {
	var a *APIError
	return errors.As(err, &a) && a.Code == http.StatusForbidden
}

// IsListForbidden reports whether err is a 403 to listing what export
// wrote: the user may not list Secrets in all namespaces, so export's
// Secrets cannot be found (a user of namespaced Roles only).
func IsListForbidden(err error) bool {
	var a *APIError
	return errors.As(err, &a) && a.Code == http.StatusForbidden && a.Verb == "list"
}

// fail words an error of one call (verb on resource ns/name) in one line.
func (e *Exporter) fail(ctx context.Context, err error, verb, resource, ns, name string) error {
	obj := resource
	switch {
	case name != "" && ns != "":
		obj = fmt.Sprintf("%s %s/%s", strings.TrimSuffix(resource, "s"), ns, name)
	case ns != "":
		obj = fmt.Sprintf("%s in namespace %s", resource, ns)
	case verb == "list" && resource != "namespaces":
		obj = resource + " in all namespaces"
	}
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		if e.Unreachable != nil {
			return e.Unreachable(ctx, err, verb+" "+obj)
		}
		return fmt.Errorf("cannot %s %s in context %q: the API server could not be asked", verb, obj, e.Context)
	}
	code := int(status.Status().Code)
	where := ""
	switch {
	case ns != "":
		where = " in namespace " + ns
	case resource != "namespaces":
		where = " in all namespaces"
	}
	var msg string
	switch {
	case apierrors.IsForbidden(err):
		msg = fmt.Sprintf("forbidden: the user of context %q may not %s %s%s (403); grant it %s", e.Context, verb, resource, where, MinimalRole)
	case apierrors.IsUnauthorized(err):
		msg = fmt.Sprintf("the API server of context %q rejected the kubeconfig's credentials (401 Unauthorized) to %s %s: log in to the cluster again", e.Context, verb, obj)
	case apierrors.IsNotFound(err) && ns != "" && verb == "create":
		msg = fmt.Sprintf("namespace %q does not exist in context %q", ns, e.Context)
	case apierrors.IsNotFound(err):
		msg = fmt.Sprintf("%s not found in context %q", obj, e.Context)
	case apierrors.IsInvalid(err):
		var fields []string
		if d := status.Status().Details; d != nil {
			for _, c := range d.Causes {
				fields = append(fields, c.Field)
			}
		}
		msg = fmt.Sprintf("the API server of context %q refused to %s %s: invalid %s", e.Context, verb, obj, strings.Join(fields, ", "))
	case apierrors.IsConflict(err):
		msg = fmt.Sprintf("%s in context %q changed while export wrote it; run the command again", obj, e.Context)
	case code < 300:
		msg = fmt.Sprintf("the API server of context %q answered %s %s with something that is not the object asked for", e.Context, verb, obj)
	default:
		msg = fmt.Sprintf("the API server of context %q answered %d %s to %s %s", e.Context, code, http.StatusText(code), verb, obj)
	}
	return &APIError{Code: code, Verb: verb, Resource: resource, msg: msg}
}
