package install

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/jsonedit"
)

// dockerWritten renders v as the docker CLI saves its config.
func dockerWritten(t *testing.T, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// realWorldConfigs are docker configs as they are found on machines.
func realWorldConfigs(t *testing.T) map[string]string {
	return map[string]string{
		"empty":      `{}`,
		"credsStore": dockerWritten(t, map[string]any{"auths": map[string]any{"https://index.docker.io/v1/": map[string]any{}}, "credsStore": "desktop"}),
		"auths and helpers": dockerWritten(t, map[string]any{
			"auths":       map[string]any{"ghcr.io": map[string]any{"auth": "dXNlcjpwYXNz"}, "quay.io": map[string]any{}},
			"credHelpers": map[string]any{"gcr.io": "gcloud", "public.ecr.aws": "ecr-login"},
		}),
		"proxies plugins unknown": dockerWritten(t, map[string]any{
			"proxies":             map[string]any{"default": map[string]any{"httpProxy": "http://proxy:3128", "noProxy": "localhost,<local>&more"}},
			"plugins":             map[string]any{"buildx": map[string]any{"x": "y"}},
			"cliPluginsExtraDirs": []string{"/opt/plugins"},
			"aFutureKey":          map[string]any{"nested": []any{1.5e300, true, nil, "\u00e9"}},
			"detachKeys":          "ctrl-e,e",
		}),
		"spaces and newline": "{\n  \"auths\": {\n    \"ghcr.io\": {}\n  },\n  \"psFormat\": \"table {{.ID}}\"\n}\n",
	}
}

func TestInstallThenUninstallIsByteForByte(t *testing.T) {
	hosts := []string{"gitea.cnoe.localtest.me:8443", "gitea.other.example:8443"}
	for name, original := range realWorldConfigs(t) {
		t.Run(name, func(t *testing.T) {
			o, err := jsonedit.Parse([]byte(original))
			if err != nil {
				t.Fatal(err)
			}
			lay := jsonedit.DetectLayout([]byte(original))
			changes, err := wire(o, hosts, nil)
			if err != nil || len(changes) != 2 {
				t.Fatalf("wire: %v, %v", changes, err)
			}
			installed := o.Render(lay.Indent, lay.TrailingNewline)
			var parsed struct{ CredHelpers map[string]string }
			if err := json.Unmarshal(installed, &parsed); err != nil || parsed.CredHelpers[hosts[0]] != "idpbuilder" || parsed.CredHelpers[hosts[1]] != "idpbuilder" {
				t.Fatalf("installed config %s: %v", installed, err)
			}
			// Every original key and value is still there.
			var before, after map[string]any
			json.Unmarshal([]byte(original), &before)
			json.Unmarshal(installed, &after)
			for k, v := range before {
				if k == "credHelpers" {
					continue
				}
				if !jsonEqual(v, after[k]) {
					t.Errorf("key %s changed: %v -> %v", k, v, after[k])
				}
			}
			// A second install changes nothing.
			o2, _ := jsonedit.Parse(installed)
			if changes, _ := wire(o2, hosts, nil); len(changes) != 0 {
				t.Fatalf("second wire changed %v", changes)
			}
			o3, _ := jsonedit.Parse(installed)
			if changes, err := unwire(o3); err != nil || len(changes) != 2 {
				t.Fatalf("unwire: %v, %v", changes, err)
			}
			if got := string(o3.Render(lay.Indent, lay.TrailingNewline)); got != original {
				t.Fatalf("uninstall did not restore the file:\n got %q\nwant %q", got, original)
			}
		})
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestWireRemovesOnlyTheClustersPlainTextAuth(t *testing.T) {
	const gitea, other = "gitea.cnoe.localtest.me:8443", "gitea.other.example:8443"
	// giteaAdmin:pw is the cluster's; giteaAdmin:old (an earlier cluster's
	// password, or anyone's) and an identity token are not.
	o, _ := jsonedit.Parse([]byte(`{"auths":{"` + gitea + `":{"auth":"Z2l0ZWFBZG1pbjpwdw=="},"` + other + `":{"auth":"Z2l0ZWFBZG1pbjpvbGQ="},` +
		`"quay.io":{},"ghcr.io":{"auth":"x"},"gitea.third.example:8443":{"auth":"Z2l0ZWFBZG1pbjpwdw==","identitytoken":"t"}}}`))
	creds := idpbuilder.Credentials{Username: "giteaAdmin", Password: "pw"}
	hosts := []string{gitea, other, "quay.io", "gitea.third.example:8443"}
	changes, err := wire(o, hosts, map[string]idpbuilder.Credentials{gitea: creds, other: creds, "gitea.third.example:8443": creds})
	if err != nil {
		t.Fatal(err)
	}
	out := string(o.Render("\t", false))
	for _, kept := range []string{"Z2l0ZWFBZG1pbjpvbGQ=", `"ghcr.io"`, `"quay.io": {}`, `"identitytoken": "t"`} {
		if !strings.Contains(out, kept) {
			t.Errorf("wire lost %s: %s", kept, out)
		}
	}
	if strings.Contains(out, `"`+gitea+`": {`) {
		t.Errorf("the cluster's stored password is still there: %s", out)
	}
	if len(changes) != 5 || !strings.Contains(changes[4], "removed the stored password auths["+gitea+"]") {
		t.Fatalf("changes = %q", changes)
	}
}

func TestUnwireKeepsOtherHelpers(t *testing.T) {
	o, _ := jsonedit.Parse([]byte(`{"credHelpers":{"a:1":"idpbuilder","gcr.io":"gcloud","b:2":"idpbuilder"}}`))
	if _, err := unwire(o); err != nil {
		t.Fatal(err)
	}
	if got := string(o.Compact()); got != `{"credHelpers":{"gcr.io":"gcloud"}}` {
		t.Fatalf("after unwire: %s", got)
	}
}

func TestWireRejectsNonObjectCredHelpers(t *testing.T) {
	o, _ := jsonedit.Parse([]byte(`{"credHelpers":["x"]}`))
	if _, err := wire(o, []string{"h:1"}, nil); err == nil {
		t.Fatal("wire accepted a credHelpers array")
	}
}
