package secrets

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
)

// TestReadSecretKeys: the read honours the secret's key names and a fixed
// user name (a GiteaProvider's); empty ones mean idpbuilder's.
func TestReadSecretKeys(t *testing.T) {
	data := map[string]string{"username": b64([]byte("fromKey")), "password": b64([]byte("default-pw")),
		"adminPassword": b64([]byte("provider-pw")), "user": b64([]byte("otherUser"))}
	var paths []string
	srv := apiServer(t, func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		fmt.Fprint(w, secretJSON(data))
	})
	path := writeKubeconfig(t, srv.URL, testToken, caOf(srv))
	tests := []struct {
		name           string
		ref            idpbuilder.SecretRef
		path           string
		user, password string
		wantErr        string
	}{
		{name: "defaults", ref: idpbuilder.SecretRef{}, path: "/api/v1/namespaces/gitea/secrets/gitea-credential", user: "fromKey", password: "default-pw"},
		{name: "a provider's secret", ref: idpbuilder.SecretRef{Namespace: "gitea-system", Name: "my-admin", PasswordKey: "adminPassword", Username: "giteaAdmin"},
			path: "/api/v1/namespaces/gitea-system/secrets/my-admin", user: "giteaAdmin", password: "provider-pw"},
		{name: "both keys", ref: idpbuilder.SecretRef{UsernameKey: "user", PasswordKey: "adminPassword"}, user: "otherUser", password: "provider-pw"},
		{name: "missing password key", ref: idpbuilder.SecretRef{PasswordKey: "nope", Username: "giteaAdmin"}, wantErr: "has no nope key"},
		{name: "missing both keys", ref: idpbuilder.SecretRef{UsernameKey: "u", PasswordKey: "p"}, wantErr: "has no u or p key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Resolve(path, "kind-localdev")
			if err != nil {
				t.Fatal(err)
			}
			paths = nil
			got, err := c.ReadSecret(context.Background(), tt.ref)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ReadSecret = %+v, %v; want %q", got, err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "-pw") {
					t.Fatalf("error %q quotes a password", err)
				}
				return
			}
			if err != nil || got.Username != tt.user || got.Password != tt.password {
				t.Fatalf("ReadSecret = %q/%q, %v; want %q/%q", got.Username, got.Password, err, tt.user, tt.password)
			}
			if tt.path != "" && (len(paths) != 1 || paths[0] != tt.path) {
				t.Fatalf("read %v, want %s", paths, tt.path)
			}
		})
	}
}
