package netproxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
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
	nodePortSplice(ctx, c, up)
}

// nodePortSplice copies both ways until both directions end, passing a half close on where the
// connection allows it. An error in either direction, or the end of ctx, closes both.
func nodePortSplice(ctx context.Context, a, b net.Conn) {
	closeBoth := func() { _ = a.Close(); _ = b.Close() }
	stop := context.AfterFunc(ctx, closeBoth)
	defer stop()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); nodePortCopy(a, b, closeBoth) }()
	go func() { defer wg.Done(); nodePortCopy(b, a, closeBoth) }()
	wg.Wait()
	closeBoth()
}

func nodePortCopy(dst, src net.Conn, closeBoth func()) {
	if _, err := io.Copy(dst, src); err != nil {
		closeBoth()
		return
	}
	if cw, ok := dst.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
		return
	}
	// No half close (a stream that only closes whole): closing is the only way to pass the EOF on.
	closeBoth()
}
