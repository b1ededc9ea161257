package companion

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/kubeconfig"
)

// A loopback API server that refuses connections (a stopped kind cluster)
// is unreachable at once, without starting the companion; one that listens
// is left to the companion.
func TestReadSecretProbesALoopbackServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	listening := l.Addr().String()
	t.Cleanup(func() { l.Close() })
	c, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := c.Addr().String()
	c.Close()

	// A program that cannot be started shows whether it was run.
	missing := filepath.Join(t.TempDir(), Program)
	tests := []struct {
		name, addr  string
		want        string
		unreachable bool
	}{
		{"refused: not run", closed, "(connection refused): is the idpbuilder cluster running?", true},
		{"listening: run", listening, "cannot run", false},
		{"not loopback: run", "", "cannot run", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cl := &Client{Ref: kubeconfig.Ref{Context: "kind-localdev", Server: "https://" + tt.addr, Loopback: tt.addr}, Program: missing}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			start := time.Now()
			_, err := cl.ReadSecret(ctx, idpbuilder.SecretRef{})
			if err == nil || !strings.Contains(err.Error(), tt.want) || errors.Is(err, idpbuilder.ErrUnreachable) != tt.unreachable {
				t.Fatalf("ReadSecret = %v; want %q, unreachable %v", err, tt.want, tt.unreachable)
			}
			if d := time.Since(start); d > time.Second {
				t.Fatalf("took %s", d)
			}
		})
	}
}
