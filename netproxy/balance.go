package netproxy

import (
	"net"
	"net/netip"
	"sync"
)

// balancer picks endpoints: round robin by default, least connections on request. Its counters
// are keyed by service port and endpoint address, so that they outlive table rebuilds.
type balancer struct {
	mu     sync.Mutex
	next   map[portKey]int        // service port -> round robin position
	active map[netip.AddrPort]int // endpoint -> open connections through this proxy
}

// portKey names one port of one Service.
type portKey struct {
	svc  svcKey
	port string // the service port's name
}

func newBalancer() *balancer {
	return &balancer{next: map[portKey]int{}, active: map[netip.AddrPort]int{}}
}

// pick chooses among bs those not in tried: the next in round robin order, or, with leastConn,
// the one with the fewest open connections (round robin order breaking ties). ok is false when
// every endpoint has been tried.
func (b *balancer) pick(key portKey, bs []backend, leastConn bool, tried map[netip.AddrPort]bool) (backend, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	start := b.next[key]
	best, found := -1, false
	for i := range bs {
		j := (start + i) % len(bs)
		if tried[bs[j].addr] {
			continue
		}
		if !found || (leastConn && b.active[bs[j].addr] < b.active[bs[best].addr]) {
			best, found = j, true
		}
		if !leastConn {
			break
		}
	}
	if !found {
		return backend{}, false
	}
	b.next[key] = (best + 1) % len(bs)
	return bs[best], true
}

// track counts c as open to addr until it closes.
func (b *balancer) track(addr netip.AddrPort, c net.Conn) net.Conn {
	b.mu.Lock()
	b.active[addr]++
	b.mu.Unlock()
	return &trackedConn{Conn: c, release: func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.active[addr]--; b.active[addr] <= 0 {
			delete(b.active, addr)
		}
	}}
}

// trackedConn releases its count once, on the first Close.
type trackedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *trackedConn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}

// CloseWrite passes a half close on when the connection underneath allows it.
func (c *trackedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return c.Close()
}
