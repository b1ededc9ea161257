package cli

import (
	"fmt"
	"io"
)

// Report prints what a command does to the user's files or cluster, one
// line a step: a status (ok, changed, removed, note, warning, error) and
// what. In a dry run, changed and removed read "would change" and "would
// remove".
type Report struct {
	W      io.Writer
	DryRun bool
	// Warned is set once a warning or error line is printed.
	Warned bool
}

// Line prints one step.
func (r *Report) Line(status, format string, args ...any) {
	if r.DryRun && (status == "changed" || status == "removed") {
		status = map[string]string{"changed": "would change", "removed": "would remove"}[status]
	}
	if status == "warning" || status == "error" {
		r.Warned = true
	}
	fmt.Fprintf(r.W, "  %-12s %s\n", status, fmt.Sprintf(format, args...))
}
