package install

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/config"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
	"github.com/cnoe-io/docker-credential-idpbuilder/test/fakes"
)

// readyProvider is a GiteaProvider as idpbuilder's controller leaves it
// once Gitea is up, with its admin secret under a name and key of its own.
func readyProvider(namespace, name, endpoint string) idpbuilder.GiteaProvider {
	return idpbuilder.GiteaProvider{Namespace: namespace, Name: name, Endpoint: endpoint, AdminUsername: "giteaAdmin",
		AdminSecret: &idpbuilder.KeyRef{Namespace: namespace, Name: "my-admin", Key: "adminPassword"},
		Credentials: &idpbuilder.KeyRef{Namespace: namespace, Name: "my-admin", Key: "token"},
		Phase:       "Ready", Conditions: []idpbuilder.Condition{{Type: "Ready", Status: "True", Reason: "GiteaReady"}}}
}

func notReady(p idpbuilder.GiteaProvider) idpbuilder.GiteaProvider {
	p.Phase, p.Conditions = "Installing", []idpbuilder.Condition{{Type: "Ready", Status: "False", Reason: "Installing"}}
	return p
}

var rigLocalbuild = idpbuilder.Localbuild{Name: "localdev", Protocol: "https", Host: "cnoe.localtest.me", Port: "8443", SelfSignedCert: "CA"}

func TestDiscover(t *testing.T) {
	providerSecret := idpbuilder.SecretRef{Namespace: "gitea-system", Name: "my-admin", PasswordKey: "adminPassword", Username: "giteaAdmin"}
	tests := []struct {
		name      string
		cluster   *fakes.Cluster
		want      []Found
		wantCA    string
		wantNotes []string // substrings, in order; nil: no note
	}{
		{name: "a ready provider, no Localbuild resource",
			cluster: &fakes.Cluster{Providers: []idpbuilder.GiteaProvider{readyProvider("gitea-system", "gitea", "https://gitea.example:9443")}, BuildsErr: idpbuilder.ErrNoLocalbuildResource},
			want:    []Found{{Host: "gitea.example:9443", Protocol: "https", Secret: providerSecret, Source: "GiteaProvider gitea-system/gitea"}}},
		{name: "the provider wins over the Localbuild, whose CA stays",
			cluster: &fakes.Cluster{Providers: []idpbuilder.GiteaProvider{readyProvider("gitea-system", "gitea", "https://gitea.cnoe.localtest.me:8443/")}, Builds: []idpbuilder.Localbuild{rigLocalbuild}},
			want:    []Found{{Host: "gitea.cnoe.localtest.me:8443", Protocol: "https", Secret: providerSecret, Source: "GiteaProvider gitea-system/gitea"}},
			wantCA:  "CA"},
		{name: "a provider that is not ready gives way to the Localbuild",
			cluster:   &fakes.Cluster{Providers: []idpbuilder.GiteaProvider{notReady(readyProvider("gitea-system", "gitea", "https://gitea.example:9443"))}, Builds: []idpbuilder.Localbuild{rigLocalbuild}},
			want:      []Found{{Host: "gitea.cnoe.localtest.me:8443", Protocol: "https", Source: "Localbuild localdev"}},
			wantCA:    "CA",
			wantNotes: []string{"GiteaProvider gitea-system/gitea is not ready (Ready is False (Installing)): skipped"}},
		{name: "no GiteaProvider resource: the Localbuild, silently",
			cluster: &fakes.Cluster{ProvidersErr: idpbuilder.ErrNoGiteaProviderResource, Builds: []idpbuilder.Localbuild{rigLocalbuild}},
			want:    []Found{{Host: "gitea.cnoe.localtest.me:8443", Protocol: "https", Source: "Localbuild localdev"}}, wantCA: "CA"},
		{name: "no GiteaProvider object: the Localbuild, silently",
			cluster: &fakes.Cluster{Builds: []idpbuilder.Localbuild{rigLocalbuild}},
			want:    []Found{{Host: "gitea.cnoe.localtest.me:8443", Protocol: "https", Source: "Localbuild localdev"}}, wantCA: "CA"},
		{name: "GiteaProviders forbidden: the Localbuild, with a note",
			cluster:   &fakes.Cluster{ProvidersErr: errors.Join(idpbuilder.ErrForbidden, errors.New("may not list GiteaProvider objects")), Builds: []idpbuilder.Localbuild{rigLocalbuild}},
			want:      []Found{{Host: "gitea.cnoe.localtest.me:8443", Protocol: "https", Source: "Localbuild localdev"}},
			wantCA:    "CA",
			wantNotes: []string{"may not list GiteaProvider objects"}},
		{name: "nothing at all: the default",
			cluster:   &fakes.Cluster{ProvidersErr: idpbuilder.ErrNoGiteaProviderResource, BuildsErr: idpbuilder.ErrNoLocalbuildResource},
			want:      []Found{{Host: "gitea.cnoe.localtest.me:8443", Source: SourceDefault}},
			wantNotes: []string{"no Localbuild resource"}},
		{name: "two providers, two registries, sorted; an http one",
			cluster: &fakes.Cluster{Providers: []idpbuilder.GiteaProvider{readyProvider("team-b", "gitea", "http://gitea-b.example:8080"), readyProvider("team-a", "gitea", "https://gitea-a.example")}},
			want: []Found{
				{Host: "gitea-a.example", Protocol: "https", Secret: idpbuilder.SecretRef{Namespace: "team-a", Name: "my-admin", PasswordKey: "adminPassword", Username: "giteaAdmin"}, Source: "GiteaProvider team-a/gitea"},
				{Host: "gitea-b.example:8080", Protocol: "http", Secret: idpbuilder.SecretRef{Namespace: "team-b", Name: "my-admin", PasswordKey: "adminPassword", Username: "giteaAdmin"}, Source: "GiteaProvider team-b/gitea"},
			}},
		{name: "two providers on one host: the first",
			cluster:   &fakes.Cluster{Providers: []idpbuilder.GiteaProvider{readyProvider("b", "gitea", "https://gitea.example"), readyProvider("a", "gitea", "https://GITEA.example:443")}},
			want:      []Found{{Host: "gitea.example", Protocol: "https", Secret: idpbuilder.SecretRef{Namespace: "a", Name: "my-admin", PasswordKey: "adminPassword", Username: "giteaAdmin"}, Source: "GiteaProvider a/gitea"}},
			wantNotes: []string{"GiteaProviders a/gitea and b/gitea both serve gitea.example; using a/gitea"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Discover(context.Background(), tt.cluster)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(d.Registries, tt.want) {
				t.Errorf("registries\n got %+v\nwant %+v", d.Registries, tt.want)
			}
			if d.CAPEM != tt.wantCA {
				t.Errorf("CA = %q, want %q", d.CAPEM, tt.wantCA)
			}
			if len(d.Notes) != len(tt.wantNotes) {
				t.Fatalf("notes %+v, want %q", d.Notes, tt.wantNotes)
			}
			for i, n := range d.Notes {
				if !strings.Contains(n.Text, tt.wantNotes[i]) {
					t.Errorf("note %d = %q, want %q", i, n.Text, tt.wantNotes[i])
				}
			}
		})
	}
}

// TestDiscoverRefusesAHostileProvider: a ready provider's status is checked
// like a Localbuild's spec; a bad field stops discovery with one line naming
// it, and install writes nothing.
func TestDiscoverRefusesAHostileProvider(t *testing.T) {
	tests := []struct {
		name  string
		mod   func(*idpbuilder.GiteaProvider)
		field string
	}{
		{"endpoint with a path", func(p *idpbuilder.GiteaProvider) { p.Endpoint = "https://cnoe.localtest.me:8443/gitea" }, "status.endpoint"},
		{"endpoint over ftp", func(p *idpbuilder.GiteaProvider) { p.Endpoint = "ftp://gitea.example" }, "status.endpoint"},
		{"endpoint port zero", func(p *idpbuilder.GiteaProvider) { p.Endpoint = "https://gitea.example:0" }, "status.endpoint"},
		{"endpoint port with a leading zero", func(p *idpbuilder.GiteaProvider) { p.Endpoint = "https://gitea.example:08443" }, "status.endpoint"},
		{"endpoint port too large", func(p *idpbuilder.GiteaProvider) { p.Endpoint = "https://gitea.example:65536" }, "status.endpoint"},
		{"endpoint host with an empty label", func(p *idpbuilder.GiteaProvider) { p.Endpoint = "https://a..example" }, "status.endpoint"},
		{"endpoint host percent-encoded", func(p *idpbuilder.GiteaProvider) { p.Endpoint = "https://a%2f..%2fb" }, "status.endpoint"},
		{"no endpoint", func(p *idpbuilder.GiteaProvider) { p.Endpoint = "" }, "status.endpoint"},
		{"no secretRef", func(p *idpbuilder.GiteaProvider) { p.AdminSecret = nil }, "status.adminUser.secretRef"},
		{"secret key with a slash", func(p *idpbuilder.GiteaProvider) { p.AdminSecret.Key = "a/b" }, "status.adminUser.secretRef.key"},
		{"secret namespace climbing", func(p *idpbuilder.GiteaProvider) { p.AdminSecret.Namespace = ".." }, "status.adminUser.secretRef.namespace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := readyProvider("gitea-system", "gitea", "https://gitea.example:9443")
			tt.mod(&p)
			r := newRig(t, installCluster(&fakes.Cluster{Providers: []idpbuilder.GiteaProvider{p}, Builds: []idpbuilder.Localbuild{rigLocalbuild}}))
			before := r.snapshot(t)
			err := r.in.Install(Options{})
			if err == nil || !strings.Contains(err.Error(), "GiteaProvider gitea-system/gitea: "+tt.field+" is ") ||
				!strings.Contains(err.Error(), "nothing was written") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("Install = %v", err)
			}
			sameSnapshot(t, before, r.snapshot(t))
			if r.cluster.Reads() != 0 {
				t.Fatal("a secret was read")
			}
		})
	}
}

// TestInstallRecordsTheProvidersSecret: install reads the secret the
// provider names, with its keys, and records them in the table; once the
// provider is gone the Localbuild's host goes back to idpbuilder's secret.
func TestInstallRecordsTheProvidersSecret(t *testing.T) {
	const host = "gitea.cnoe.localtest.me:8443"
	kc := installCluster(&fakes.Cluster{Providers: []idpbuilder.GiteaProvider{readyProvider("gitea-system", "gitea", "https://"+host)}, Builds: []idpbuilder.Localbuild{rigLocalbuild}})
	r := newRig(t, kc)
	if err := r.in.Install(Options{}); err != nil {
		t.Fatalf("Install: %v\n%s", err, r.out)
	}
	want := idpbuilder.SecretRef{Namespace: "gitea-system", Name: "my-admin", PasswordKey: "adminPassword", Username: "giteaAdmin"}
	if len(kc.Refs) == 0 || kc.Refs[0] != want {
		t.Fatalf("secrets read: %+v, want %+v", kc.Refs, want)
	}
	path := filepath.Join(r.home, ".config", "docker-credential-idpbuilder", "config.json")
	tbl, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	wantEntry := config.Registry{Context: "kind-localdev", Namespace: "gitea-system", Secret: "my-admin", PasswordKey: "adminPassword", Username: "giteaAdmin"}
	if got := tbl.Registries[host]; got != wantEntry {
		t.Fatalf("entry %+v, want %+v", got, wantEntry)
	}
	if out := r.out.String(); !strings.Contains(out, host+": from GiteaProvider gitea-system/gitea (secret gitea-system/my-admin (password key adminPassword, user giteaAdmin))") {
		t.Fatalf("install does not say where the host came from:\n%s", out)
	}
	// The primed cache was read with the provider's keys too.
	for _, ref := range kc.Refs {
		if ref != want {
			t.Fatalf("a read used %+v", ref)
		}
	}

	// The provider is no longer ready: the Localbuild gives the host, and
	// idpbuilder's secret.
	kc.Providers = []idpbuilder.GiteaProvider{notReady(kc.Providers[0])}
	kc.Refs = nil
	r.out.Reset()
	if err := r.in.Install(Options{}); err != nil {
		t.Fatalf("Install: %v\n%s", err, r.out)
	}
	if tbl, err = config.Load(path); err != nil {
		t.Fatal(err)
	}
	if got := tbl.Registries[host]; got != (config.Registry{Context: "kind-localdev"}) {
		t.Fatalf("entry after the provider went: %+v", got)
	}
	if got := kc.Refs[0]; got != (idpbuilder.SecretRef{}).WithDefaults() {
		t.Fatalf("read %+v after the provider went", got)
	}
	if !strings.Contains(r.out.String(), "not ready") {
		t.Fatalf("no word about the provider:\n%s", r.out)
	}
}

// TestInstallKeepsARefreshedSecretForTheLocalbuild: a namespace and secret
// set with refresh (no keys) still survive install from the Localbuild.
func TestInstallKeepsARefreshedSecretForTheLocalbuild(t *testing.T) {
	const host = "gitea.cnoe.localtest.me:8443"
	kc := installCluster(&fakes.Cluster{Builds: []idpbuilder.Localbuild{rigLocalbuild}})
	r := newRig(t, kc)
	path := filepath.Join(r.home, ".config", "docker-credential-idpbuilder", "config.json")
	if _, _, err := config.Update(path, false, func(tbl *config.Table) (bool, error) {
		tbl.Registries = map[string]config.Registry{host: {Namespace: "other", Secret: "creds"}}
		return true, nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := r.in.Install(Options{}); err != nil {
		t.Fatalf("Install: %v\n%s", err, r.out)
	}
	tbl, _ := config.Load(path)
	if got := tbl.Registries[host]; got != (config.Registry{Context: "kind-localdev", Namespace: "other", Secret: "creds"}) {
		t.Fatalf("entry %+v", got)
	}
}

func TestInstallStopsWhenGiteaProvidersCannotBeRead(t *testing.T) {
	r := newRig(t, installCluster(&fakes.Cluster{ProvidersErr: errors.Join(idpbuilder.ErrUnreachable, errors.New("cannot reach the API server")), Builds: []idpbuilder.Localbuild{rigLocalbuild}}))
	before := r.snapshot(t)
	if err := r.in.Install(Options{}); !errors.Is(err, idpbuilder.ErrUnreachable) {
		t.Fatalf("Install = %v", err)
	}
	sameSnapshot(t, before, r.snapshot(t))
}
