package config

import "testing"

func TestMentions(t *testing.T) {
	table := []byte(`{"registries":{"gitea.cnoe.localtest.me:8443":{},"Other.Example:5000":{}}}`)
	for _, tt := range []struct {
		data   []byte
		server string
		want   bool
	}{
		{table, "ghcr.io", false},
		{table, "https://ghcr.io/v2/", false},
		{table, "gitea.cnoe.localtest.me:8443", true},
		{table, "https://gitea.cnoe.localtest.me:8443/v2/", true},
		{table, "gitea.cnoe.localtest.me", true}, // same name, another port: decode to tell
		{table, "other.example:5000", true},      // the file's case does not matter
		{[]byte(`{"registries":{"ghcr\u002eio":{}}}`), "ghcr.io", true},
		{[]byte(`{"registries":{"bücher.example":{}}}`), "ghcr.io", true},
		{table, "not a host", true}, // the decoder's path gives the error
	} {
		if got := Mentions(tt.data, tt.server); got != tt.want {
			t.Errorf("Mentions(%s, %q) = %v, want %v", tt.data, tt.server, got, tt.want)
		}
	}
}
