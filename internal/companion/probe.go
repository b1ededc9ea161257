package companion

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
)

// probeTimeout bounds the connect to a loopback API server: it answers in
// microseconds, or refuses at once.
const probeTimeout = 200 * time.Millisecond

// Refused tells, without starting the companion, that the API server is a
// loopback address reached directly that refuses connections, as a stopped
// kind cluster's does: an idpbuilder.ErrUnreachable error then, else nil
// (it answers, it is slow, it is not loopback: the companion will tell).
// It costs one connection to a running server, so the helper asks only when
// a stale answer could be served.
func (r *Client) Refused(ctx context.Context) error {
	if !refused(ctx, r.Ref.Loopback) {
		return nil
	}
	return fmt.Errorf("%w: cannot reach the API server of context %q at %s (connection refused): is the idpbuilder cluster running?",
		idpbuilder.ErrUnreachable, r.Ref.Context, r.Ref.Server)
}

func refused(ctx context.Context, addr string) bool {
	if addr == "" {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return errors.Is(err, syscall.ECONNREFUSED)
	}
	conn.Close()
	return false
}
