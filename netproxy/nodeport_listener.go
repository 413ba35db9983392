package netproxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync/atomic"
	"time"
)

// nodePortListener accepts on one node port and splices each connection to its target.
type nodePortListener struct {
	ln     net.Listener
	target atomic.Pointer[nodePortTarget]
}

// listenNodePort binds the port and starts accepting; connections live as long as ctx.
func listenNodePort(ctx context.Context, cfg NodePortsConfig, port int32, t nodePortTarget) (*nodePortListener, error) {
	var lc net.ListenConfig
	addr := net.JoinHostPort(cfg.Address, strconv.Itoa(int(port)))
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	l := &nodePortListener{ln: ln}
	l.target.Store(&t)
	go l.accept(ctx, cfg)
	return l, nil
}

func (l *nodePortListener) close() {
	_ = l.ln.Close()
}

func (l *nodePortListener) accept(ctx context.Context, cfg NodePortsConfig) {
	for {
		c, err := l.ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			// Such as too many open files: wait a little, as net/http does.
			cfg.Logger.Warn("node port accept", "addr", l.ln.Addr().String(), "err", err)
			time.Sleep(50 * time.Millisecond)
			continue
		}
		go l.handle(ctx, cfg, c)
	}
}

func (l *nodePortListener) handle(ctx context.Context, cfg NodePortsConfig, c net.Conn) {
	t := l.target.Load()
	dctx, cancel := context.WithTimeout(ctx, cfg.DialTimeout)
	up, err := cfg.Dialer.DialService(dctx, t.namespace, t.name, t.port)
	cancel()
	if err != nil {
		cfg.Logger.Debug("node port dial", "service", t.String(), "client", c.RemoteAddr().String(), "err", err)
		_ = c.Close()
		return
	}
	splice(ctx, c, up)
}
