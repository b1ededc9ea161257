package jsonedit

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/atomicfile"
)

// EditFile applies edit to the JSON object in path and writes the result
// atomically, unless dryRun. A missing file is an empty object when create is
// true, and left alone otherwise. A file that does not parse is never
// written. When another process (docker login, say) replaces the file
// between our read and our write, the edit is redone on its content.
func EditFile(path string, create, dryRun bool, edit func(*Object) ([]string, error)) (changes []string, err error) {
	for attempt := 0; attempt < 10; attempt++ {
		data, err := os.ReadFile(path)
		exists := err == nil
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
		if !exists && !create {
			return nil, nil
		}
		o, lay := NewObject(), Layout{Indent: "\t"}
		if exists && len(bytes.TrimSpace(data)) > 0 {
			if o, err = Parse(data); err != nil {
				return nil, fmt.Errorf("%s is not valid JSON (%v); it was left untouched: fix it, then run the command again", path, err)
			}
			lay = DetectLayout(data)
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
		err = atomicfile.Replace(path, expect, o.Render(lay.Indent, lay.TrailingNewline), 0o600)
		if errors.Is(err, atomicfile.ErrChanged) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("writing %s: %w", path, err)
		}
		return changes, nil
	}
	return nil, fmt.Errorf("%s kept changing while it was being edited; run the command again", path)
}
