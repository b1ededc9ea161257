package status

import (
	"errors"
	"strings"
	"testing"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/config"
)

func TestExportCheck(t *testing.T) {
	tests := []struct {
		name    string
		list    []ExportedSecret
		err     error
		wantOK  bool
		shown   bool
		details string
		fix     string
	}{
		{name: "nothing exported", shown: false},
		{name: "cluster down", err: errors.New("unreachable"), shown: false},
		{name: "current", list: []ExportedSecret{{Namespace: "ci", Name: "r"}, {Namespace: "b", Name: "r"}}, shown: true, wantOK: true, details: "current: ci/r, b/r"},
		{name: "stale", list: []ExportedSecret{{Namespace: "ci", Name: "r"}, {Namespace: "b", Name: "r", Stale: true}}, shown: true, details: "stale (an older credential than the cluster's): b/r", fix: "refresh"},
		{name: "unknown", list: []ExportedSecret{{Namespace: "ci", Name: "r", Unknown: "no source"}}, shown: true, details: "cannot tell whether these are current", fix: "export --delete"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Checker{Exports: func(host string, reg config.Registry) ([]ExportedSecret, error) { return tt.list, tt.err }}
			ch, shown := c.exportCheck("h:1", config.Registry{})
			if shown != tt.shown {
				t.Fatalf("shown = %v", shown)
			}
			if !shown {
				return
			}
			if ch.OK != tt.wantOK || ch.Blocking || !strings.Contains(ch.Detail, tt.details) || !strings.Contains(ch.Fix, tt.fix) {
				t.Errorf("check %+v", ch)
			}
		})
	}
}
