package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
)

// TestSecretKeys: an entry may name the secret's keys and a fixed user name
// (a GiteaProvider's); an old entry without them reads idpbuilder's
// username and password keys; what cannot name a secret or a key is refused
// in one line naming the entry.
func TestSecretKeys(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, table string
		want        idpbuilder.SecretRef
		wantErr     []string
	}{
		{name: "old entry", table: `{"registries":{"gitea.example:8443":{"context":"kind-x"}}}`,
			want: idpbuilder.SecretRef{Namespace: "gitea", Name: "gitea-credential", UsernameKey: "username", PasswordKey: "password"}},
		{name: "old entry with namespace and secret", table: `{"registries":{"gitea.example:8443":{"namespace":"ns","secret":"creds"}}}`,
			want: idpbuilder.SecretRef{Namespace: "ns", Name: "creds", UsernameKey: "username", PasswordKey: "password"}},
		{name: "provider entry", table: `{"registries":{"gitea.example:8443":{"namespace":"gitea-system","secret":"my-admin","passwordKey":"adminPassword","username":"giteaAdmin"}}}`,
			want: idpbuilder.SecretRef{Namespace: "gitea-system", Name: "my-admin", PasswordKey: "adminPassword", Username: "giteaAdmin"}},
		{name: "both keys", table: `{"registries":{"gitea.example:8443":{"usernameKey":"user","passwordKey":"pass"}}}`,
			want: idpbuilder.SecretRef{Namespace: "gitea", Name: "gitea-credential", UsernameKey: "user", PasswordKey: "pass"}},
		{name: "user name twice", table: `{"registries":{"gitea.example:8443":{"usernameKey":"user","username":"me"}}}`,
			wantErr: []string{"registry gitea.example:8443", "keep one"}},
		{name: "bad password key", table: `{"registries":{"gitea.example:8443":{"passwordKey":"a/b"}}}`,
			wantErr: []string{"registry gitea.example:8443", "password key", `"a/b"`}},
		{name: "bad user name", table: `{"registries":{"gitea.example:8443":{"username":"a:b"}}}`,
			wantErr: []string{"registry gitea.example:8443", "user name"}},
		{name: "bad user name key", table: `{"registries":{"gitea.example:8443":{"usernameKey":"a b"}}}`,
			wantErr: []string{"registry gitea.example:8443", "username key"}},
		// An old table loads as it did: the API server judges the names.
		{name: "odd namespace of an old entry", table: `{"registries":{"gitea.example:8443":{"namespace":"Gitea","secret":"x_y"}}}`,
			want: idpbuilder.SecretRef{Namespace: "Gitea", Name: "x_y", UsernameKey: "username", PasswordKey: "password"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".json")
			if err := os.WriteFile(path, []byte(tt.table), 0o600); err != nil {
				t.Fatal(err)
			}
			tbl, err := Load(path)
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("Load accepted %s", tt.table)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) || strings.Contains(err.Error(), "\n") {
						t.Errorf("error %q lacks %q or is not one line", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Load = %v", err)
			}
			_, reg, ok := tbl.Lookup("gitea.example:8443")
			if !ok || reg.SecretRef() != tt.want {
				t.Fatalf("SecretRef = %+v, want %+v", reg.SecretRef(), tt.want)
			}
			// Saved and read again, the entry is the same.
			if _, _, err := Update(path, false, func(t *Table) (bool, error) { t.Registries = tbl.Registries; return true, nil }); err != nil {
				t.Fatal(err)
			}
			again, err := Load(path)
			if err != nil || again.Registries["gitea.example:8443"] != tbl.Registries["gitea.example:8443"] {
				t.Fatalf("round trip: %+v, %v", again, err)
			}
		})
	}
}
