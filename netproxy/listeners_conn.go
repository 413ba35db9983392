package netproxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// serviceListener accepts on one address and splices each connection to its target.
type serviceListener struct {
	ln     net.Listener
	target atomic.Pointer[serviceTarget]
}

// listen binds addr and starts accepting; connections live as long as ctx.
func (s *listenerSet) listen(ctx context.Context, addr string, t serviceTarget) (*serviceListener, error) {
	var lc net.ListenConfig
	if s.cfg.reusePort {
		lc.Control = reusePort
	}
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	l := &serviceListener{ln: ln}
	l.target.Store(&t)
	go s.accept(ctx, l)
	return l, nil
}

// reusePort lets several sockets bind the same address and port: the kernel spreads incoming
// connections over them.
func reusePort(_, _ string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
		if serr == nil {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
		}
	})
	if err != nil {
		return err
	}
	if serr != nil {
		return fmt.Errorf("set SO_REUSEADDR and SO_REUSEPORT: %w", serr)
	}
	return nil
}

func (l *serviceListener) close() {
	_ = l.ln.Close()
}

func (s *listenerSet) accept(ctx context.Context, l *serviceListener) {
	for {
		c, err := l.ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			// Such as too many open files: wait a little, as net/http does.
			s.cfg.logger.Warn(s.cfg.what+" accept", "addr", l.ln.Addr().String(), "err", err)
			time.Sleep(50 * time.Millisecond)
			continue
		}
		s.accepted.Add(1)
		go s.handle(ctx, l.target.Load(), c)
	}
}

func (s *listenerSet) handle(ctx context.Context, t *serviceTarget, c net.Conn) {
	dctx, cancel := context.WithTimeout(ctx, s.cfg.dialTO)
	up, err := s.cfg.dialer.DialService(dctx, t.namespace, t.name, t.port)
	cancel()
	if err != nil {
		s.cfg.logger.Debug(s.cfg.what+" dial", "service", t.String(), "client", c.RemoteAddr().String(), "err", err)
		_ = c.Close()
		return
	}
	splice(ctx, c, up)
}
