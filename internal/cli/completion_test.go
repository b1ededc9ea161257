package cli

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// completionApp is testApp with a command whose flags take files, folders
// and contexts, and the completion command for install, files and
// forwarded.
func completionApp() App {
	a := testApp()
	a.Commands = append(a.Commands, Command{Name: "files", Summary: "takes paths",
		Flags: func(fs *pflag.FlagSet) {
			fs.String("kubeconfig", "", "kubeconfig `path`")
			fs.String("docker-config", "", "docker config `folder`")
			fs.String("context", "", "kubeconfig `context`")
			fs.StringArray("registry", nil, "registry `host:port` (repeatable)")
			fs.Bool("dry-run", false, "print, don't write")
		},
		Run: func([]string, io.Reader, io.Writer, io.Writer, func(string) string) int { return 0 }})
	return a.WithCompletion("install", "files", "forwarded")
}

// completionScript prints app's script for shell into a file.
func completionScript(t *testing.T, app App, shell string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := app.Run([]string{CompletionCommand, shell}, nil, &stdout, &stderr, nil); code != ExitOK || stderr.Len() > 0 {
		t.Fatalf("completion %s: code %d, stderr %q", shell, code, stderr.String())
	}
	p := filepath.Join(t.TempDir(), "completion."+shell)
	if err := os.WriteFile(p, stdout.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// bashComplete loads script in a real bash and runs its completion function
// on the command line words (the last one is the word being completed), as
// bash does on TAB, in dir.
func bashComplete(t *testing.T, script, dir string, words ...string) []string {
	t.Helper()
	const drive = `source "$0" || exit 9
COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
_docker_credential_idpbuilder
printf '%s\n' "${COMPREPLY[@]}"`
	cmd := exec.Command("bash", append([]string{"--norc", "--noprofile", "-c", drive, script}, words...)...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		t.Fatalf("bash completing %q: %v: %s", words, err, stderr.String())
	}
	got := strings.Fields(string(out))
	slices.Sort(got)
	return got
}

func TestBashCompletion(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	script := completionScript(t, completionApp(), "bash")
	dir := t.TempDir()
	for _, name := range []string{"kube.yaml", "kube-other.yaml", "dot.d/x"} {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
		os.WriteFile(filepath.Join(dir, name), nil, 0o644)
	}
	os.Mkdir(filepath.Join(dir, "docker"), 0o755)
	p := Name
	for _, tc := range []struct {
		words []string
		want  string
	}{
		{[]string{p, ""}, "completion files forwarded help install version"},
		{[]string{p, "in"}, "install"},
		{[]string{p, "install", "--"}, "--context --help --output"},
		{[]string{p, "install", "-"}, "--context --help --output -h -o"},
		{[]string{p, "install", "--con"}, "--context"},
		{[]string{p, "install", "--context", ""}, ""}, // a value nothing suggests, not the flags
		{[]string{p, "install", "--context", "kind", "--o"}, "--output"},
		{[]string{p, "files", "--"}, "--context --docker-config --dry-run --help --kubeconfig --registry"},
		{[]string{p, "files", "--kubeconfig", "ku"}, "kube-other.yaml kube.yaml"},
		{[]string{p, "files", "--kubeconfig", "=", "kube."}, "kube.yaml"},
		{[]string{p, "files", "--kubeconfig", "="}, "docker dot.d kube-other.yaml kube.yaml"},
		{[]string{p, "files", "--docker-config", ""}, "docker dot.d"},
		{[]string{p, "files", "--dry-run", "--r"}, "--registry"},
		{[]string{p, "completion", ""}, "bash fish zsh"},
		{[]string{p, "completion", "z"}, "zsh"},
		{[]string{p, "help", ""}, "completion files forwarded install version"},
		{[]string{p, "help", "install", ""}, ""},
		{[]string{p, "version", ""}, ""},
		{[]string{p, "get", ""}, ""},
	} {
		t.Run(strings.Join(tc.words, " "), func(t *testing.T) {
			if got := strings.Join(bashComplete(t, script, dir, tc.words...), " "); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// The zsh script loads after compinit and registers its function; fish
// completes a command's flags from it (complete -C runs fish's own
// completion). Each runs where the shell is installed.
func TestZshAndFishCompletion(t *testing.T) {
	t.Run("zsh", func(t *testing.T) {
		if _, err := exec.LookPath("zsh"); err != nil {
			t.Skip("no zsh")
		}
		script := completionScript(t, completionApp(), "zsh")
		out, err := exec.Command("zsh", "-f", "-c", `autoload -U compinit && compinit -u -D && source "$0" && print -r -- $_comps[`+Name+`]`, script).CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != funcName() {
			t.Fatalf("zsh: %v: %s", err, out)
		}
	})
	t.Run("fish", func(t *testing.T) {
		if _, err := exec.LookPath("fish"); err != nil {
			t.Skip("no fish")
		}
		script := completionScript(t, completionApp(), "fish")
		for line, want := range map[string]string{
			Name + " in":          "install",
			Name + " install --":  "--context --help --output",
			Name + " completion ": "bash fish zsh",
			Name + " files --dr":  "--dry-run",
		} {
			out, err := exec.Command("fish", "--no-config", "-c", `source $argv[1]; and complete -C $argv[2]`, script, line).CombinedOutput()
			if err != nil {
				t.Fatalf("fish: %v: %s", err, out)
			}
			var got []string
			for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				got = append(got, strings.SplitN(l, "\t", 2)[0])
			}
			slices.Sort(got)
			if strings.Join(got, " ") != want {
				t.Errorf("fish %q: got %q, want %q", line, got, want)
			}
		}
	})
}

func TestCompletionCommand(t *testing.T) {
	app := completionApp()
	for _, tc := range []struct {
		args   []string
		code   int
		stdout string // prefix
		stderr string
	}{
		{args: []string{"completion", "bash"}, stdout: "# bash completion for docker-credential-idpbuilder: source <(docker-credential-idpbuilder completion bash)\n"},
		{args: []string{"completion", "zsh"}, stdout: "#compdef docker-credential-idpbuilder\n"},
		{args: []string{"completion", "fish"}, stdout: "# fish completion for docker-credential-idpbuilder"},
		{args: []string{"completion", "--help"}, stdout: "Usage: docker-credential-idpbuilder completion bash|zsh|fish\n\nPrints a script"},
		{args: []string{"completion"}, code: ExitUsage, stderr: "docker-credential-idpbuilder: completion takes one shell: bash, zsh, fish; run 'docker-credential-idpbuilder help' for usage\n"},
		{args: []string{"completion", "powershell"}, code: ExitUsage, stderr: "docker-credential-idpbuilder: completion takes one shell: bash, zsh, fish; run 'docker-credential-idpbuilder help' for usage\n"},
		{args: []string{"completion", "bash", "zsh"}, code: ExitUsage, stderr: "docker-credential-idpbuilder: completion takes one shell: bash, zsh, fish; run 'docker-credential-idpbuilder help' for usage\n"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := app.Run(tc.args, nil, &stdout, &stderr, nil)
			if code != tc.code || !strings.HasPrefix(stdout.String(), tc.stdout) || stderr.String() != tc.stderr {
				t.Errorf("code %d, stdout %.80q, stderr %q", code, stdout.String(), stderr.String())
			}
		})
	}
	// A name that is not a command of the table is a bug to see at once.
	var stderr bytes.Buffer
	if code := testApp().WithCompletion("nope").Run([]string{"completion", "bash"}, nil, io.Discard, &stderr, nil); code != ExitError || !strings.Contains(stderr.String(), `no command "nope"`) {
		t.Errorf("code %d, stderr %q", code, stderr.String())
	}
}
