package config

import "testing"

func TestNormalize(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{in: "gitea.cnoe.localtest.me:8443", want: "gitea.cnoe.localtest.me:8443"},
		{in: "GITEA.cnoe.localtest.me:8443", want: "gitea.cnoe.localtest.me:8443"},
		{in: "https://gitea.cnoe.localtest.me:8443/v2/", want: "gitea.cnoe.localtest.me:8443"},
		{in: "HTTPS://gitea.cnoe.localtest.me:8443", want: "gitea.cnoe.localtest.me:8443"},
		{in: "http://gitea.cnoe.localtest.me:8443/", want: "gitea.cnoe.localtest.me:8443"},
		{in: "  gitea.cnoe.localtest.me:8443\n", want: "gitea.cnoe.localtest.me:8443"},
		{in: "gitea.cnoe.localtest.me:8443/giteaadmin/app", want: "gitea.cnoe.localtest.me:8443"},
		{in: "gitea.cnoe.localtest.me", want: "gitea.cnoe.localtest.me"},
		{in: "gitea.cnoe.localtest.me:443", want: "gitea.cnoe.localtest.me:443"},
		{in: "127.0.0.1:5000", want: "127.0.0.1:5000"},
		{in: "[::1]:5000", want: "[::1]:5000"},
		{in: "https://index.docker.io/v1/", want: "index.docker.io"},
		{in: "", wantErr: true},
		{in: "   ", wantErr: true},
		{in: "ftp://host:21", wantErr: true},
		{in: "user:pw@host:8443", wantErr: true},
		{in: "https://", wantErr: true},
		{in: "host:", wantErr: true},
		{in: "host:port", wantErr: true},
		{in: "ho st:8443", wantErr: true},
		{in: "host\x00:8443", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Normalize(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("Normalize(%q) = %q, want error", tt.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Normalize(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
