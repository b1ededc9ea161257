package main

import (
	"reflect"
	"testing"

	"github.com/cnoe-io/docker-credential-idpbuilder/install"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/config"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/export"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
)

// The Secret records which Gitea secret (and keys) gives each host its
// credential: one source per distinct secret, hosts sorted, idpbuilder's
// defaults filled.
func TestSourcesFor(t *testing.T) {
	table := &config.Table{Registries: map[string]config.Registry{
		"gitea.a:8443": {},
		"gitea.b:8443": {Namespace: "gitea", Secret: "gitea-credential"},
		"gitea.c":      {Namespace: "p", Secret: "admin", PasswordKey: "pw", Username: "gitea_admin"},
	}}
	got := sourcesFor(table, nil, []string{"gitea.c", "gitea.b:8443", "gitea.a:8443", "gitea.unknown:1"})
	want := []export.Source{
		{Namespace: "gitea", Name: "gitea-credential", UsernameKey: "username", PasswordKey: "password", Hosts: []string{"gitea.a:8443", "gitea.b:8443", "gitea.unknown:1"}},
		{Namespace: "p", Name: "admin", PasswordKey: "pw", Username: "gitea_admin", Hosts: []string{"gitea.c"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sourcesFor = %+v\nwant %+v", got, want)
	}
	// A host a GiteaProvider gave takes the provider's secret and keys.
	found := &install.Discovery{Registries: []install.Found{
		{Host: "gitea.unknown:1", Secret: idpbuilder.SecretRef{Namespace: "team", Name: "gitea-admin", PasswordKey: "password", Username: "gitea_admin"}},
		{Host: "gitea.a:8443"},
	}}
	got = sourcesFor(table, found, []string{"gitea.a:8443", "gitea.unknown:1"})
	want = []export.Source{
		{Namespace: "gitea", Name: "gitea-credential", UsernameKey: "username", PasswordKey: "password", Hosts: []string{"gitea.a:8443"}},
		{Namespace: "team", Name: "gitea-admin", PasswordKey: "password", Username: "gitea_admin", Hosts: []string{"gitea.unknown:1"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sourcesFor with a provider = %+v\nwant %+v", got, want)
	}
}
