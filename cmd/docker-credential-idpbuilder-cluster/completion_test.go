package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/cli"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/companion"
)

// The script the helper's `completion bash` prints (the companion writes
// it) loads in a real bash and completes the user commands, and each
// command's flags as its table declares them.
func TestBashCompletionOfTheCommandTable(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	var script, stderr bytes.Buffer
	if code := run([]string{"completion", "bash"}, nil, &script, &stderr, func(string) string { return "" }); code != exitOK {
		t.Fatalf("completion bash: code %d: %s", code, stderr.String())
	}
	path := filepath.Join(t.TempDir(), "completion.bash")
	if err := os.WriteFile(path, script.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	complete := func(words ...string) []string {
		t.Helper()
		const drive = `source "$0" || exit 9
COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
_docker_credential_idpbuilder
printf '%s\n' "${COMPREPLY[@]}"`
		out, err := exec.Command("bash", append([]string{"--norc", "--noprofile", "-c", drive, path}, words...)...).Output()
		if err != nil {
			t.Fatalf("bash completing %q: %v", words, err)
		}
		got := strings.Fields(string(out))
		slices.Sort(got)
		return got
	}

	wantCommands := append(companion.ForwardedNames(), "completion", "version", "help")
	slices.Sort(wantCommands)
	if got := complete(cli.Name, ""); !slices.Equal(got, wantCommands) {
		t.Errorf("commands: got %q, want %q", got, wantCommands)
	}
	for _, c := range app().Commands {
		if !slices.Contains(companion.ForwardedNames(), c.Name) || c.Flags == nil {
			continue
		}
		// The flags as the App parses them: the table's, then --help.
		fs := pflag.NewFlagSet(c.Name, pflag.ContinueOnError)
		c.Flags(fs)
		want := []string{"--help"}
		fs.VisitAll(func(f *pflag.Flag) { want = append(want, "--"+f.Name) })
		slices.Sort(want)
		if got := complete(cli.Name, c.Name, "--"); !slices.Equal(got, want) {
			t.Errorf("%s --: got %q, want %q", c.Name, got, want)
		}
	}
	// install's flags, named here so that the test cannot agree with an
	// empty table.
	if got := complete(cli.Name, "install", "--"); !slices.Equal(got, []string{"--context", "--docker-config", "--dry-run", "--git", "--help", "--kubeconfig", "--registry", "--trust-ca"}) {
		t.Errorf("install --: got %q", got)
	}
	if got := complete(cli.Name, "status", "-"); !slices.Contains(got, "-o") || !slices.Contains(got, "--output") {
		t.Errorf("status -: got %q, want -o and --output among them", got)
	}
}
