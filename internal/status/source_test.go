package status

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/config"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
	"github.com/cnoe-io/docker-credential-idpbuilder/test/fakes"
)

// TestSourceCheck: status says where the cluster names the registry, and
// what discovery skipped or fell back from.
func TestSourceCheck(t *testing.T) {
	const host = "gitea.cnoe.localtest.me:8443"
	provider := idpbuilder.GiteaProvider{Namespace: "gitea-system", Name: "gitea", Endpoint: "https://" + host, AdminUsername: "giteaAdmin",
		AdminSecret: &idpbuilder.KeyRef{Namespace: "gitea-system", Name: "my-admin", Key: "adminPassword"}, Phase: "Ready"}
	lb := idpbuilder.Localbuild{Name: "localdev", Host: "cnoe.localtest.me", Port: "8443"}
	providerEntry := config.Registry{Namespace: "gitea-system", Secret: "my-admin", PasswordKey: "adminPassword", Username: "giteaAdmin"}
	installing := provider
	installing.Phase = "Installing"
	tests := []struct {
		name    string
		cluster *fakes.Cluster
		entry   config.Registry
		ok      bool
		detail  []string
	}{
		{"provider", &fakes.Cluster{Providers: []idpbuilder.GiteaProvider{provider}, Builds: []idpbuilder.Localbuild{lb}}, providerEntry, true,
			[]string{"GiteaProvider gitea-system/gitea (secret gitea-system/my-admin (password key adminPassword, user giteaAdmin))"}},
		{"provider, entry reads another secret", &fakes.Cluster{Providers: []idpbuilder.GiteaProvider{provider}}, config.Registry{}, false,
			[]string{"GiteaProvider gitea-system/gitea", "the helper config reads secret gitea/gitea-credential"}},
		{"Localbuild, provider not ready", &fakes.Cluster{Providers: []idpbuilder.GiteaProvider{installing}, Builds: []idpbuilder.Localbuild{lb}}, config.Registry{}, true,
			[]string{"Localbuild localdev", "GiteaProvider gitea-system/gitea is not ready (phase Installing)"}},
		{"Localbuild, providers forbidden", &fakes.Cluster{ProvidersErr: errors.Join(idpbuilder.ErrForbidden, errors.New("may not list GiteaProvider objects")), Builds: []idpbuilder.Localbuild{lb}}, config.Registry{}, true,
			[]string{"Localbuild localdev", "may not list GiteaProvider objects", "using the Localbuild"}},
		{"default", &fakes.Cluster{ProvidersErr: idpbuilder.ErrNoGiteaProviderResource, BuildsErr: idpbuilder.ErrNoLocalbuildResource}, config.Registry{}, true,
			[]string{"default", "no Localbuild resource"}},
		{"by hand", &fakes.Cluster{Builds: []idpbuilder.Localbuild{{Name: "localdev", Host: "other.example"}}}, config.Registry{}, true,
			[]string{"not among the cluster's registries (gitea.other.example:8443)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := sourceCheck(context.Background(), tt.cluster, host, tt.entry)
			if ch.OK != tt.ok || ch.Blocking {
				t.Fatalf("check %+v, want OK %v and not blocking", ch, tt.ok)
			}
			for _, w := range tt.detail {
				if !strings.Contains(ch.Detail, w) {
					t.Errorf("detail %q lacks %q", ch.Detail, w)
				}
			}
		})
	}
}
