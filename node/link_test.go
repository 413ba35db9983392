package node

import (
	"io"
	"net"
	"sync"
	"testing"
)

// link is a TCP proxy between an agent and the API server that a test cuts and heals: the lossy
// network at the edge. Cut closes every connection through it and resets new ones until Heal, as
// when the control plane's host goes down or a router between drops the node.
type link struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	down  bool
	conns map[net.Conn]bool
}

// newLink proxies a loopback port to target until the test ends.
func newLink(t *testing.T, target string) *link {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &link{ln: ln, target: target, conns: map[net.Conn]bool{}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.serve()
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		l.Cut()
	})
	return l
}

// Addr is the proxy's host:port.
func (l *link) Addr() string { return l.ln.Addr().String() }

// Cut closes every connection and refuses new ones.
func (l *link) Cut() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.down = true
	for c := range l.conns {
		reset(c)
		delete(l.conns, c)
	}
}

// Heal lets connections through again.
func (l *link) Heal() {
	l.mu.Lock()
	l.down = false
	l.mu.Unlock()
}

func (l *link) serve() {
	for {
		c, err := l.ln.Accept()
		if err != nil {
			return
		}
		go l.pipe(c)
	}
}

func (l *link) pipe(c net.Conn) {
	if !l.track(c) {
		reset(c)
		return
	}
	up, err := net.Dial("tcp", l.target)
	if err != nil || !l.track(up) {
		reset(c)
		if up != nil {
			reset(up)
		}
		return
	}
	var wg sync.WaitGroup
	for _, p := range [][2]net.Conn{{up, c}, {c, up}} {
		wg.Go(func() {
			io.Copy(p[0], p[1])
			p[0].Close() // one way ended: end the other, so no half-open stream outlives a cut
			p[1].Close()
		})
	}
	wg.Wait()
	l.mu.Lock()
	delete(l.conns, c)
	delete(l.conns, up)
	l.mu.Unlock()
}

// track registers a connection to close at the next cut; false while the link is down.
func (l *link) track(c net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.down {
		return false
	}
	l.conns[c] = true
	return true
}

// reset closes c with a TCP reset rather than a clean end, as a dropped link shows.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}
