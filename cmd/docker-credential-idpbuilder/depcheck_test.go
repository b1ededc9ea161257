package main

import (
	"os/exec"
	"strings"
	"testing"
)

// forbiddenDeps must never be linked into the program docker runs on every
// push: client-go costs milliseconds of start-up (BENCHMARKS.md), and the
// companion program exists so that only a cache miss pays them. Nor any
// YAML library: the companion reads the kubeconfig, the helper only stats
// it. A name ending in "." is a prefix (gopkg.in/yaml.v2, yaml.v3).
var forbiddenDeps = []string{
	"k8s.io/client-go",
	"github.com/cnoe-io/docker-credential-idpbuilder/secrets",
	"sigs.k8s.io/yaml",
	"go.yaml.in/yaml",
	"gopkg.in/yaml.",
}

func forbidden(dep, bad string) bool {
	return dep == bad || strings.HasPrefix(dep, bad+"/") || strings.HasSuffix(bad, ".") && strings.HasPrefix(dep, bad)
}

func TestForbidden(t *testing.T) {
	for _, tt := range []struct {
		dep, bad string
		want     bool
	}{
		{"k8s.io/client-go/rest", "k8s.io/client-go", true},
		{"k8s.io/client-go-extra", "k8s.io/client-go", false},
		{"sigs.k8s.io/yaml", "sigs.k8s.io/yaml", true},
		{"sigs.k8s.io/yaml/goyaml.v2", "sigs.k8s.io/yaml", true},
		{"go.yaml.in/yaml/v3", "go.yaml.in/yaml", true},
		{"gopkg.in/yaml.v3", "gopkg.in/yaml.", true},
		{"gopkg.in/yaml.v2", "gopkg.in/yaml.", true},
		{"gopkg.in/ini.v1", "gopkg.in/yaml.", false},
	} {
		if got := forbidden(tt.dep, tt.bad); got != tt.want {
			t.Errorf("forbidden(%q, %q) = %v, want %v", tt.dep, tt.bad, got, tt.want)
		}
	}
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
			if forbidden(dep, bad) {
				t.Errorf("docker-credential-idpbuilder depends on %s; only docker-credential-idpbuilder-cluster may (see ARCHITECTURE.md)", dep)
			}
		}
	}
}
