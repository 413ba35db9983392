//go:build wasip1

package guest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"syscall"
)

// NetDir is where wk mounts outbound sockets.
const NetDir = "/net"

// Dial connects to addr (HOST:PORT) through /net/tcp. HOST may be a
// service name, a ClusterIP, a pod IP or localhost, the pod itself.
func Dial(network, addr string) (net.Conn, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, fmt.Errorf("dial %s %s: only tcp is supported", network, addr)
	}
	// Not os.OpenFile: as of Go 1.26, net.FileConn panics on a file it
	// opened on wasip1 (the file's descriptor reference count is unset).
	fd, err := syscall.Open(NetDir+"/tcp/"+addr, syscall.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	// Non-blocking, so the connection does not stall the other goroutines.
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("dial %s: set non-blocking: %w", addr, err)
	}
	f := os.NewFile(uintptr(fd), addr)
	defer f.Close()
	c, err := net.FileConn(f)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	return c, nil
}

// DialContext is Dial for APIs that pass a context. The connection is made
// synchronously; ctx is checked before.
func DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	return Dial(network, addr)
}

// Transport returns a new http.Transport that dials through /net/tcp. Keep
// and reuse it, as any Transport, so that connections are reused.
func Transport() *http.Transport {
	return &http.Transport{DialContext: DialContext}
}
