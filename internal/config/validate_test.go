package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadRefusesARelativeKubeconfig(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, table string
		wantErr     []string // empty: loads
	}{
		{name: "absolute", table: `{"registries":{"gitea.example:8443":{"kubeconfig":"/home/u/kubeconfig"}}}`},
		{name: "none", table: `{"registries":{"gitea.example:8443":{"context":"kind-x"}}}`},
		{name: "relative", table: `{"registries":{"gitea.example:8443":{"kubeconfig":"kubeconfig"}}}`,
			wantErr: []string{"registry gitea.example:8443", `"kubeconfig"`, "docker-credential-idpbuilder refresh --registry gitea.example:8443 --kubeconfig /absolute/path"}},
		{name: "dot relative", table: `{"registries":{"gitea.example:8443":{"kubeconfig":"./k/config"}}}`,
			wantErr: []string{"registry gitea.example:8443", `"./k/config"`}},
		{name: "one of two", table: `{"registries":{"ok.example:443":{"kubeconfig":"/abs"},"b.example:443":{"kubeconfig":"../kc"}}}`,
			wantErr: []string{"registry b.example:443", `"../kc"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".json")
			if err := os.WriteFile(path, []byte(tt.table), 0o600); err != nil {
				t.Fatal(err)
			}
			tbl, err := Load(path)
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Load = %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Load accepted %s: %+v", tt.table, tbl.Registries)
			}
			msg := err.Error()
			for _, want := range append(tt.wantErr, path) {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q lacks %q", msg, want)
				}
			}
			if strings.Contains(msg, "\n") || strings.Contains(msg, "ok.example") {
				t.Errorf("error %q is not one line about the bad entry only", msg)
			}
			// The table can still be read for repair, as written.
			edit, err := LoadForEdit(path)
			if err != nil || edit.Validate() == nil {
				t.Fatalf("LoadForEdit = %+v, %v", edit, err)
			}
		})
	}
}
