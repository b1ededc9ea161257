//go:build e2e

package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// buildxStatus is the buildx part of `status -o json`.
type buildxStatus struct {
	Buildx *struct {
		DefaultConfig string   `json:"defaultConfig"`
		DefaultTrusts []string `json:"defaultTrusts"`
		Builders      []struct {
			Name       string `json:"name"`
			Driver     string `json:"driver"`
			Registries []struct {
				Host     string   `json:"host"`
				State    string   `json:"state"`
				Problems []string `json:"problems"`
				Fix      string   `json:"fix"`
				Snippet  string   `json:"snippet"`
			} `json:"registries"`
		} `json:"builders"`
	} `json:"buildx"`
}

// builderVerdict is status's verdict on builder for the rig's registry:
// state, problems, fix and snippet.
func builderVerdict(t *testing.T, st buildxStatus, builder string) (state, problems, fix, snippet string) {
	t.Helper()
	if st.Buildx == nil {
		t.Fatal("status has no buildx section")
	}
	for _, b := range st.Buildx.Builders {
		for _, r := range b.Registries {
			if b.Name == builder && r.Host == theRig.registry {
				return r.State, strings.Join(r.Problems, "; "), r.Fix, r.Snippet
			}
		}
	}
	t.Fatalf("status does not list builder %s for %s: %+v", builder, theRig.registry, st.Buildx.Builders)
	return
}

func buildxStatusJSON(t *testing.T, u *user) buildxStatus {
	t.Helper()
	res := u.helper("", "status", "-o", "json")
	var st buildxStatus
	if err := json.Unmarshal([]byte(res.stdout), &st); err != nil {
		t.Fatalf("status -o json: %v\n%s%s", err, res.stdout, res.stderr)
	}
	return st
}

// TestBuildxBuildersPushWithNoLogin is issue 12: after install --trust-ca,
// buildx pushes to Gitea with no login through each of its three drivers
// (docker, docker-container with host networking, remote), a builder
// without install's BuildKit config fails with x509 (the control), and
// status says which builders cannot push and how to fix each.
func TestBuildxBuildersPushWithNoLogin(t *testing.T) {
	r := theRig
	if err := r.script("buildkitd.sh", "image"); err != nil {
		t.Fatal(err)
	}
	if err := r.loadEnv(filepath.Join(r.dir, "buildkit.env")); err != nil {
		t.Fatal(err)
	}
	image := r.env["RIG_BUILDKIT_IMAGE"]
	plain := installed(t)
	// As install says: buildx fetches registry tokens itself for
	// docker-container and remote builders, with Go's roots.
	bundle := filepath.Join(plain.home, ".config", "docker-credential-idpbuilder", "ca-bundle.pem")
	u := plain.with("SSL_CERT_FILE=" + bundle)
	repo := r.registry + "/giteaadmin/buildx-builders"
	defaults := filepath.Join(u.dockerConfig, "buildx", "buildkitd.default.toml")
	if data, err := os.ReadFile(defaults); err != nil || !strings.Contains(string(data), `[registry."`+r.registry+`"]`) {
		t.Fatalf("install --trust-ca did not write %s: %v\n%s", defaults, err, data)
	}

	ctxDir := filepath.Join(u.home, "context")
	os.MkdirAll(ctxDir, 0o755)
	os.WriteFile(filepath.Join(ctxDir, "hello.txt"), []byte("built by buildx "+randomHex(4)), 0o644)
	os.WriteFile(filepath.Join(ctxDir, "Dockerfile"), []byte("FROM scratch\nCOPY hello.txt /\n"), 0o644)
	emptyConfig := filepath.Join(u.home, "empty.toml")
	os.WriteFile(emptyConfig, nil, 0o644)

	pushTimes := map[string]time.Duration{}
	push := func(t *testing.T, builder, tag string) {
		t.Helper()
		u := u.withT(t)
		res := u.must("", "docker", "buildx", "build", "--builder", builder, "--push", "-t", repo+":"+tag, ctxDir)
		if d := pushedDigest(u, repo+":"+tag); d == "" {
			t.Fatalf("%s: the registry has no digest\n%s", builder, res.stderr)
		}
		pushTimes[builder] = res.elapsed
	}
	// Builders live until the test ends: status is asked about them all.
	create := func(t *testing.T, args ...string) {
		t.Helper()
		u.withT(t).must("", "docker", append([]string{"buildx", "create", "--name"}, args...)...)
	}
	t.Cleanup(func() {
		for _, b := range []string{"bk", "bk-noca", "bk-nonet", "far"} {
			u.run("", "docker", "buildx", "rm", b)
		}
	})
	bootstrap := func(t *testing.T, name string) {
		t.Helper()
		u.withT(t).must("", "docker", "buildx", "inspect", "--bootstrap", name)
	}

	t.Run("docker driver", func(t *testing.T) {
		push(t, "default", "docker")
	})

	t.Run("docker-container with host networking and install's config", func(t *testing.T) {
		create(t, "bk", "--driver", "docker-container", "--driver-opt", "network=host", "--driver-opt", "image="+image)
		bootstrap(t, "bk")
		push(t, "bk", "container")
	})

	t.Run("docker-container without install's config fails with x509", func(t *testing.T) {
		// The control: the same builder, given an empty BuildKit config
		// instead of buildx's default one.
		create(t, "bk-noca", "--driver", "docker-container", "--driver-opt", "network=host", "--driver-opt", "image="+image, "--buildkitd-config", emptyConfig)
		bootstrap(t, "bk-noca")
		res := u.withT(t).run("", "docker", "buildx", "build", "--builder", "bk-noca", "--push", "-t", repo+":noca", ctxDir)
		if res.code == 0 || !strings.Contains(res.stderr, "x509") {
			t.Fatalf("push through a builder without the CA: exit %d, want an x509 error\n%s", res.code, res.stderr)
		}
		create(t, "bk-nonet", "--driver", "docker-container", "--driver-opt", "image="+image)

		st := buildxStatusJSON(t, u)
		state, problems, nocaFix, _ := builderVerdict(t, st, "bk-noca")
		fix := nocaFix
		if state != "fail" || !strings.Contains(problems, "does not trust the registry's CA") ||
			fix != "docker buildx rm bk-noca && docker buildx create --name bk-noca --driver docker-container --driver-opt image="+image+" --driver-opt network=host" {
			t.Errorf("status for bk-noca: %s: %s\nfix: %s", state, problems, fix)
		}
		state, problems, fix, _ = builderVerdict(t, st, "bk-nonet")
		if state != "fail" || !strings.Contains(problems, "needs --driver-opt network=host") || strings.Contains(problems, "CA") ||
			fix != "docker buildx rm bk-nonet && docker buildx create --name bk-nonet --driver docker-container --driver-opt image="+image+" --driver-opt network=host" {
			t.Errorf("status for bk-nonet: %s: %s\nfix: %s", state, problems, fix)
		}
		if state, problems, _, _ := builderVerdict(t, st, "bk"); state != "ok" {
			t.Errorf("status for the healthy builder bk: %s: %s", state, problems)
		}
		// Without SSL_CERT_FILE, buildx's own token fetch fails, and status
		// says so.
		res = plain.withT(t).run("", "docker", "buildx", "build", "--builder", "bk", "--push", "-t", repo+":noexport", ctxDir)
		if res.code == 0 || !strings.Contains(res.stderr, "x509") {
			t.Errorf("push through bk without SSL_CERT_FILE: exit %d, want x509 at [auth]\n%s", res.code, res.stderr)
		}
		if state, problems, fix, _ := builderVerdict(t, buildxStatusJSON(t, plain.withT(t)), "bk"); state != "fail" ||
			!strings.Contains(problems, "fetches the registry's token itself") || !strings.HasPrefix(fix, "export SSL_CERT_FILE="+bundle) {
			t.Errorf("status without SSL_CERT_FILE for bk: %s: %s\nfix: %s", state, problems, fix)
		}
		text := u.helper("", "status").stdout
		for _, want := range []string{"buildx builder bk-nonet (docker-container):", "fix: docker buildx rm bk-noca && docker buildx create --name bk-noca"} {
			if !strings.Contains(text, want) {
				t.Errorf("status lacks %q:\n%s", want, text)
			}
		}

		// Following status's fix makes the builder push.
		u.withT(t).must("", "sh", "-c", nocaFix)
		bootstrap(t, "bk-noca")
		push(t, "bk-noca", "fixed")
	})

	t.Run("remote builder with status's snippet", func(t *testing.T) {
		addr := r.env["RIG_BUILDKITD_ADDR"]
		// buildx refuses to create a remote builder while a default
		// BuildKit config exists (docker/buildx#2985): the README's way.
		res := u.withT(t).run("", "docker", "buildx", "create", "--name", "far", "--driver", "remote", addr)
		if res.code == 0 || !strings.Contains(res.stderr, "setting config file is not supported for remote driver") {
			t.Logf("buildx now creates a remote builder beside a default config (exit %d): the README's workaround can go\n%s", res.code, res.stderr)
		}
		if res.code != 0 {
			u.withT(t).must("", "sh", "-c", `mv "$1" "$1.aside" && docker buildx create --name far --driver remote "$2"; rc=$?; mv "$1.aside" "$1"; exit $rc`, "sh", defaults, addr)
		}
		state, _, fix, snippet := builderVerdict(t, buildxStatusJSON(t, u), "far")
		if state != "unknown" || snippet == "" || !strings.Contains(fix, "buildkitd.toml") {
			t.Fatalf("status for the remote builder: %s, fix %q, snippet %q", state, fix, snippet)
		}
		if err := os.WriteFile(r.env["RIG_BUILDKITD_CONFIG"], []byte(snippet), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := r.script("buildkitd.sh", "up"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.script("buildkitd.sh", "down") })
		push(t, "far", "remote")
	})

	t.Logf("push times (docker buildx build --push, one run): docker %s, docker-container %s, remote %s",
		pushTimes["default"].Round(time.Millisecond), pushTimes["bk"].Round(time.Millisecond), pushTimes["far"].Round(time.Millisecond))
}

// TestUninstallGivesBackTheUsersBuildkitConfig: install --trust-ca merges
// the CA into a buildkitd.default.toml holding the user's own settings, and
// uninstall gives the file back byte for byte.
func TestUninstallGivesBackTheUsersBuildkitConfig(t *testing.T) {
	r := theRig
	u := r.newUser(t)
	path := filepath.Join(u.dockerConfig, "buildx", "buildkitd.default.toml")
	own := "# my BuildKit\ndebug = true\n\n[worker.oci]\n  max-parallelism = 2 # two cores\n\n[registry.\"docker.io\"]\n  mirrors = [\"mirror.gcr.io\"]\n"
	os.MkdirAll(filepath.Dir(path), 0o755)
	if err := os.WriteFile(path, []byte(own), 0o644); err != nil {
		t.Fatal(err)
	}
	res := u.helper("", "install", "--trust-ca")
	if res.code != 0 {
		t.Fatalf("install: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	merged, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(merged), own) || !strings.Contains(string(merged), `[registry."`+r.registry+`"]`) {
		t.Fatalf("install did not merge the CA into the user's file:\n%s", merged)
	}
	if res := u.helper("", "uninstall"); res.code != 0 {
		t.Fatalf("uninstall: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if back, _ := os.ReadFile(path); string(back) != own {
		t.Fatalf("uninstall did not give the file back:\n%q\nwant\n%q", back, own)
	}
}
