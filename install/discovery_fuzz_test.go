package install

import (
	"strings"
	"testing"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/config"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
)

// FuzzGiteaProviderEndpoint checks that a status.endpoint discovery accepts
// names a registry that is safe to use as a config key, a certs.d folder
// and a git URL: its normal form is itself, and config.Normalize accepts it.
// What it refuses is refused in one line naming the field.
func FuzzGiteaProviderEndpoint(f *testing.F) {
	for _, s := range []string{
		"https://gitea.cnoe.localtest.me:8443", "http://gitea.example:80/", "https://[::1]:8443", "HTTPS://Gitea.Example",
		"https://cnoe.localtest.me:8443/gitea", "https://a%2f..%2fb", "https://a..b", "https://x:08443", "ftp://x",
		"https://user@x", "https://x/?q", "https://x#f", "https://x:65536", "https://[fe80::1%25eth0]:1", "https://x\n.y",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, endpoint string) {
		p := idpbuilder.GiteaProvider{Namespace: "ns", Name: "gitea", Endpoint: endpoint, Phase: "Ready",
			AdminSecret: &idpbuilder.KeyRef{Namespace: "ns", Name: "admin", Key: "password"}}
		var d Discovery
		found, err := d.fromProviders([]idpbuilder.GiteaProvider{p})
		if err != nil {
			if msg := err.Error(); strings.ContainsAny(msg, "\r\n") || !strings.Contains(msg, "status.endpoint") {
				t.Fatalf("endpoint %q: error %q is not one line naming the field", endpoint, msg)
			}
			return
		}
		if len(found) != 1 {
			t.Fatalf("endpoint %q gave %d registries", endpoint, len(found))
		}
		host := found[0].Host
		if n, err := config.Normalize(host); err != nil || n != host {
			t.Fatalf("endpoint %q gave host %q, whose normal form is %q (%v)", endpoint, host, n, err)
		}
		if _, err := config.Normalize(host); err != nil {
			t.Fatalf("endpoint %q gave host %q: %v", endpoint, host, err)
		}
		if strings.ContainsAny(host, "/\\?#@ %") || strings.Contains(host, "..") {
			t.Fatalf("endpoint %q gave host %q", endpoint, host)
		}
	})
}
