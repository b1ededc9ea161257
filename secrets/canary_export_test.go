package secrets

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/export"
)

// TestNoSecretInAnyExportError runs export (client-go's dynamic client, the
// companion's only writer) through every failure of TestNoSecretInAnyError:
// the canary token, password and client key, and what the API server or an
// exec plugin printed, never appear in its error, which is one line.
func TestNoSecretInAnyExportError(t *testing.T) {
	quietStderr(t)
	for _, tc := range canaryCases() {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.setUp(t)
			ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
			defer cancel()
			var report strings.Builder
			c, err := Resolve(path, "")
			if err == nil {
				var cs interface{ export.Kube }
				if cs, err = c.Dynamic(); err == nil {
					ex := &export.Exporter{Kube: cs, Context: c.Context(), Unreachable: c.Unreachable,
						Report: func(status, format string, args ...any) { report.WriteString(status + " " + format + "\n") }}
					err = ex.Apply(ctx, export.Request{Namespaces: []string{"ci"}, ServiceAccount: "builder",
						Sources: []export.Source{{Namespace: "gitea", Name: "gitea-credential", Hosts: []string{"gitea.cnoe.localtest.me:8443"}}}})
				}
			}
			if err == nil {
				t.Fatal("the export succeeded")
			}
			msg := err.Error()
			if leaksCanary(msg) || leaksCanary(report.String()) {
				t.Fatalf("the canary is in the error or the report: %q %q", msg, report.String())
			}
			if strings.ContainsAny(msg, "\r\n") {
				t.Fatalf("error %q: want one line", msg)
			}
			t.Logf("%s", msg)
		})
	}
}
