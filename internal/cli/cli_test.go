package cli

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
)

func testApp() App {
	record := func(name string) RunFunc {
		return func(args []string, _ io.Reader, stdout, _ io.Writer, _ func(string) string) int {
			fmt.Fprintf(stdout, "ran %s %q", name, args)
			return 7
		}
	}
	return App{
		Usage: "USAGE\n",
		Commands: []Command{
			{Name: "get", Run: record("get"), Protocol: true},
			{Name: "install", Run: record("install")},
		},
		Version: func(w io.Writer) { io.WriteString(w, "v1\n") },
	}
}

func TestAppRun(t *testing.T) {
	for _, tc := range []struct {
		args       []string
		noVersion  bool
		code       int
		stdout     string
		stderrHas  string
		stderrNone bool
	}{
		{args: nil, code: ExitUsage, stderrHas: "a command is required; run 'docker-credential-idpbuilder help' for usage"},
		{args: []string{"help"}, code: ExitOK, stdout: "USAGE\n", stderrNone: true},
		{args: []string{"--help"}, code: ExitOK, stdout: "USAGE\n", stderrNone: true},
		{args: []string{"-h"}, code: ExitOK, stdout: "USAGE\n", stderrNone: true},
		{args: []string{"help", "install"}, code: 7, stdout: `ran install ["--help"]`, stderrNone: true},
		// A protocol verb reads stdin only: its help is the program's.
		{args: []string{"help", "get"}, code: ExitOK, stdout: "USAGE\n", stderrNone: true},
		{args: []string{"help", "nope"}, code: ExitOK, stdout: "USAGE\n", stderrNone: true},
		{args: []string{"install", "--context=x"}, code: 7, stdout: `ran install ["--context=x"]`, stderrNone: true},
		{args: []string{"get"}, code: 7, stdout: `ran get []`, stderrNone: true},
		{args: []string{"version"}, code: ExitOK, stdout: "v1\n", stderrNone: true},
		{args: []string{"--version"}, code: ExitOK, stdout: "v1\n", stderrNone: true},
		{args: []string{"version", "x"}, code: ExitUsage, stderrHas: `"version" takes no arguments`},
		{args: []string{"version"}, noVersion: true, code: ExitUsage, stderrHas: `unknown command "version"`},
		{args: []string{"fetch"}, code: ExitUsage, stderrHas: `unknown command "fetch"`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			app := testApp()
			if tc.noVersion {
				app.Version = nil
			}
			var stdout, stderr bytes.Buffer
			code := app.Run(tc.args, strings.NewReader(""), &stdout, &stderr, func(string) string { return "" })
			if code != tc.code || stdout.String() != tc.stdout {
				t.Errorf("code %d stdout %q; want %d %q", code, stdout.String(), tc.code, tc.stdout)
			}
			if !strings.Contains(stderr.String(), tc.stderrHas) || (tc.stderrNone && stderr.Len() > 0) {
				t.Errorf("stderr %q; want %q", stderr.String(), tc.stderrHas)
			}
			if strings.Count(stderr.String(), "\n") > 1 {
				t.Errorf("stderr is not one line: %q", stderr.String())
			}
		})
	}
}

func TestParseFlags(t *testing.T) {
	for _, tc := range []struct {
		args      []string
		done      bool
		code      int
		context   string
		output    string
		stdoutHas string
		stderrHas string
	}{
		{args: []string{"--context", "kind-a"}, context: "kind-a", output: "text"},
		{args: []string{"--context=kind-a", "-o", "json"}, context: "kind-a", output: "json"},
		{args: []string{"--output=json"}, output: "json"},
		{args: []string{"--help"}, done: true, code: ExitOK, stdoutHas: "HELP\n      --context name"},
		{args: []string{"-h"}, done: true, code: ExitOK, stdoutHas: "--output format"},
		{args: []string{"--nope"}, done: true, code: ExitUsage, stderrHas: "cmd: unknown flag: --nope"},
		{args: []string{"-context", "x"}, done: true, code: ExitUsage, stderrHas: "flags take two dashes: --context, not -context"},
		{args: []string{"-context=x"}, done: true, code: ExitUsage, stderrHas: "--context, not -context=x"},
		{args: []string{"now"}, done: true, code: ExitUsage, stderrHas: `cmd takes flags only, not "now"`},
		{args: []string{"--context"}, done: true, code: ExitUsage, stderrHas: "flag needs an argument"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			fs := NewFlags("cmd")
			kubeContext := fs.String("context", "", "kubeconfig `name`")
			output := fs.StringP("output", "o", "text", "output `format`")
			var stdout, stderr bytes.Buffer
			done, code := ParseFlags(fs, "HELP\n", tc.args, &stdout, &stderr)
			if done != tc.done || code != tc.code {
				t.Fatalf("done %v code %d; want %v %d (stderr %q)", done, code, tc.done, tc.code, stderr.String())
			}
			if !tc.done && (*kubeContext != tc.context || *output != tc.output) {
				t.Errorf("context %q output %q; want %q %q", *kubeContext, *output, tc.context, tc.output)
			}
			if !strings.Contains(stdout.String(), tc.stdoutHas) || !strings.Contains(stderr.String(), tc.stderrHas) {
				t.Errorf("stdout %q stderr %q; want %q %q", stdout.String(), stderr.String(), tc.stdoutHas, tc.stderrHas)
			}
			if tc.stderrHas != "" && strings.Count(stderr.String(), "\n") != 1 {
				t.Errorf("stderr is not one line: %q", stderr.String())
			}
		})
	}
}
