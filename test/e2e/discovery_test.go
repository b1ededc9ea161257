//go:build e2e

package e2e

import (
	"strings"
	"testing"
)

// TestDiscoveryVariants patches the rig's Localbuild the ways idpbuilder
// can be configured and checks which registries install would wire.
func TestDiscoveryVariants(t *testing.T) {
	r := theRig
	admin := r.newUser(t)
	kubectl := func(stdin string, args ...string) result {
		t.Helper()
		return admin.must(stdin, "kubectl", append([]string{"--kubeconfig", r.env["RIG_KUBECONFIG"]}, args...)...)
	}
	patch := func(spec string) {
		t.Helper()
		kubectl("", "patch", "localbuild", "localdev", "--type=merge", "-p", `{"spec":{"buildCustomization":`+spec+`}}`)
	}
	// kube.sh up re-applies the original objects.
	defer func() {
		if err := r.script("kube.sh", "up"); err != nil {
			t.Fatal(err)
		}
	}()
	tests := []struct {
		name, spec string
		want       []string
		warn       string
	}{
		{name: "custom host and port", spec: `{"host":"my.example","port":"9443"}`, want: []string{"gitea.my.example:9443"}},
		{name: "ingressHost differs", spec: `{"host":"cnoe.localtest.me","ingressHost":"idp.example","port":"8443"}`,
			want: []string{"gitea.cnoe.localtest.me:8443", "gitea.idp.example:8443"}},
		{name: "path routing", spec: `{"host":"cnoe.localtest.me","ingressHost":"","port":"8443","usePathRouting":true}`,
			want: []string{"cnoe.localtest.me:8443"}, warn: "needs subdomain routing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			patch(tt.spec)
			u := r.newUser(t)
			res := u.helper("", "install", "--dry-run")
			if res.code != 0 {
				t.Fatalf("install --dry-run: %+v", res)
			}
			for _, h := range tt.want {
				if !strings.Contains(res.stdout, "credHelpers["+h+"] = idpbuilder") {
					t.Errorf("install would not wire %s:\n%s", h, res.stdout)
				}
			}
			if tt.warn != "" && !strings.Contains(res.stdout, tt.warn) {
				t.Errorf("no warning %q:\n%s", tt.warn, res.stdout)
			}
		})
	}
	t.Run("no Localbuild resource", func(t *testing.T) {
		kubectl("", "delete", "crd", "localbuilds.idpbuilder.cnoe.io", "--wait=true")
		u := r.newUser(t)
		res := u.helper("", "install", "--dry-run")
		if res.code != 0 || !strings.Contains(res.stdout, "no Localbuild resource") || !strings.Contains(res.stdout, "credHelpers[gitea.cnoe.localtest.me:8443]") {
			t.Fatalf("install without the resource: %+v", res)
		}
	})
}
