package idpbuilder

import (
	"errors"
	"strings"
	"testing"
)

func TestGiteaProviderReady(t *testing.T) {
	tests := []struct {
		name string
		p    GiteaProvider
		want bool
	}{
		{"Ready condition True", GiteaProvider{Conditions: []Condition{{Type: "Ready", Status: "True"}}}, true},
		{"Ready condition False wins over phase", GiteaProvider{Phase: "Ready", Conditions: []Condition{{Type: "Ready", Status: "False", Reason: "Installing"}}}, false},
		{"Ready condition Unknown", GiteaProvider{Conditions: []Condition{{Type: "Ready", Status: "Unknown"}}}, false},
		{"other conditions, phase Ready", GiteaProvider{Phase: "Ready", Conditions: []Condition{{Type: "Available", Status: "False"}}}, true},
		{"phase only", GiteaProvider{Phase: "Ready"}, true},
		{"phase Installing", GiteaProvider{Phase: "Installing"}, false},
		{"phase spelt otherwise", GiteaProvider{Phase: "ready"}, false},
		{"empty status", GiteaProvider{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.Ready(); got != tt.want {
				t.Fatalf("Ready() = %v, want %v (%s)", got, tt.want, tt.p.Readiness())
			}
		})
	}
}

func TestParseEndpoint(t *testing.T) {
	tests := []struct {
		in       string
		want     Endpoint
		registry string
		bad      bool
	}{
		{in: "https://gitea.cnoe.localtest.me:8443", want: Endpoint{"https", "gitea.cnoe.localtest.me", "8443"}, registry: "gitea.cnoe.localtest.me:8443"},
		{in: "https://gitea.cnoe.localtest.me:8443/", want: Endpoint{"https", "gitea.cnoe.localtest.me", "8443"}, registry: "gitea.cnoe.localtest.me:8443"},
		{in: "HTTPS://Gitea.Example", want: Endpoint{"https", "gitea.example", ""}, registry: "gitea.example"},
		{in: "https://gitea.example:443", want: Endpoint{"https", "gitea.example", "443"}, registry: "gitea.example"},
		{in: "http://gitea.example:80", want: Endpoint{"http", "gitea.example", "80"}, registry: "gitea.example"},
		{in: "http://gitea.example:8080", want: Endpoint{"http", "gitea.example", "8080"}, registry: "gitea.example:8080"},
		{in: "http://gitea.example:443", want: Endpoint{"http", "gitea.example", "443"}, registry: "gitea.example:443"},
		{in: "https://[::1]:8443", want: Endpoint{"https", "::1", "8443"}, registry: "[::1]:8443"},
		{in: "https://[::1]", want: Endpoint{"https", "::1", ""}, registry: "[::1]"},
		{in: "", bad: true},
		{in: "gitea.example:8443", bad: true},
		{in: "ftp://gitea.example", bad: true},
		{in: "https://", bad: true},
		{in: "https://:8443", bad: true},
		{in: "https://gitea.example:", bad: true},
		{in: "https://cnoe.localtest.me:8443/gitea", bad: true},
		{in: "https://gitea.example/?x=1", bad: true},
		{in: "https://gitea.example/#frag", bad: true},
		{in: "https://gitea.example#", bad: true},
		{in: "https://user:pw@gitea.example", bad: true},
		{in: "https:gitea.example", bad: true},
		{in: "https://gitea.example:84x3", bad: true},
		{in: "https://gitea example", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseEndpoint(tt.in)
			if tt.bad {
				if err == nil {
					t.Fatalf("ParseEndpoint accepted it: %+v", got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseEndpoint = %+v, %v; want %+v", got, err, tt.want)
			}
			if r := got.Registry(); r != tt.registry {
				t.Fatalf("Registry() = %q, want %q", r, tt.registry)
			}
		})
	}
}

func TestGiteaProviderParse(t *testing.T) {
	ready := func(mod func(*GiteaProvider)) GiteaProvider {
		p := GiteaProvider{Namespace: "gitea-system", Name: "gitea", Endpoint: "https://gitea.example:8443",
			AdminUsername: "giteaAdmin", AdminSecret: &KeyRef{Namespace: "gitea-system", Name: "my-admin", Key: "adminPassword"}}
		if mod != nil {
			mod(&p)
		}
		return p
	}
	tests := []struct {
		name      string
		p         GiteaProvider
		want      SecretRef
		wantField string // empty: parses
	}{
		{name: "complete", p: ready(nil), want: SecretRef{Namespace: "gitea-system", Name: "my-admin", PasswordKey: "adminPassword", Username: "giteaAdmin"}},
		{name: "no username: the secret's key", p: ready(func(p *GiteaProvider) { p.AdminUsername = "" }),
			want: SecretRef{Namespace: "gitea-system", Name: "my-admin", PasswordKey: "adminPassword"}},
		{name: "no endpoint", p: ready(func(p *GiteaProvider) { p.Endpoint = "" }), wantField: "status.endpoint"},
		{name: "endpoint with a path", p: ready(func(p *GiteaProvider) { p.Endpoint = "https://x.example/gitea" }), wantField: "status.endpoint"},
		{name: "no secretRef", p: ready(func(p *GiteaProvider) { p.AdminSecret = nil }), wantField: "status.adminUser.secretRef"},
		{name: "empty key", p: ready(func(p *GiteaProvider) { p.AdminSecret.Key = "" }), wantField: "status.adminUser.secretRef.key"},
		{name: "key with a slash", p: ready(func(p *GiteaProvider) { p.AdminSecret.Key = "../password" }), wantField: "status.adminUser.secretRef.key"},
		{name: "namespace with a slash", p: ready(func(p *GiteaProvider) { p.AdminSecret.Namespace = "gitea/../kube-system" }), wantField: "status.adminUser.secretRef.namespace"},
		{name: "upper-case name", p: ready(func(p *GiteaProvider) { p.AdminSecret.Name = "My-Admin" }), wantField: "status.adminUser.secretRef.name"},
		{name: "name with a dash first", p: ready(func(p *GiteaProvider) { p.AdminSecret.Name = "-x" }), wantField: "status.adminUser.secretRef.name"},
		{name: "username with a colon", p: ready(func(p *GiteaProvider) { p.AdminUsername = "a:b" }), wantField: "status.adminUser.username"},
		{name: "username with a newline", p: ready(func(p *GiteaProvider) { p.AdminUsername = "a\nb" }), wantField: "status.adminUser.username"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.p.Parse()
			if tt.wantField == "" {
				if err != nil || got.Secret != tt.want {
					t.Fatalf("Parse = %+v, %v; want secret %+v", got, err, tt.want)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tt.wantField {
				t.Fatalf("Parse error = %v, want one about %s", err, tt.wantField)
			}
			if msg := err.Error(); !strings.Contains(msg, "gitea-system/gitea") || strings.Contains(msg, "\n") {
				t.Fatalf("error %q does not name the provider in one line", msg)
			}
		})
	}
}

func TestSecretRefWithDefaultsAndCheck(t *testing.T) {
	got := SecretRef{}.WithDefaults()
	if want := (SecretRef{Namespace: "gitea", Name: "gitea-credential", UsernameKey: "username", PasswordKey: "password"}); got != want {
		t.Fatalf("defaults = %+v", got)
	}
	if got := (SecretRef{Username: "me"}).WithDefaults(); got.UsernameKey != "" {
		t.Fatalf("a fixed user name got a username key: %+v", got)
	}
	tests := []struct {
		ref SecretRef
		bad string
	}{
		{ref: SecretRef{}},
		{ref: SecretRef{Namespace: "gitea-system", Name: "my.admin", PasswordKey: "admin_Password-1.x", Username: "giteaAdmin"}},
		{ref: SecretRef{Namespace: "Gitea"}, bad: "namespace"},
		{ref: SecretRef{Name: "a/b"}, bad: "name"},
		{ref: SecretRef{UsernameKey: "user name"}, bad: "username key"},
		{ref: SecretRef{PasswordKey: ".."}, bad: "password key"},
		{ref: SecretRef{Username: "x y"}, bad: "user name"},
	}
	for _, tt := range tests {
		err := tt.ref.Check()
		if (err != nil) != (tt.bad != "") || err != nil && !strings.Contains(err.Error(), "secret "+tt.bad+":") {
			t.Errorf("Check(%+v) = %v, want an error about %q", tt.ref, err, tt.bad)
		}
	}
}
