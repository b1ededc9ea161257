package clusterid

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestUnchanged(t *testing.T) {
	getenv := func(k string) string { return map[string]string{"KUBECONFIG": "/k/config", "HOME": "/home/u"}[k] }
	inputs := Inputs("", "", getenv)
	old := time.Now().Add(-time.Hour)
	for _, tt := range []struct {
		name   string
		change func(t *testing.T, dir string)
		inputs string
		at     time.Duration // At, after now
		want   bool
	}{
		{name: "nothing changed", want: true},
		{name: "other inputs", inputs: Inputs("", "kind-other", getenv)},
		{name: "a longer file", change: func(t *testing.T, dir string) { write(t, dir, "config", "apiVersion: v1 and more", old) }},
		{name: "a new modification time", change: func(t *testing.T, dir string) {
			os.Chtimes(filepath.Join(dir, "config"), old, old.Add(time.Second))
		}},
		{name: "same size and times, a new file (renamed over)", change: func(t *testing.T, dir string) {
			write(t, dir, "new", "apiVersion: v2", old)
			if err := os.Rename(filepath.Join(dir, "new"), filepath.Join(dir, "config")); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "a missing file appears", change: func(t *testing.T, dir string) { write(t, dir, "missing", "x", old) }},
		{name: "a file removed", change: func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, "config")) }},
		// The change time is now (os.Chtimes cannot set it): files written
		// within the racy window of At prove nothing.
		{name: "files written just before they were stamped", at: 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, "config", "apiVersion: v1", old)
			at := time.Now().Add(time.Minute) // stamped long after the write
			if tt.name == "files written just before they were stamped" {
				at = time.Now()
			}
			id := &ID{Inputs: inputs, Files: StampFiles([]string{filepath.Join(dir, "config"), filepath.Join(dir, "missing")}), At: at}
			if tt.change != nil {
				tt.change(t, dir)
			}
			in := inputs
			if tt.inputs != "" {
				in = tt.inputs
			}
			if got := id.Unchanged(in); got != tt.want {
				t.Fatalf("Unchanged = %v, want %v (stamps %+v)", got, tt.want, id.Files)
			}
		})
	}
	var none *ID
	if none.Unchanged(inputs) || (&ID{Inputs: inputs}).Unchanged(inputs) {
		t.Fatal("an ID with no files (or none at all) counts as unchanged")
	}
}

func write(t *testing.T, dir, name, content string, mtime time.Time) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

func TestRacyWindow(t *testing.T) {
	at := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	id := &ID{At: at}
	for _, tt := range []struct {
		ns   time.Time
		want bool
	}{
		{at.Add(-10 * time.Millisecond), true},              // fine times, inside 50 ms
		{at.Add(-time.Second + 123*time.Nanosecond), false}, // fine times, outside
		{at.Add(-time.Second), true},                        // whole seconds: 2 s
		{at.Add(-3 * time.Second), false},
	} {
		if got := id.racy(tt.ns.UnixNano()); got != tt.want {
			t.Errorf("racy(%s before At) = %v, want %v", at.Sub(tt.ns), got, tt.want)
		}
	}
}

func TestInputs(t *testing.T) {
	env := map[string]string{"KUBECONFIG": "/a:/b", "HOME": "/home/u"}
	getenv := func(k string) string { return env[k] }
	base := Inputs("", "", getenv)
	if Inputs("/k", "", getenv) == base || Inputs("", "ctx", getenv) == base {
		t.Fatal("the table's kubeconfig and context are not inputs")
	}
	env["HOME"] = "/home/v"
	if Inputs("", "", getenv) == base {
		t.Fatal("HOME is not an input")
	}
	env["KUBECONFIG"] = "rel/config"
	rel := Inputs("", "", getenv)
	wd, _ := os.Getwd()
	t.Chdir(t.TempDir())
	if Inputs("", "", getenv) == rel {
		t.Fatalf("a relative $KUBECONFIG entry does not make the working folder (%s) an input", wd)
	}
}

func TestRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	open := l.Addr().String()
	closedL, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := closedL.Addr().String()
	closedL.Close()
	defer l.Close()
	for _, tt := range []struct {
		id   *ID
		want bool
	}{
		{&ID{Loopback: closed}, true},
		{&ID{Loopback: open}, false},
		{&ID{}, false},
		{nil, false},
	} {
		if got := tt.id.Refused(context.Background()); got != tt.want {
			t.Errorf("Refused(%+v) = %v, want %v", tt.id, got, tt.want)
		}
	}
}
