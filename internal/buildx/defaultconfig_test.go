package buildx

import (
	"errors"
	"strings"
	"testing"
)

const (
	host   = "gitea.cnoe.localtest.me:8443"
	caFile = "/home/u/.config/docker-credential-idpbuilder/ca.crt"
)

func TestAddRemoveCA(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		exists bool
		// want is AddCA's result; empty means the file is left as it is.
		want string
	}{
		{name: "no file", exists: false,
			want: markerPrefix + markerTable + markerFile + markerEnd + "\n[registry.\"" + host + "\"]\n  ca = [\"" + caFile + "\"]\n"},
		{name: "empty file", exists: true,
			want: markerPrefix + markerTable + markerEnd + "\n[registry.\"" + host + "\"]\n  ca = [\"" + caFile + "\"]\n"},
		{name: "user settings, comments and order kept", exists: true,
			in: "# my builders\ndebug = true\n\n[worker.oci]\n  max-parallelism = 4 # two cores\n\n[registry.\"docker.io\"]\n  mirrors = [\"mirror.example\"]\n",
			want: "# my builders\ndebug = true\n\n[worker.oci]\n  max-parallelism = 4 # two cores\n\n[registry.\"docker.io\"]\n  mirrors = [\"mirror.example\"]\n" +
				markerPrefix + markerTable + markerEnd + "\n[registry.\"" + host + "\"]\n  ca = [\"" + caFile + "\"]\n"},
		{name: "no line break at the end", exists: true,
			in:   "debug = true",
			want: "debug = true\n" + markerPrefix + markerTable + markerNewline + markerEnd + "\n[registry.\"" + host + "\"]\n  ca = [\"" + caFile + "\"]\n"},
		{name: "the registry's table without ca gets one line", exists: true,
			in:   "[registry.\"" + host + "\"]\n    http = false\n[worker.oci]\n  gc = true\n",
			want: "[registry.\"" + host + "\"]\n    " + markerPrefix + markerLine + markerEnd + "\n    ca = [\"" + caFile + "\"]\n    http = false\n[worker.oci]\n  gc = true\n"},
		{name: "header spelled with blanks and literal quotes", exists: true,
			in:   "[ registry . '" + host + "' ]  # ours\r\n  insecure = false\r\n",
			want: "[ registry . '" + host + "' ]  # ours\r\n  " + markerPrefix + markerLine + markerEnd + "\r\n  ca = [\"" + caFile + "\"]\r\n  insecure = false\r\n"},
		{name: "already trusted", exists: true,
			in: "[registry.\"" + host + "\"]\n  ca = [\"/etc/x.pem\", \"" + caFile + "\"]\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, changed, err := AddCA([]byte(tt.in), tt.exists, host, caFile)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			if want == "" {
				want = tt.in
			}
			if changed != (tt.want != "") || string(out) != want {
				t.Fatalf("AddCA changed=%v:\n%s\nwant:\n%s", changed, out, want)
			}
			// Twice changes nothing.
			again, changed, err := AddCA(out, true, host, caFile)
			if err != nil || changed || string(again) != string(out) {
				t.Fatalf("second AddCA: changed=%v err=%v\n%s", changed, err, again)
			}
			// The round trip gives the user's bytes back.
			back, changed, removeFile, notes, err := RemoveCA(out)
			if err != nil || len(notes) > 0 {
				t.Fatalf("RemoveCA: %v %v", err, notes)
			}
			if changed != (tt.want != "") || string(back) != tt.in || removeFile != !tt.exists {
				t.Fatalf("RemoveCA changed=%v removeFile=%v:\n%q\nwant:\n%q", changed, removeFile, back, tt.in)
			}
		})
	}
}

func TestAddCALeavesTheUsersOwnSettings(t *testing.T) {
	tests := []struct{ name, in, reason string }{
		{"own ca list", "[registry.\"" + host + "\"]\n  ca = [\"/etc/mine.pem\"]\n", "add \"" + caFile + "\" to that list"},
		{"dotted keys", "registry.\"" + host + "\".http = false\n", "dotted keys or an inline table"},
		{"inline registry table", "registry = { \"docker.io\" = { mirrors = [\"m\"] } }\n", "an inline table or dotted keys"},
		{"not a table", "registry = 3\n", "an inline table or dotted keys"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := AddCA([]byte(tt.in), true, host, caFile)
			var left *LeftAloneError
			if !errors.As(err, &left) || !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("err = %v, want a LeftAloneError saying %q", err, tt.reason)
			}
		})
	}
	if _, _, err := AddCA([]byte("[worker\n"), true, host, caFile); err == nil || !strings.Contains(err.Error(), "not valid TOML") {
		t.Fatalf("bad TOML: err = %v", err)
	}
}

func TestRemoveCA(t *testing.T) {
	block := markerPrefix + markerTable + markerEnd + "\n[registry.\"" + host + "\"]\n  ca = [\"" + caFile + "\"]\n"
	tests := []struct {
		name, in, want string
		notes          int
	}{
		{"nothing of ours", "debug = true\n", "debug = true\n", 0},
		{"keys the user added under our table stay, with the header",
			"debug = true\n" + block + "  mirrors = [\"m\"]\n",
			"debug = true\n[registry.\"" + host + "\"]\n  mirrors = [\"m\"]\n", 0},
		{"a ca line the user changed stays",
			"debug = true\n" + markerPrefix + markerTable + markerEnd + "\n[registry.\"" + host + "\"]\n  ca = [\"/etc/other.pem\", \"x\"]\n",
			"debug = true\n" + markerPrefix + markerTable + markerEnd + "\n[registry.\"" + host + "\"]\n  ca = [\"/etc/other.pem\", \"x\"]\n", 1},
		{"settings the user appended after our table stay",
			block + "[worker.oci]\n  gc = true\n", "[worker.oci]\n  gc = true\n", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, _, notes, err := RemoveCA([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tt.want || len(notes) != tt.notes {
				t.Fatalf("RemoveCA = %q (notes %v), want %q", out, notes, tt.want)
			}
		})
	}
}

func TestSnippet(t *testing.T) {
	got := Snippet(host, `C:\Users\me\ca.crt`)
	want := "[registry.\"" + host + "\"]\n  ca = [\"C:\\\\Users\\\\me\\\\ca.crt\"]\n"
	if got != want {
		t.Fatalf("Snippet = %q, want %q", got, want)
	}
	cfg, err := decode([]byte(got))
	if err != nil || registries(cfg)[host].(map[string]any)["ca"].([]any)[0] != `C:\Users\me\ca.crt` {
		t.Fatalf("the snippet does not decode to the path: %v %v", cfg, err)
	}
}
