package cli

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// testApp has a command of each kind: protocol verbs, one with its own
// help and raw arguments (git), one with flags (install), one that passes
// everything on (forwarded), and one not listed (hidden).
func testApp() App {
	record := func(name string) RunFunc {
		return func(args []string, _ io.Reader, stdout, _ io.Writer, _ func(string) string) int {
			fmt.Fprintf(stdout, "ran %s %q", name, args)
			return 7
		}
	}
	var kubeContext, output string
	install := Command{
		Name: "install", Args: "[flags]", Summary: "wire it", Help: "INSTALL HELP\n",
		Flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&kubeContext, "context", "", "kubeconfig `name`")
			fs.StringVarP(&output, "output", "o", "text", "output `format`")
		},
		Run: func(args []string, _ io.Reader, stdout, _ io.Writer, _ func(string) string) int {
			fmt.Fprintf(stdout, "ran install %q context=%s output=%s", args, kubeContext, output)
			return 7
		},
	}
	return App{
		Name: "prog", Title: "does things",
		Commands: []Command{
			{Name: "get", Summary: "the protocol", Run: record("get"), Protocol: true},
			{Name: "store", Summary: "the protocol", Run: record("store"), Protocol: true},
			{Name: "git", Args: "<get|store>", Summary: "git's protocol", Help: "GIT HELP\n", Run: record("git")},
			install,
			{Name: "forwarded", Args: "[-o json]", Summary: "runs elsewhere", Run: record("forwarded")},
			{Name: "hidden", Run: record("hidden")},
		},
		About:   "ABOUT\n",
		Version: func(w, _ io.Writer) { io.WriteString(w, "v1\n") },
	}
}

const testUsage = `prog: does things

Usage:
  docker-credential-idpbuilder <get|store>          the protocol
  docker-credential-idpbuilder git <get|store>      git's protocol
  docker-credential-idpbuilder install [flags]      wire it
  docker-credential-idpbuilder forwarded [-o json]  runs elsewhere
  docker-credential-idpbuilder version              print the version
  docker-credential-idpbuilder help [COMMAND]       this text, or a command's flags

ABOUT
`

const installHelp = `Usage: docker-credential-idpbuilder install [flags]

INSTALL HELP

Flags:
      --context name    kubeconfig name
  -o, --output format   output format (default "text")
  -h, --help            print this help
`

const gitHelp = "Usage: docker-credential-idpbuilder git <get|store>\n\nGIT HELP\n"

func TestAppRun(t *testing.T) {
	for _, tc := range []struct {
		args      []string
		noVersion bool
		code      int
		stdout    string
		stderr    string // the message between "docker-credential-idpbuilder: " and "; run '... help' for usage"
	}{
		{args: nil, code: ExitUsage, stderr: "a command is required"},
		{args: []string{"fetch"}, code: ExitUsage, stderr: `unknown command "fetch"`},
		{args: []string{"--context"}, code: ExitUsage, stderr: `unknown command "--context"`},

		// The program's help.
		{args: []string{"help"}, stdout: testUsage},
		{args: []string{"--help"}, stdout: testUsage},
		{args: []string{"-h"}, stdout: testUsage},
		{args: []string{"help", "nope"}, stdout: testUsage},
		// A protocol verb reads stdin only: its help is the program's.
		{args: []string{"help", "get"}, stdout: testUsage},

		// A command's help, every way of asking for it.
		{args: []string{"help", "install"}, stdout: installHelp},
		{args: []string{"--help", "install"}, stdout: installHelp},
		{args: []string{"install", "--help"}, stdout: installHelp},
		{args: []string{"install", "-h"}, stdout: installHelp},
		{args: []string{"install", "--context=x", "--help"}, stdout: installHelp},
		{args: []string{"help", "git"}, stdout: gitHelp},
		{args: []string{"git", "--help"}, stdout: gitHelp},
		{args: []string{"git", "-h"}, stdout: gitHelp},
		{args: []string{"git", "help"}, stdout: gitHelp},
		// A forwarded command's help comes from where it runs.
		{args: []string{"help", "forwarded"}, code: 7, stdout: `ran forwarded ["--help"]`},
		{args: []string{"forwarded", "-h"}, code: 7, stdout: `ran forwarded ["-h"]`},

		// Running commands.
		{args: []string{"get"}, code: 7, stdout: `ran get []`},
		{args: []string{"get", "x"}, code: ExitUsage, stderr: `"get" takes no arguments (it reads standard input)`},
		{args: []string{"get", "--help"}, code: ExitUsage, stderr: `"get" takes no arguments (it reads standard input)`},
		{args: []string{"git", "get"}, code: 7, stdout: `ran git ["get"]`},
		{args: []string{"git", "get", "--help"}, code: 7, stdout: `ran git ["get" "--help"]`},
		{args: []string{"forwarded", "-context", "x", "now"}, code: 7, stdout: `ran forwarded ["-context" "x" "now"]`},
		{args: []string{"hidden"}, code: 7, stdout: `ran hidden []`},

		// Flags, the pflag way.
		{args: []string{"install"}, code: 7, stdout: `ran install [] context= output=text`},
		{args: []string{"install", "--context", "kind-a"}, code: 7, stdout: `ran install [] context=kind-a output=text`},
		{args: []string{"install", "--context=kind-a", "-o", "json"}, code: 7, stdout: `ran install [] context=kind-a output=json`},
		{args: []string{"install", "--output=json", "--", "--context=x"}, code: ExitUsage, stderr: `install takes flags only, not "--context=x"`},
		{args: []string{"install", "-ojson"}, code: 7, stdout: `ran install [] context= output=json`},
		{args: []string{"install", "--nope"}, code: ExitUsage, stderr: "install: unknown flag: --nope"},
		{args: []string{"install", "-x"}, code: ExitUsage, stderr: "install: unknown shorthand flag: 'x' in -x"},
		{args: []string{"install", "--context"}, code: ExitUsage, stderr: "install: flag needs an argument: --context"},
		{args: []string{"install", "now"}, code: ExitUsage, stderr: `install takes flags only, not "now"`},
		// Go's flag package took one dash; an old script is told what changed.
		{args: []string{"install", "-context", "x"}, code: ExitUsage, stderr: "install: flags take two dashes: --context, not -context"},
		{args: []string{"install", "-context=x"}, code: ExitUsage, stderr: "install: flags take two dashes: --context, not -context=x"},
		{args: []string{"install", "-output", "json"}, code: ExitUsage, stderr: "install: flags take two dashes: --output, not -output"},
		{args: []string{"install", "-help"}, code: ExitUsage, stderr: "install: flags take two dashes: --help, not -help"},

		// Version.
		{args: []string{"version"}, stdout: "v1\n"},
		{args: []string{"--version"}, stdout: "v1\n"},
		{args: []string{"-v"}, stdout: "v1\n"},
		{args: []string{"version", "x"}, code: ExitUsage, stderr: `"version" takes no arguments`},
		{args: []string{"version"}, noVersion: true, code: ExitUsage, stderr: `unknown command "version"`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			app := testApp()
			if tc.noVersion {
				app.Version = nil
			}
			var stdout, stderr bytes.Buffer
			code := app.Run(tc.args, strings.NewReader(""), &stdout, &stderr, func(string) string { return "" })
			if code != tc.code || stdout.String() != tc.stdout {
				t.Errorf("code %d stdout\n%s\nwant %d\n%s", code, stdout.String(), tc.code, tc.stdout)
			}
			wantStderr := ""
			if tc.stderr != "" {
				wantStderr = "docker-credential-idpbuilder: " + tc.stderr + "; run 'docker-credential-idpbuilder help' for usage\n"
			}
			if stderr.String() != wantStderr {
				t.Errorf("stderr %q; want %q", stderr.String(), wantStderr)
			}
		})
	}
}

// A program whose commands have no summary (the companion: users run them
// through the helper) has no command list in its usage.
func TestUsageWithoutSummaries(t *testing.T) {
	app := App{Name: "prog", Title: "the other side", About: "Run its commands elsewhere.\n",
		Commands: []Command{{Name: "install", Run: func([]string, io.Reader, io.Writer, io.Writer, func(string) string) int { return 0 }}}}
	var stdout bytes.Buffer
	if code := app.Run([]string{"help"}, nil, &stdout, io.Discard, nil); code != ExitOK || stdout.String() != "prog: the other side\n\nRun its commands elsewhere.\n" {
		t.Errorf("code %d, usage %q", code, stdout.String())
	}
}

// Each run parses into its own command table: values never leak from one
// run to the next.
func TestFlagsDoNotLeakBetweenRuns(t *testing.T) {
	var stdout bytes.Buffer
	testApp().Run([]string{"install", "--context", "a"}, nil, io.Discard, io.Discard, nil)
	testApp().Run([]string{"install"}, nil, &stdout, io.Discard, nil)
	if stdout.String() != `ran install [] context= output=text` {
		t.Errorf("second run saw %q", stdout.String())
	}
}
