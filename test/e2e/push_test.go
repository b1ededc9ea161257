//go:build e2e

package e2e

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var digestRE = regexp.MustCompile(`sha256:[0-9a-f]{64}`)

// layerTar writes a one-file layer, different per test so each push uploads
// a new blob.
func layerTar(t *testing.T, dir, content string) string {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	tw.WriteHeader(&tar.Header{Name: "hello.txt", Mode: 0o644, Size: int64(len(content))})
	tw.Write([]byte(content))
	tw.Close()
	path := filepath.Join(dir, "layer.tar")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// pushedDigest asks the registry, anonymously as a pull would, for the
// digest of ref.
func pushedDigest(u *user, ref string) string {
	u.t.Helper()
	res := u.must("", "crane", "digest", ref)
	return strings.TrimSpace(res.stdout)
}

// containersFlags give podman and buildah their own storage under the test
// folder, so the machine's /var/lib/containers is never used.
// The run root must be shorter than 50 characters, so it gets its own
// short temporary folder.
func containersFlags(u *user) []string {
	run, err := os.MkdirTemp("", "crun")
	if err != nil {
		u.t.Fatal(err)
	}
	u.t.Cleanup(func() { os.RemoveAll(run) })
	return []string{"--root", filepath.Join(u.home, "containers", "root"), "--runroot", run, "--storage-driver", "vfs"}
}

// TestEveryClientPushesWithNoLogin is scenario 1: after install, each real
// client pushes to Gitea with no login, and the registry serves the same
// digest back.
func TestEveryClientPushesWithNoLogin(t *testing.T) {
	r := theRig
	u := installed(t)
	bundle := filepath.Join(u.home, ".config", "docker-credential-idpbuilder", "ca-bundle.pem")
	u = u.with("SSL_CERT_FILE=" + bundle)
	repo := r.registry + "/giteaadmin/e2e"
	work := t.TempDir()

	// crane: a one-layer image from a tar.
	layer := layerTar(t, work, "pushed by crane "+randomHex(4))
	res := u.must("", "crane", "append", "-f", layer, "-t", repo+":crane")
	craneRef := strings.TrimSpace(res.stdout)
	if d := pushedDigest(u, repo+":crane"); !strings.HasSuffix(craneRef, d) {
		t.Fatalf("crane pushed %s, registry serves %s", craneRef, d)
	}

	// An OCI layout of that image is the source for the containers tools.
	// Its folder name becomes an image name for buildah: keep it lower-case.
	ociDir, err := os.MkdirTemp("", "oci")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(ociDir)
	layout := filepath.Join(ociDir, "e2e")
	u.must("", "crane", "pull", "--format", "oci", repo+":crane", layout)

	t.Run("skopeo", func(t *testing.T) {
		u := u.withT(t)
		digestFile := filepath.Join(work, "skopeo.digest")
		u.must("", "skopeo", "copy", "--digestfile", digestFile, "oci:"+layout, "docker://"+repo+":skopeo")
		checkDigestFile(u, digestFile, repo+":skopeo")
	})

	t.Run("podman", func(t *testing.T) {
		u := u.withT(t)
		flags := containersFlags(u)
		pulled := strings.Fields(u.must("", "podman", append(flags, "pull", "-q", "oci:"+layout)...).stdout)
		if len(pulled) == 0 {
			t.Fatal("podman pull printed no image ID")
		}
		u.must("", "podman", append(flags, "tag", pulled[len(pulled)-1], "localhost/e2e:podman")...)
		digestFile := filepath.Join(work, "podman.digest")
		u.must("", "podman", append(flags, "push", "--digestfile", digestFile, "localhost/e2e:podman", "docker://"+repo+":podman")...)
		checkDigestFile(u, digestFile, repo+":podman")
	})

	t.Run("buildah", func(t *testing.T) {
		u := u.withT(t)
		flags := containersFlags(u)
		ctr := strings.TrimSpace(u.must("", "buildah", append(flags, "from", "oci:"+layout)...).stdout)
		u.must("", "buildah", append(flags, "commit", ctr, "localhost/e2e:buildah")...)
		digestFile := filepath.Join(work, "buildah.digest")
		u.must("", "buildah", append(flags, "push", "--digestfile", digestFile, "localhost/e2e:buildah", "docker://"+repo+":buildah")...)
		checkDigestFile(u, digestFile, repo+":buildah")
	})

	// docker and buildx build from scratch: no image can be pulled here.
	ctxDir := filepath.Join(work, "context")
	os.MkdirAll(ctxDir, 0o755)
	os.WriteFile(filepath.Join(ctxDir, "hello.txt"), []byte("built by docker "+randomHex(4)), 0o644)
	os.WriteFile(filepath.Join(ctxDir, "Dockerfile"), []byte("FROM scratch\nCOPY hello.txt /\n"), 0o644)

	t.Run("docker", func(t *testing.T) {
		u := u.withT(t)
		u.must("", "docker", "build", "-t", repo+":docker", ctxDir)
		res := u.must("", "docker", "push", repo+":docker")
		d := digestRE.FindString(res.stdout)
		if d == "" || pushedDigest(u, repo+":docker") != d {
			t.Fatalf("docker push printed %q; registry serves %s", res.stdout, pushedDigest(u, repo+":docker"))
		}
	})

	t.Run("buildx", func(t *testing.T) {
		u := u.withT(t)
		if r.env["RIG_DOCKER_CLI_PLUGINS"] == "" {
			t.Fatal("the rig has no buildx plugin")
		}
		res := u.must("", "docker", "buildx", "build", "--push", "-t", repo+":buildx", ctxDir)
		if d := pushedDigest(u, repo+":buildx"); d == "" {
			t.Fatalf("buildx push: registry has no digest\n%s%s", res.stdout, res.stderr)
		}
	})
}

// TestPushWithoutTheHelperIsRefused is the control for the test above: the
// same push from a machine where install did not run is rejected, so the
// pushes there succeeded because of the helper.
func TestPushWithoutTheHelperIsRefused(t *testing.T) {
	r := theRig
	u := r.newUser(t)
	// Trust the CA by hand, so only the credentials are missing.
	bundle := filepath.Join(u.home, "ca.pem")
	ca, err := os.ReadFile(filepath.Join(r.dir, "tls", "tls.crt"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(bundle, ca, 0o644)
	u = u.with("SSL_CERT_FILE=" + bundle)
	res := u.run("", "crane", "append", "-f", layerTar(t, t.TempDir(), "anonymous "+randomHex(4)), "-t", r.registry+"/giteaadmin/e2e:anonymous")
	if res.code == 0 || !strings.Contains(res.stderr, "UNAUTHORIZED") && !strings.Contains(res.stderr, "401") {
		t.Fatalf("anonymous push: %+v", res)
	}
}

// withT is the user bound to a subtest.
func (u *user) withT(t *testing.T) *user {
	c := *u
	c.t = t
	return &c
}

func checkDigestFile(u *user, path, ref string) {
	u.t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		u.t.Fatal(err)
	}
	if got, want := strings.TrimSpace(string(data)), pushedDigest(u, ref); got != want {
		u.t.Fatalf("pushed %s, registry serves %s for %s", got, want, ref)
	}
}
