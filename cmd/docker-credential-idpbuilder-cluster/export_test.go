package main

import (
	"reflect"
	"testing"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/config"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/export"
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
	got := sourcesFor(table, []string{"gitea.c", "gitea.b:8443", "gitea.a:8443", "gitea.unknown:1"})
	want := []export.Source{
		{Namespace: "gitea", Name: "gitea-credential", UsernameKey: "username", PasswordKey: "password", Hosts: []string{"gitea.a:8443", "gitea.b:8443", "gitea.unknown:1"}},
		{Namespace: "p", Name: "admin", PasswordKey: "pw", Username: "gitea_admin", Hosts: []string{"gitea.c"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sourcesFor = %+v\nwant %+v", got, want)
	}
}
