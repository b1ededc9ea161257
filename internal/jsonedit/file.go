package jsonedit

import (
	"bytes"
	"fmt"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/atomicfile"
)

// EditFile applies edit to the JSON object in path and writes the result
// with atomicfile.Edit, unless dryRun. A missing file is an empty object
// when create is true, and left alone otherwise. A file that does not parse
// is never written.
func EditFile(path string, create, dryRun bool, edit func(*Object) ([]string, error)) (changes []string, err error) {
	_, err = atomicfile.Edit(path, 0o600, dryRun, func(data []byte, exists bool) ([]byte, bool, error) {
		changes = nil
		if !exists && !create {
			return nil, false, nil
		}
		o, lay := NewObject(), Layout{Indent: "\t"}
		if exists && len(bytes.TrimSpace(data)) > 0 {
			var err error
			if o, err = Parse(data); err != nil {
				return nil, false, fmt.Errorf("%s is not valid JSON (%v); it was left untouched: fix it, then run the command again", path, err)
			}
			lay = DetectLayout(data)
		}
		var err error
		if changes, err = edit(o); err != nil {
			return nil, false, fmt.Errorf("%s: %w; it was left untouched", path, err)
		}
		return o.Render(lay.Indent, lay.TrailingNewline), len(changes) > 0, nil
	})
	if err != nil {
		return nil, err
	}
	return changes, nil
}
