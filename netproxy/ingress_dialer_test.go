package netproxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
)

// errTestNoEndpoints stands for the core's "no ready endpoints" error, which the ServiceDialer
// passes through.
var errTestNoEndpoints = errors.New("no ready endpoints")

// ingressTestDialer is the fake at the edge: it dials real servers on loopback by service port.
type ingressTestDialer struct {
	mu    sync.Mutex
	addrs map[string]string // "ns/name:port" -> host:port
	dials atomic.Int64
}

var _ ServiceDialer = (*ingressTestDialer)(nil)

func newIngressTestDialer() *ingressTestDialer {
	return &ingressTestDialer{addrs: map[string]string{}}
}

func (d *ingressTestDialer) set(namespace, name, port, addr string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.addrs[namespace+"/"+name+":"+port] = addr
}

func (d *ingressTestDialer) DialService(ctx context.Context, namespace, name, port string) (net.Conn, error) {
	d.dials.Add(1)
	d.mu.Lock()
	addr, ok := d.addrs[namespace+"/"+name+":"+port]
	d.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("service %s/%s port %s: %w", namespace, name, port, errTestNoEndpoints)
	}
	var nd net.Dialer
	return nd.DialContext(ctx, "tcp", addr)
}
