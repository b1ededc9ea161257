package main

import (
	"os/exec"
	"strings"
	"testing"
)

// forbiddenDeps must never be linked into the program docker runs on every
// push: client-go costs milliseconds of start-up (BENCHMARKS.md), and the
// companion program exists so that only a cache miss pays them.
var forbiddenDeps = []string{
	"k8s.io/client-go",
	"github.com/cnoe-io/docker-credential-idpbuilder/secrets",
}

func TestNoClientGoInTheHelper(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go tool is not on PATH, so the dependency list cannot be read")
	}
	out, err := exec.Command(goTool, "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps gave %d packages; expected the helper's whole dependency list", len(deps))
	}
	for _, dep := range deps {
		for _, bad := range forbiddenDeps {
			if dep == bad || strings.HasPrefix(dep, bad+"/") {
				t.Errorf("docker-credential-idpbuilder depends on %s; only docker-credential-idpbuilder-cluster may (see ARCHITECTURE.md)", dep)
			}
		}
	}
}
