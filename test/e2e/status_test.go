//go:build e2e

package e2e

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

type statusJSON struct {
	Registries []struct {
		Host   string
		Usable bool
		Checks []struct {
			Name, Detail, Fix string
			OK, Blocking      bool
		}
	}
}

func (u *user) status() (statusJSON, result) {
	u.t.Helper()
	res := u.helper("", "status", "-o", "json")
	var st statusJSON
	if err := json.Unmarshal([]byte(res.stdout), &st); err != nil {
		u.t.Fatalf("status -o json printed %q: %v", res.stdout, err)
	}
	if strings.Contains(res.stdout+res.stderr, theRig.canary) {
		u.t.Fatal("status printed the password")
	}
	return st, res
}

func failing(st statusJSON) map[string]string {
	out := map[string]string{}
	for _, reg := range st.Registries {
		for _, c := range reg.Checks {
			if !c.OK {
				out[c.Name] = c.Detail + " | fix: " + c.Fix
			}
		}
	}
	return out
}

// TestStatus is scenario 9: all well on a healthy rig, and each fault named.
func TestStatus(t *testing.T) {
	r := theRig
	u := installed(t)
	u = u.with("SSL_CERT_FILE=" + filepath.Join(u.home, ".config", "docker-credential-idpbuilder", "ca-bundle.pem"))
	st, res := u.status()
	if res.code != 0 || len(failing(st)) != 0 || len(st.Registries) != 1 || !st.Registries[0].Usable {
		t.Fatalf("healthy rig: exit %d, failing %v\n%s", res.code, failing(st), res.stdout)
	}
	text := u.helper("", "status")
	if text.code != 0 || !strings.Contains(text.stdout, r.registry+": usable") {
		t.Fatalf("status text: %+v", text)
	}

	// The password changed in Gitea but the cache still holds the old one.
	defer r.setPassword(t, r.canary)
	if err := r.writePassword(r.canary + "-gitea-only"); err != nil {
		t.Fatal(err)
	}
	if err := r.script("gitea.sh", "set-password"); err != nil {
		t.Fatal(err)
	}
	// status reads the cluster's secret (still the old password), which
	// Gitea now rejects.
	st, res = u.status()
	if f := failing(st); res.code != 1 || !strings.Contains(f["login"], "rejects the credentials") {
		t.Fatalf("after a Gitea-only password change: exit %d, failing %v", res.code, f)
	}
	r.setPassword(t, r.canary)

	// The cluster stopped.
	if err := r.script("kube.sh", "down"); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := r.script("kube.sh", "up"); err != nil {
			t.Fatal(err)
		}
	}()
	st, res = u.status()
	if f := failing(st); res.code != 1 || !strings.Contains(f["secret"], "is the idpbuilder cluster running?") {
		t.Fatalf("with the cluster down: exit %d, failing %v", res.code, f)
	}
}

// TestStatusUntrustedCA: without the CA bundle the machine does not trust
// Gitea's certificate; status warns and names the fix.
func TestStatusUntrustedCA(t *testing.T) {
	u := theRig.newUser(t)
	res := u.helper("", "install")
	defer u.helper("", "uninstall")
	if res.code != 0 {
		t.Fatalf("install: %+v", res)
	}
	st, _ := u.status()
	if f := failing(st); !strings.Contains(f["tls"], "--trust-ca") {
		t.Fatalf("failing %v", f)
	}
}
