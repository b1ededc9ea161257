package companion

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/kubeconfig"
)

// The helper asks a cluster that has this method whether it is stopped.
var _ interface{ Refused(context.Context) error } = (*Client)(nil)

// A loopback API server that refuses connections (a stopped kind cluster)
// is unreachable at once; one that listens, or one that is not loopback,
// is left to the companion.
func TestRefused(t *testing.T) {
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

	tests := []struct {
		name, addr string
		want       string // "" means nil
	}{
		{"refused", closed, "(connection refused): is the idpbuilder cluster running?"},
		{"listening", listening, ""},
		{"not loopback", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cl := &Client{Ref: kubeconfig.Ref{Context: "kind-localdev", Server: "https://" + tt.addr, Loopback: tt.addr}}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			start := time.Now()
			err := cl.Refused(ctx)
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, idpbuilder.ErrUnreachable)) {
				t.Fatalf("Refused = %v; want %q", err, tt.want)
			}
			if d := time.Since(start); d > time.Second {
				t.Fatalf("took %s", d)
			}
		})
	}
}
