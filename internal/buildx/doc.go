// Package buildx reads and edits buildx's own files: the default BuildKit
// configuration that new builders copy, and the builders buildx keeps in its
// instances folder.
package buildx
