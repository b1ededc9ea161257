package install

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/cli"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/jsonedit"
)

// HelperName is the credHelpers value that makes docker run
// docker-credential-idpbuilder.
const HelperName = "idpbuilder"

// wire sets credHelpers[host] to us for every host and drops the auths
// entries for host that hold the cluster's own credential (a plain-text
// password left by the `docker login` idpbuilder's documentation shows,
// which is exactly what the helper replaces). A credential that is not the
// cluster's is never removed: keepUnclaimed let the host through only when
// --registry named it, and credHelpers wins over it. It reports each change.
func wire(o *jsonedit.Object, hosts []string, creds map[string]idpbuilder.Credentials) (changes []string, err error) {
	helpers, _, err := o.SubObject("credHelpers")
	if err != nil {
		return nil, err
	}
	ourValue, _ := json.Marshal(HelperName)
	for _, h := range hosts {
		cur, ok := helpers.Get(h)
		if ok && bytes.Equal(bytes.TrimSpace(cur), ourValue) {
			continue
		}
		helpers.Set(h, ourValue)
		change := "credHelpers[" + h + "] = " + HelperName
		var was string
		if ok && json.Unmarshal(cur, &was) == nil && was != "" {
			change += fmt.Sprintf(" (was %q)", was)
		}
		changes = append(changes, change)
	}
	if len(changes) > 0 {
		o.Set("credHelpers", helpers.Compact())
	}
	removed, err := dropStoredAuths(o, hosts, creds)
	if err != nil {
		return nil, err
	}
	return append(changes, removed...), nil
}

// dropStoredAuths removes the auths entries for hosts that hold the
// cluster's credential; an empty entry (docker writes `{}` after a login
// through a helper) and anyone else's credential stay.
func dropStoredAuths(o *jsonedit.Object, hosts []string, creds map[string]idpbuilder.Credentials) (changes []string, err error) {
	if _, ok := o.Get("auths"); !ok {
		return nil, nil
	}
	auths, _, err := o.SubObject("auths")
	if err != nil {
		return nil, err
	}
	for _, h := range hosts {
		for _, k := range authKeys(auths, h) {
			raw, _ := auths.Get(k)
			if classifyAuth(raw, creds[h]) != authCluster {
				continue
			}
			auths.Delete(k)
			changes = append(changes, "removed the stored password auths["+k+"] (the cluster's, left by an earlier login; the helper replaces it)")
		}
	}
	if len(changes) > 0 {
		o.Set("auths", auths.Compact())
	}
	return changes, nil
}

// unwire removes every credHelpers entry whose value is ours, and
// credHelpers itself when that leaves it empty.
func unwire(o *jsonedit.Object) (changes []string, err error) {
	if _, ok := o.Get("credHelpers"); !ok {
		return nil, nil
	}
	helpers, _, err := o.SubObject("credHelpers")
	if err != nil {
		return nil, err
	}
	for _, h := range helpers.Keys() {
		raw, _ := helpers.Get(h)
		var v string
		if json.Unmarshal(raw, &v) == nil && v == HelperName {
			helpers.Delete(h)
			changes = append(changes, "removed credHelpers["+h+"]")
		}
	}
	if len(changes) == 0 {
		return nil, nil
	}
	if helpers.Len() == 0 {
		o.Delete("credHelpers")
	} else {
		o.Set("credHelpers", helpers.Compact())
	}
	return changes, nil
}

// wireContainersFile wires a containers auth file that holds a credential
// for one of the hosts; one that holds none is left alone.
func wireContainersFile(rep *cli.Report, path string, hosts []string, creds map[string]idpbuilder.Credentials, dryRun bool) error {
	changes, err := jsonedit.EditFile(path, false, dryRun, func(o *jsonedit.Object) ([]string, error) {
		if !holdsAuthFor(o, hosts) {
			return nil, nil
		}
		return wire(o, hosts, creds)
	})
	if err == nil && len(changes) > 0 {
		reportFile(rep, "containers auth "+path, changes)
	}
	return err
}

// holdsAuthFor reports whether a containers auth file holds a credential
// for one of the hosts under any key form (see heldAuths): skopeo, podman
// and buildah would use it instead of the docker config's credHelpers.
func holdsAuthFor(o *jsonedit.Object, hosts []string) bool {
	auths, _, err := o.SubObject("auths")
	if err != nil {
		return true // let wire report the malformed file
	}
	return slices.ContainsFunc(hosts, func(h string) bool { return len(heldAuths(auths, h)) > 0 })
}

// reportFile says what an edit of a file changed, or that it was set.
func reportFile(rep *cli.Report, what string, changes []string) {
	if len(changes) == 0 {
		rep.Line("ok", "%s: already set", what)
		return
	}
	rep.Line("changed", "%s: %s", what, strings.Join(changes, "; "))
}
