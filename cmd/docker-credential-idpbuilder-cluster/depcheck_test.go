package main

import (
	"os/exec"
	"strings"
	"testing"
)

// forbiddenDeps must never be linked into the companion, which the helper
// starts on every cache miss: client-go's typed clientset imports
// kubernetes/scheme, whose init registers every built-in API group (with
// it the companion was 29 MB stripped instead of 12, and its package init
// took ~11 ms instead of ~3.5); k8s.io/api/core/v1's types alone add 4 MB.
// The dynamic client and internal/export's small types do what export
// needs. Each entry covers its subpackages (kubernetes/scheme,
// kubernetes/typed/...).
var forbiddenDeps = []string{
	"k8s.io/client-go/kubernetes",
	"k8s.io/api/core/v1",
}

func TestNoTypedClientsetInTheCompanion(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go tool is not on PATH, so the dependency list cannot be read")
	}
	out, err := exec.Command(goTool, "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	// The list must be the real one: client-go's dynamic client is in it.
	if !containsDep(deps, "k8s.io/client-go/dynamic") {
		t.Fatalf("go list -deps gave %d packages without k8s.io/client-go/dynamic; expected the companion's whole dependency list", len(deps))
	}
	for _, dep := range deps {
		for _, bad := range forbiddenDeps {
			if dep == bad || strings.HasPrefix(dep, bad+"/") {
				t.Errorf("docker-credential-idpbuilder-cluster depends on %s: it costs megabytes and milliseconds on every cache miss; use the dynamic client and small types (internal/export/kube.go)", dep)
			}
		}
	}
}

func containsDep(deps []string, want string) bool {
	for _, d := range deps {
		if d == want {
			return true
		}
	}
	return false
}
