package companion

import (
	"context"
	"errors"
	"net"
	"syscall"
	"time"
)

// probeTimeout bounds the connect to a loopback API server: it answers in
// microseconds, or refuses at once.
const probeTimeout = 200 * time.Millisecond

// refused reports whether a loopback API server at addr refuses
// connections, as a stopped kind cluster's does: then the companion, which
// would start client-go only to be refused, is not run. Anything else (it
// answers, it is slow, addr is empty) is left to the companion.
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
