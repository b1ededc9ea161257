package install

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/atomicfile"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
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
func wire(o *object, hosts []string, creds map[string]idpbuilder.Credentials) (changes []string, err error) {
	helpers, _, err := o.subObject("credHelpers")
	if err != nil {
		return nil, err
	}
	ourValue, _ := json.Marshal(HelperName)
	for _, h := range hosts {
		cur, ok := helpers.get(h)
		if ok && bytes.Equal(bytes.TrimSpace(cur), ourValue) {
			continue
		}
		helpers.set(h, ourValue)
		change := "credHelpers[" + h + "] = " + HelperName
		var was string
		if ok && json.Unmarshal(cur, &was) == nil && was != "" {
			change += fmt.Sprintf(" (was %q)", was)
		}
		changes = append(changes, change)
	}
	if len(changes) > 0 {
		o.set("credHelpers", helpers.compact())
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
func dropStoredAuths(o *object, hosts []string, creds map[string]idpbuilder.Credentials) (changes []string, err error) {
	if _, ok := o.get("auths"); !ok {
		return nil, nil
	}
	auths, _, err := o.subObject("auths")
	if err != nil {
		return nil, err
	}
	for _, h := range hosts {
		for _, k := range authKeys(auths, h) {
			raw, _ := auths.get(k)
			if classifyAuth(raw, creds[h]) != authCluster {
				continue
			}
			auths.delete(k)
			changes = append(changes, "removed the stored password auths["+k+"] (the cluster's, left by an earlier login; the helper replaces it)")
		}
	}
	if len(changes) > 0 {
		o.set("auths", auths.compact())
	}
	return changes, nil
}

// unwire removes every credHelpers entry whose value is ours, and
// credHelpers itself when that leaves it empty.
func unwire(o *object) (changes []string, err error) {
	if _, ok := o.get("credHelpers"); !ok {
		return nil, nil
	}
	helpers, _, err := o.subObject("credHelpers")
	if err != nil {
		return nil, err
	}
	for _, h := range append([]string(nil), helpers.keys...) {
		var v string
		if json.Unmarshal(helpers.values[h], &v) == nil && v == HelperName {
			helpers.delete(h)
			changes = append(changes, "removed credHelpers["+h+"]")
		}
	}
	if len(changes) == 0 {
		return nil, nil
	}
	if helpers.len() == 0 {
		o.delete("credHelpers")
	} else {
		o.set("credHelpers", helpers.compact())
	}
	return changes, nil
}

// editJSONFile applies edit to the JSON object in path and writes the result
// atomically, unless dryRun. A missing file is an empty object when create is
// true, and left alone otherwise. A file that does not parse is never
// written. When another process (docker login, say) replaces the file
// between our read and our write, the edit is redone on its content.
func editJSONFile(path string, create, dryRun bool, edit func(*object) ([]string, error)) (changes []string, err error) {
	for attempt := 0; attempt < 10; attempt++ {
		data, err := os.ReadFile(path)
		exists := err == nil
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
		if !exists && !create {
			return nil, nil
		}
		o, lay := newObject(), layout{indent: "\t"}
		if exists && len(bytes.TrimSpace(data)) > 0 {
			if o, err = parseObject(data); err != nil {
				return nil, fmt.Errorf("%s is not valid JSON (%v); it was left untouched: fix it, then run install again", path, err)
			}
			lay = detectLayout(data)
		}
		changes, err := edit(o)
		if err != nil {
			return nil, fmt.Errorf("%s: %w; it was left untouched", path, err)
		}
		if len(changes) == 0 || dryRun {
			return changes, nil
		}
		expect := data
		if !exists {
			expect = []byte{} // must still be absent (or empty) when we write
		}
		err = atomicfile.Replace(path, expect, o.render(lay.indent, lay.trailingNewline), 0o600)
		if errors.Is(err, atomicfile.ErrChanged) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("writing %s: %w", path, err)
		}
		return changes, nil
	}
	return nil, fmt.Errorf("%s kept changing while install edited it; run install again", path)
}
