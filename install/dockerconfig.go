package install

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/cnoe-io/docker-credential-idpbuilder/atomicfile"
)

// HelperName is the credHelpers value that makes docker run
// docker-credential-idpbuilder.
const HelperName = "idpbuilder"

// wire sets credHelpers[host] to us for every host and drops any auths[host]
// that holds a credential (a plain-text password left by an earlier manual
// login, which is exactly what the helper replaces). It reports each change.
func wire(o *object, hosts []string) (changes []string, err error) {
	helpers, _, err := o.subObject("credHelpers")
	if err != nil {
		return nil, err
	}
	ourValue, _ := json.Marshal(HelperName)
	for _, h := range hosts {
		if cur, ok := helpers.get(h); ok && bytes.Equal(bytes.TrimSpace(cur), ourValue) {
			continue
		}
		helpers.set(h, ourValue)
		changes = append(changes, "credHelpers["+h+"] = "+HelperName)
	}
	if len(changes) > 0 {
		o.set("credHelpers", helpers.compact())
	}
	removed, err := dropStoredAuths(o, hosts)
	if err != nil {
		return nil, err
	}
	return append(changes, removed...), nil
}

// dropStoredAuths removes auths[host] entries that carry a credential; an
// empty entry (docker writes `{}` after a login through a helper) stays.
func dropStoredAuths(o *object, hosts []string) (changes []string, err error) {
	if _, ok := o.get("auths"); !ok {
		return nil, nil
	}
	auths, _, err := o.subObject("auths")
	if err != nil {
		return nil, err
	}
	for _, h := range hosts {
		raw, ok := auths.get(h)
		if !ok {
			continue
		}
		var entry map[string]json.RawMessage
		if json.Unmarshal(raw, &entry) == nil && len(entry) == 0 {
			continue
		}
		auths.delete(h)
		changes = append(changes, "removed the stored password auths["+h+"] (left by an earlier login; the helper replaces it)")
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
