package install

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/jsonedit"
	"github.com/cnoe-io/docker-credential-idpbuilder/test/fakes"
)

const formsHost = "gitea.cnoe.localtest.me:8443"

// keyForms are the auths keys podman, skopeo, buildah and docker write or
// read for formsHost.
var keyForms = []string{
	formsHost,
	formsHost + "/giteaadmin",
	formsHost + "/giteaadmin/app",
	"https://" + formsHost,
	"https://" + formsHost + "/v1/",
	"http://" + formsHost,
	"http://" + formsHost + "/v2/",
	"GITEA.cnoe.localtest.me:8443",
}

func TestAuthKeysFindsEveryForm(t *testing.T) {
	others := []string{"gitea.cnoe.localtest.me", "gitea.cnoe.localtest.me:443", "gitea.cnoe.localtest.me:84430",
		"other.example:8443/" + formsHost, "quay.io", "https://index.docker.io/v1/", "ftp://" + formsHost}
	auths := jsonedit.NewObject()
	for _, k := range append(append([]string(nil), keyForms...), others...) {
		auths.Set(k, json.RawMessage(`{"auth":"eDp5"}`))
	}
	got := authKeys(auths, formsHost)
	if len(got) != len(keyForms) {
		t.Fatalf("authKeys = %q, want every form of %q", got, keyForms)
	}
	for _, k := range got {
		for _, o := range others {
			if k == o {
				t.Errorf("authKeys matched %q", o)
			}
		}
	}
}

// Each key form holding the cluster's credential is removed from a
// containers auth file, which then names the helper; one holding someone
// else's credential makes install leave the registry alone.
func TestInstallHandlesEveryContainersKeyForm(t *testing.T) {
	for _, form := range keyForms {
		t.Run(form, func(t *testing.T) {
			r := newRig(t, localbuild(t))
			writeFile(t, r.podmanAuth(), `{"auths":{"`+form+`":{"auth":"`+clusterAuth+`"},"quay.io":{"auth":"eDp5"}}}`)
			if path, keys := r.shadowing(formsHost); path != r.podmanAuth() || !slices.Contains(keys, form) {
				t.Fatalf("Shadowing before install: %s %q", path, keys)
			}
			if err := r.in.Install(Options{}); err != nil {
				t.Fatalf("Install: %v\n%s", err, r.out)
			}
			a := read(t, r.podmanAuth())
			if strings.Contains(a, clusterAuth) || !strings.Contains(a, `"`+formsHost+`": "idpbuilder"`) || !strings.Contains(a, "eDp5") {
				t.Fatalf("containers auth after install: %s", a)
			}
			if !strings.Contains(r.out.String(), "removed the stored password auths["+form+"]") {
				t.Fatalf("output:\n%s", r.out)
			}
			if path, keys := r.shadowing(formsHost); len(keys) != 0 {
				t.Fatalf("Shadowing after install: %s %q", path, keys)
			}
		})
		t.Run(form+" someone else's", func(t *testing.T) {
			r := newRig(t, localbuild(t))
			theirs := `{"auths":{"` + form + `":{"auth":"` + b64("alice:hers") + `"}}}`
			writeFile(t, r.podmanAuth(), theirs)
			if err := r.in.Install(Options{}); err == nil || !strings.Contains(r.out.String(), "has auths["+form+"], a credential that is not the cluster's") {
				t.Fatalf("Install = %v\n%s", err, r.out)
			}
			if read(t, r.podmanAuth()) != theirs {
				t.Fatal("someone else's credential was changed")
			}
			if _, err := os.Stat(r.helperConfig()); !os.IsNotExist(err) {
				t.Fatal("the registry was recorded")
			}
		})
	}
}

// The docker config's own legacy key forms are someone's credential for
// the registry too.
func TestInstallSeesDockerLegacyKeys(t *testing.T) {
	r := newRig(t, installCluster(&fakes.Cluster{Builds: []idpbuilder.Localbuild{{Name: "localdev", Host: "ghcr.io", Port: "443", UsePathRouting: true}}}))
	writeFile(t, r.dockerConfig(), `{"auths":{"https://ghcr.io/v1/":{"auth":"`+b64("me:token")+`"}}}`)
	if err := r.in.Install(Options{}); err == nil || !strings.Contains(r.out.String(), "auths[https://ghcr.io/v1/]") {
		t.Fatalf("Install = %v\n%s", err, r.out)
	}
}

// An empty entry (docker's `{}` after a login through a helper) shadows
// nothing: skopeo goes on to the next file.
func TestShadowingIgnoresEmptyEntries(t *testing.T) {
	r := newRig(t, localbuild(t))
	writeFile(t, r.podmanAuth(), `{"auths":{"`+formsHost+`":{},"https://`+formsHost+`":{"auth":""}}}`)
	if path, keys := r.shadowing(formsHost); len(keys) != 0 {
		t.Fatalf("Shadowing: %s %q", path, keys)
	}
}

// A file whose own credHelpers names the helper for the host shadows
// nothing: the containers tools read that entry first.
func TestShadowingIgnoresAFileThatNamesTheHelper(t *testing.T) {
	r := newRig(t, localbuild(t))
	writeFile(t, r.podmanAuth(), `{"auths":{"`+formsHost+`":{"auth":"eDp5"}},"credHelpers":{"`+formsHost+`":"idpbuilder"}}`)
	if path, keys := r.shadowing(formsHost); len(keys) != 0 {
		t.Fatalf("Shadowing: %s %q", path, keys)
	}
}

// shadowing is Shadowing over the rig user's containers auth files.
func (r *rig) shadowing(host string) (string, []string) {
	return Shadowing(r.in.dirs().ContainersAuthFiles(), host)
}
