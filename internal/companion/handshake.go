package companion

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/cli"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/version"
)

// The handshake: every command line the helper gives the companion starts
// with --helper-version=V, V the helper's version, and the companion refuses
// to run for a helper of another release (version.Compatible) with one line
// that says so, before it reads anything else. A user who upgraded only one
// of the two programs gets that line on the first call that needs the
// companion, where any change of the request, the reply or a forwarded
// command's flags would otherwise fail in ways that name neither program's
// version. It is the one part of the contract that never changes: its flag,
// its place first on the line, and the refusal going out as Reply.Error
// (read-secret) or one line on stderr (everything else).
const helperVersionFlag = "--helper-version="

// WithHelperVersion is the companion's command line args, as the helper of
// helperVersion runs it.
func WithHelperVersion(helperVersion string, args []string) []string {
	return append([]string{helperVersionFlag + helperVersion}, args...)
}

// TakeHelperVersion splits the helper's version off a companion command
// line. ok is false when there is none: a person ran the companion.
func TakeHelperVersion(args []string) (helperVersion string, rest []string, ok bool) {
	if len(args) == 0 || !strings.HasPrefix(args[0], helperVersionFlag) {
		return "", args, false
	}
	return strings.TrimPrefix(args[0], helperVersionFlag), args[1:], true
}

// MismatchError is the companion's refusal of a helper from another
// release.
type MismatchError struct {
	Helper    string // the helper's version
	Companion string // the companion's version
	Path      string // the companion's path; empty when unknown
}

func (e *MismatchError) Error() string {
	at := ""
	if e.Path != "" {
		at = " at " + e.Path
	}
	return fmt.Sprintf("docker-credential-idpbuilder %s cannot use %s %s%s: they come from different releases; %s",
		e.Helper, Program, e.Companion, at, ReinstallBoth)
}

// ReinstallBoth is what to do when the two programs are of different
// releases: every way of installing them installs both.
const ReinstallBoth = "install both again from one release (brew upgrade docker-credential-idpbuilder, the release archive, which holds both, or go install github.com/cnoe-io/docker-credential-idpbuilder/cmd/...@VERSION)"

// AcceptHelper is the companion's side of the handshake, the first thing
// it does: it takes the helper's version off args and returns the rest. A
// helper of another release than own is refused: the one line goes out as
// the Reply of read-secret, or on stderr for a forwarded command, and ok is
// false (the companion exits with status 1). path is the companion's own,
// for the line.
func AcceptHelper(args []string, own, path string, stdout, stderr io.Writer) (rest []string, ok bool) {
	helperVersion, rest, sent := TakeHelperVersion(args)
	if !sent {
		return rest, true
	}
	err := CheckHelper(helperVersion, own, path)
	if err == nil {
		return rest, true
	}
	if len(rest) > 0 && rest[0] == ReadSecretCommand {
		json.NewEncoder(stdout).Encode(Reply{Error: err.Error()})
	} else {
		fmt.Fprintf(stderr, "%s: %v\n", cli.Name, err)
	}
	return nil, false
}

// CheckHelper is the companion's side of the handshake: nil when a helper
// of helperVersion may use a companion of own at path.
func CheckHelper(helperVersion, own, path string) error {
	if version.Compatible(helperVersion, own) {
		return nil
	}
	return &MismatchError{Helper: helperVersion, Companion: own, Path: path}
}

// ProgramVersion runs `program version` (no handshake: a companion of any
// release answers it) and returns the version it prints.
func ProgramVersion(ctx context.Context, program string) (string, error) {
	cmd := exec.CommandContext(ctx, program, "version")
	cmd.WaitDelay = waitDelay
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s version failed: %w", program, err)
	}
	v, err := version.Parse(string(out), Program)
	if err != nil {
		return "", fmt.Errorf("%s version: %w", program, err)
	}
	return v, nil
}

// VersionTimeout bounds ProgramVersion for the helper's version command.
const VersionTimeout = 5 * time.Second
