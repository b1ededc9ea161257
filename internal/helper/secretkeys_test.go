package helper

import (
	"testing"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/config"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
	"github.com/cnoe-io/docker-credential-idpbuilder/test/fakes"
)

// TestGetReadsTheEntrysSecretKeys: a cache miss reads the secret and keys
// the table's entry names (a GiteaProvider's), and an old entry reads
// idpbuilder's.
func TestGetReadsTheEntrysSecretKeys(t *testing.T) {
	tests := []struct {
		name  string
		entry config.Registry
		want  idpbuilder.SecretRef
	}{
		{name: "old entry", entry: config.Registry{}, want: idpbuilder.SecretRef{Namespace: "gitea", Name: "gitea-credential", UsernameKey: "username", PasswordKey: "password"}},
		{name: "provider entry", entry: config.Registry{Namespace: "gitea-system", Secret: "my-admin", PasswordKey: "adminPassword", Username: "giteaAdmin"},
			want: idpbuilder.SecretRef{Namespace: "gitea-system", Name: "my-admin", PasswordKey: "adminPassword", Username: "giteaAdmin"}},
		{name: "both keys", entry: config.Registry{UsernameKey: "user", PasswordKey: "pass"},
			want: idpbuilder.SecretRef{Namespace: "gitea", Name: "gitea-credential", UsernameKey: "user", PasswordKey: "pass"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kc := fakes.NewCluster("fp", "pw")
			h := newTestHelper(nil, kc)
			h.Table.Registries[host] = tt.entry
			if _, _, err := h.Get(host); err != nil {
				t.Fatal(err)
			}
			if len(kc.Refs) != 1 || kc.Refs[0] != tt.want {
				t.Fatalf("read %+v, want %+v", kc.Refs, tt.want)
			}
		})
	}
}
