package main

import (
	"bytes"
	"context"
	"runtime"
	"strings"
	"testing"
)

// The runner install gives the platform's trust commands runs a real
// program, its output joining the report and its failure an error.
func TestTerminalRunnerRunsTheProgram(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses sh")
	}
	var out bytes.Buffer
	r := terminalRunner{&out}
	if err := r.Run(context.Background(), "sh", "-c", "echo added"); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "added\n" {
		t.Fatalf("report got %q", got)
	}
	if err := r.Run(context.Background(), "sh", "-c", "exit 3"); err == nil || !strings.Contains(err.Error(), "exit status 3") {
		t.Fatalf("a failing command gave %v", err)
	}
}
